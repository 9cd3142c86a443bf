import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { COMPOSE_DIR, ComposeProject, docker, projectContainers, projectLeftovers } from '../../tools/stack/index.js';
import { STACK_UP } from '../global-setup.js';

// A test run killed with SIGKILL cannot take its stack down: testcontainers' reaper (Ryuk) must. It removes what its
// clients registered once the last of them has been disconnected for its reconnection timeout (10 s by default).
// The suite's own build and start take minutes here; the reaper then gets 2 minutes to finish.
const STACK_UP_TIMEOUT_MS = 15 * 60_000;
const REAPED_TIMEOUT_MS = 2 * 60_000;
// Tests are running when the suite is killed: the kill lands in the middle of the suite, not in its setup.
const RUNNING_BEFORE_KILL_MS = 5_000;

let suite: ChildProcess | undefined;
let project: string | undefined;

/** Starts `npm run test:e2e` in a process group of its own; resolves with its project once its stack is up. */
function startSuite(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'test:e2e'], { cwd: COMPOSE_DIR, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    suite = child;
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the e2e suite printed no "${STACK_UP}" line within ${STACK_UP_TIMEOUT_MS / 60_000} min:\n${output.slice(-3000)}`)), STACK_UP_TIMEOUT_MS);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const match = new RegExp(`${STACK_UP} (\\S+)`).exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the e2e suite exited (${code ?? signal}) before its stack was up:\n${output.slice(-3000)}`));
    });
  });
}

/** What is left of `name` once nothing is left, or what was still there after `timeoutMs`. */
async function leftoversAfter(name: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await projectLeftovers(name);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

afterAll(async () => {
  if (suite?.pid !== undefined && suite.exitCode === null && suite.signalCode === null) process.kill(-suite.pid, 'SIGKILL');
  // When the reaper failed, the machine still gets its engine back as it was; compose leaves the k6 one-offs.
  if (project !== undefined && (await projectLeftovers(project)).length > 0) {
    for (const container of await projectContainers(project, { all: true })) await docker().getContainer(container.Id).remove({ force: true });
    await new ComposeProject({ cli: ['docker', 'compose'], name: project, cwd: COMPOSE_DIR }).down();
  }
});

test('a suite killed with SIGKILL while its tests run leaves no container, network or volume of its project', async () => {
  project = await startSuite();
  await new Promise((resolve) => setTimeout(resolve, RUNNING_BEFORE_KILL_MS));
  const running = await projectLeftovers(project);
  expect(running.filter((thing) => thing.startsWith('container')).length).toBeGreaterThanOrEqual(6);
  expect(running.some((thing) => thing.startsWith('network'))).toBe(true);
  expect(running.some((thing) => thing.startsWith('volume'))).toBe(true);

  const pid = suite?.pid ?? 0;
  const exited = new Promise((resolve) => suite?.once('exit', resolve));
  // The whole process group: vitest, its test workers and any compose command they run, with no chance to clean up.
  process.kill(-pid, 'SIGKILL');
  await exited;
  const killedAt = Date.now();
  console.log(`reaper: killed the e2e suite with ${running.length} things of ${project} up: ${running.join('; ')}`);

  const left = await leftoversAfter(project, REAPED_TIMEOUT_MS);
  console.log(`reaper: ${left.length === 0 ? 'nothing' : left.join('; ')} left ${Math.round((Date.now() - killedAt) / 1000)} s after the kill`);
  expect(left).toEqual([]);
});
