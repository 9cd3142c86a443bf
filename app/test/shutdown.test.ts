import { spawn, type ChildProcess } from 'node:child_process';
import { request, Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_EMAIL, TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();
const SERVER_ENTRY = fileURLToPath(new URL('../src/main/server.ts', import.meta.url));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs the real entry point as its own process and resolves with the port it listens on. */
function startServerProcess(): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], {
    env: { ...process.env, DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+),"msg":"listening"/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), exited });
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}: ${out}`)));
  });
}

describe('SIGTERM', () => {
  it('finishes the request in flight, refuses new connections, and exits 0', async () => {
    const { child, port, exited } = await startServerProcess();
    const body = JSON.stringify({ email: DEMO_EMAIL, password: TEST_PASSWORD });

    // Send half a request, so it is certainly in flight when the signal arrives.
    const agent = new Agent({ keepAlive: false });
    const inFlight = new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
      const req = request(
        { port, method: 'POST', path: '/api/v1/auth/login', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ user: { email: DEMO_EMAIL } });

    const refused = await new Promise<string>((resolve) => {
      const req = request({ port, path: '/healthz', agent }, () => resolve('answered'));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      req.end();
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(await exited).toBe(0);
  });
});
