import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rawRequest, type RawResponse } from './support/server.js';

// The public face of haproxy/haproxy.cfg, with the file as the stack mounts it; only the bind address is changed, to
// a free port on 127.0.0.1. No replica is resolvable here, so whatever the frontend passes on gets HAProxy's 503.
const REPO = join(import.meta.dirname, '..', '..');
const CONFIG = readFileSync(join(REPO, 'haproxy', 'haproxy.cfg'), 'utf8');
const IMAGE: string = parse(readFileSync(join(REPO, 'compose.yaml'), 'utf8')).services.haproxy.image;
const STATS = { HAPROXY_STATS_USER: 'stats', HAPROXY_STATS_PASSWORD: randomBytes(8).toString('hex') };

/** HAProxy from PATH, else the image compose.yaml pins when Docker has it, else undefined. */
function haproxyCommand(configDir: string, container: string): string[] | undefined {
  if (spawnSync('haproxy', ['-v']).status === 0) return ['haproxy', '-db', '-f', join(configDir, 'haproxy.cfg')];
  if (spawnSync('docker', ['image', 'inspect', IMAGE]).status !== 0) return undefined;
  const env = Object.keys(STATS).flatMap((name) => ['-e', name]);
  return ['docker', 'run', '--rm', '--name', container, '--network', 'host', ...env, '-v', `${configDir}:/cfg:ro`, IMAGE, 'haproxy', '-f', '/cfg/haproxy.cfg'];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const configDir = mkdtempSync(join(tmpdir(), 'recipes-haproxy-'));
const container = `recipes-haproxy-test-${randomBytes(4).toString('hex')}`;
const command = haproxyCommand(configDir, container);
if (!command) console.warn(`app/test/haproxy-frontend.test.ts: no haproxy on PATH and no ${IMAGE} image, so HAProxy's frontend is not tested`);

describe.skipIf(!command)(command ? "HAProxy's public frontend" : "HAProxy's public frontend (skipped: no haproxy)", () => {
  let port = 0;
  let haproxy: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    port = await freePort();
    const config = CONFIG.replace(/^(\s*)bind :8080$/m, `$1bind 127.0.0.1:${port}`);
    expect(config).not.toBe(CONFIG);
    // Readable by the image's own user (haproxy), not only by the one running the tests.
    chmodSync(configDir, 0o755);
    writeFileSync(join(configDir, 'haproxy.cfg'), config, { mode: 0o644 });
    const [program = '', ...args] = command ?? [];
    haproxy = spawn(program, args, { env: { ...process.env, ...STATS }, stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 600 && !(await accepting(port)); i += 1) {
      if (haproxy.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await accepting(port), `HAProxy did not start (exit ${haproxy.exitCode}):\n${output}`).toBe(true);
  });

  afterAll(() => {
    haproxy?.kill('SIGKILL');
    if (command?.[0] === 'docker') spawnSync('docker', ['rm', '-f', container]);
    rmSync(configDir, { recursive: true, force: true });
  });

  const get = (target: string, headers = ''): Promise<RawResponse> =>
    rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);

  function expectProblem(response: RawResponse, status: number) {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(response.body)).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  }

  it.each([
    '/metrics',
    '/readyz',
    '/readyz?verbose=1',
    '/METRICS',
    '//metrics',
    // The API decodes these to /metrics or /readyz, so they must not get through either.
    '/%6detrics',
    '/%72eadyz',
    '/api/../metrics',
    '/api/%2e%2e/readyz',
    '/x/./../metrics',
    'http://127.0.0.1/metrics',
  ])('answers %s with its own 404 problem', async (target) => {
    expectProblem(await get(target), 404);
  });

  it.each(['/%zz/../%6detrics', '/%/../readyz', '/%6/../%6detrics', '/api/v1/recipes/%'])(
    'refuses the malformed percent-escape in %s with a 400 problem',
    async (target) => {
      expectProblem(await get(target), 400);
    },
  );

  it.each(['/healthz', '/api/v1/recipes', '/api/v1/auth/login', '/api/v1/openapi.json'])('passes %s on to the replicas (503 problem: none here)', async (target) => {
    expectProblem(await get(target), 503);
  });

  it('holds a request 1 s before the 503 when no replica is ready, and says when to retry', async () => {
    const started = Date.now();
    const response = await get('/api/v1/recipes');
    expectProblem(response, 503);
    expect(response.headers['retry-after']).toBe('1');
    // The tarpit: a client that retries at once gets one answer a second, not thousands.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('serves its statistics page behind the credentials', async () => {
    const auth = Buffer.from(`${STATS.HAPROXY_STATS_USER}:${STATS.HAPROXY_STATS_PASSWORD}`).toString('base64');
    expect((await get('/haproxy-stats;csv', `Authorization: Basic ${auth}\r\n`)).status).toBe(200);
    expect((await get('/haproxy-stats')).status).toBe(401);
  });
});
