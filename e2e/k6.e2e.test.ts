import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binaryK6, docker, findOnPath, imageK6, pinnedK6Image, runCommand, type K6Runner } from '../tools/stack/index.js';
import { stackInfo } from './support/stack.js';

// The kit's k6 scripts, each run for a few seconds against the stack with its own checks and thresholds: every k6
// binary listed in K6_BINARIES (CI lists the oldest and the newest k6 it supports), else the `k6` on PATH, and the
// k6 image compose.yaml pins, in a container on the stack's network. Either one missing skips its tests, except in
// CI (CI=true), where it fails naming what is missing: a file that passes with zero tests proved nothing.
const stack = stackInfo();
const IN_CI = process.env.CI === 'true';
const SHORT = { durationMs: 5_000, timeoutMs: 2 * 60_000 };
// Small loads: this proves the scripts and the stack agree, the bench measures.
const SCRIPTS: Array<{ script: string; env: Record<string, string>; mixed: boolean }> = [
  { script: 'recipes.js', env: { VUS: '10' }, mixed: false },
  { script: 'open-model.js', env: { RATE: '20' }, mixed: false },
  { script: 'mixed.js', env: { VUS: '10' }, mixed: true },
  { script: 'open-model.js', env: { RATE: '20', MIX: 'mixed' }, mixed: true },
];

async function binaries(): Promise<string[]> {
  const listed = (process.env.K6_BINARIES ?? '').split(delimiter).filter((path) => path !== '');
  if (listed.length > 0) return listed;
  const onPath = await findOnPath('k6');
  return onPath === undefined ? [] : [onPath];
}

const k6Binaries = await binaries();
const k6Image = await pinnedK6Image();
const imagePresent = await docker()
  .getImage(k6Image)
  .inspect()
  .then(() => true, () => false);

let outDir = '';
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'recipes-e2e-k6-'));
});
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

async function expectScriptsPass(runner: K6Runner, label: string): Promise<void> {
  for (const [index, { script, env, mixed }] of SCRIPTS.entries()) {
    const name = `${label}-${index}`;
    const result = await runner.run({
      script,
      env: { ...env, DURATION: '5s', EMAIL: stack.demo.email, PASSWORD: stack.demo.password },
      outDir,
      summaryFile: `${name}.json`,
      logFile: `${name}.log`,
      ...SHORT,
    });
    const { figures } = result;
    expect({ script, env, crossed: figures.crossedThresholds }).toEqual({ script, env, crossed: [] });
    expect(result.thresholdsPassed).toBe(true);
    expect(figures.requests).toBeGreaterThan(20);
    expect(figures.checks.fails).toBe(0);
    expect(figures.droppedIterations).toBe(0);
    // The mixed load reports latency per kind of operation.
    expect(figures.operations.map((op) => op.op)).toEqual(mixed ? ['delete', 'read', 'write'] : []);
  }
}

/** In CI, a test that fails with `missing`; elsewhere nothing (the describe block is skipped). */
function failInCi(missing: string): void {
  test('k6 is there to test with', () => {
    throw new Error(`CI=true, but ${missing}`);
  });
}

describe.skipIf(k6Binaries.length === 0 && !IN_CI)('k6 scripts on every k6 binary given', () => {
  if (k6Binaries.length === 0) failInCi('no k6 binary: K6_BINARIES is empty and there is no k6 on PATH');
  test.each(k6Binaries)('%s runs recipes.js, open-model.js and mixed.js with every check and threshold passing', async (path) => {
    const runner = await binaryK6(path, stack.baseUrl);
    await expectScriptsPass(runner, `binary-${k6Binaries.indexOf(path)}`);
  });
});

describe.skipIf(!imagePresent && !IN_CI)(`k6 scripts in the pinned image (${k6Image})`, () => {
  if (!imagePresent) failInCi(`the image ${k6Image} (compose.yaml's k6 service) is not on this engine: build it with infra/offline/setup.sh (K6_BIN) or pull it`);
  test.runIf(imagePresent)('runs every script on the stack network against HAProxy by service name', async () => {
    const runner = await imageK6(k6Image, stack.project, stack.network);
    expect(runner.baseUrl).toBe('http://haproxy:8080');
    await expectScriptsPass(runner, 'image');
  });

  test.runIf(imagePresent)('settles in a process where nothing else keeps Node running, as in the bench', async () => {
    // Under vitest other handles keep the event loop alive; the bench's own process has none while it asks the image
    // for its version, and a wait on the container's (unref'd) log stream alone once ended it with exit code 13.
    const script = `import { imageK6 } from ${JSON.stringify(new URL('../tools/stack/index.ts', import.meta.url).pathname)};
      for (let i = 0; i < 3; i += 1) console.log((await imageK6(${JSON.stringify(k6Image)}, ${JSON.stringify(stack.project)})).version);`;
    const result = await runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeoutMs: 2 * 60_000 });
    expect({ code: result.code, lines: result.output.trim().split('\n').filter((line) => line.startsWith('k6 v')).length }).toEqual({ code: 0, lines: 3 });
  });
});
