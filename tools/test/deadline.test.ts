import { spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withDeadline } from '../stack/deadline.js';

// A port that accepts connections and never answers, like a published port whose container is still starting.
const sockets = new Set<Socket>();
const silent = createServer((socket) => sockets.add(socket));
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}/healthz`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

it('fails a request that gets no answer at its deadline', async () => {
  const started = performance.now();
  await expect(withDeadline(300, (signal) => fetch(url, { signal }))).rejects.toMatchObject({ name: 'TimeoutError' });
  expect(performance.now() - started).toBeLessThan(5_000);
});

it('fails at the deadline even when the work ignores its signal', async () => {
  await expect(withDeadline(100, () => new Promise(() => {}))).rejects.toMatchObject({ name: 'TimeoutError' });
});

it('keeps a script waiting on it alive until the deadline, where AbortSignal.timeout lets it exit with code 13', () => {
  const deadline = fileURLToPath(new URL('../stack/deadline.ts', import.meta.url));
  const script = (call: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { withDeadline } from ${JSON.stringify(deadline)};
      try { await ${call}; } catch (error) { console.log(error.name); }
    `], { encoding: 'utf8', timeout: 20_000 });
  const kept = script('withDeadline(300, () => new Promise(() => {}))');
  expect(kept.stdout.trim()).toBe('TimeoutError');
  expect(kept.status).toBe(0);
  const unref = script('new Promise((resolve, reject) => AbortSignal.timeout(300).addEventListener("abort", reject))');
  expect(unref.status).toBe(13);
});
