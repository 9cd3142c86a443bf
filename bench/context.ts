// Step 1 of a bench: everything settled before a container starts. The engine answers, the compose command and the
// load generator are known, each stack to measure has its project, port and settings, and the results folder exists.
// The context is frozen: later steps read it and never fill it in.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_SERVICE,
  ComposeProject,
  chooseK6Source,
  demoUser,
  detectComposeCli,
  engineVersion,
  imagePresent,
  k6Runner,
  pinnedK6Image,
  projectContainers,
  projectPublishingPort,
  pullImage,
  tcpAccepts,
  temporarySecrets,
  type ComposeCli,
  type K6Runner,
  type TemporarySecrets,
} from '../tools/stack/index.js';
import type { BenchOptions, Settings } from './cli-options.js';
import type { Progress } from './progress.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One stack the bench measures: the only one, or side A or B of a comparison. */
export interface Target {
  /** "a" or "b" in a comparison. */
  readonly side?: 'a' | 'b';
  readonly project: string;
  readonly port: number;
  readonly baseUrl: string;
  /** Settings passed to compose on top of this process's environment (a comparison's side). */
  readonly settings: Settings;
  /** The stack the bench brings up and takes down; undefined with --use-running. */
  readonly stack?: ComposeProject;
  /** The secret files of the stack the bench brings up, removed with it. */
  readonly secrets?: TemporarySecrets;
  /** Whether bringing it up builds the API image: not when APP_IMAGE names another image, nor twice in one bench. */
  readonly build: boolean;
  readonly k6: K6Runner;
}

/** What every later step reads. */
export interface BenchContext {
  readonly argv: readonly string[];
  readonly options: BenchOptions;
  readonly startedAt: Date;
  readonly progress: Progress;
  /** Aborts on Ctrl-C. */
  readonly signal: AbortSignal;
  readonly outDir: string;
  readonly compose: ComposeCli | null;
  readonly composeLog?: WriteStream;
  /** The replica counts measured, in order (the running stack's count with --use-running). */
  readonly replicas: readonly number[];
  readonly targets: readonly Target[];
  readonly loadGenerator: string;
}

function timestampFolder(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The running stack --use-running measures: the project publishing the port, and its replica count. */
async function runningStack(options: BenchOptions): Promise<{ project: string; replicas: number }> {
  const owner = await projectPublishingPort(options.port);
  if (owner === undefined) throw new Error(`--use-running: no container publishes port ${options.port}; start the stack or leave out --use-running`);
  const running = (await projectContainers(owner, { service: APP_SERVICE })).length;
  if (running === 0) throw new Error(`--use-running: compose project "${owner}" on port ${options.port} has no running "app" containers`);
  return { project: owner, replicas: running };
}

/** Refuses a port another stack or program holds (a leftover stack of the same project is brought up again). */
async function ensurePortFree(port: number, project: string): Promise<void> {
  const owner = await projectPublishingPort(port);
  if (owner === undefined ? await tcpAccepts('127.0.0.1', port, 2_000) : owner !== project) {
    throw new Error(
      `port ${port} on 127.0.0.1 is already in use${owner === undefined ? '' : ` by compose project "${owner}"`}; ` +
        'pass --port with a free port (the stack is published there) or --use-running to measure that stack',
    );
  }
}

/** The stacks to bring up: one, or A and B of a comparison on two projects and two ports. */
function plannedStacks(options: BenchOptions): Array<{ side?: 'a' | 'b'; project: string; port: number; settings: Settings }> {
  if (options.compare === null) return [{ project: options.project, port: options.port, settings: {} }];
  return [
    { side: 'a', project: `${options.project}-a`, port: options.port, settings: options.compare.a },
    { side: 'b', project: `${options.project}-b`, port: options.port + 1, settings: options.compare.b },
  ];
}

/** An API image a side names with APP_IMAGE must be here: the bench never builds over it, and cannot pull it. */
async function ensureAppImages(stacks: ReadonlyArray<{ side?: 'a' | 'b'; settings: Settings }>): Promise<void> {
  for (const { side, settings } of stacks) {
    const image = settings.APP_IMAGE;
    if (image !== undefined && image !== '' && !(await imagePresent(image))) {
      throw new Error(`--compare ${side?.toUpperCase() ?? ''}: APP_IMAGE=${image} is not an image of this engine; build or pull it first (the bench does not build it)`);
    }
  }
}

/** Settles everything before the first container starts; throws when a stack could not be measured. */
export async function prepare(argv: readonly string[], options: BenchOptions, progress: Progress, signal: AbortSignal): Promise<BenchContext> {
  await engineVersion();
  let compose = options.composeCmd;
  if (compose === null && !options.useRunning) compose = await detectComposeCli();
  const k6Source = await chooseK6Source({ image: await pinnedK6Image(), imagePresent, pullImage, announce: (message) => progress.step(message) });

  const running = options.useRunning ? await runningStack(options) : undefined;
  const stacks = running === undefined ? plannedStacks(options) : [{ project: running.project, port: options.port, settings: {} }];
  if (running === undefined) {
    for (const stack of stacks) await ensurePortFree(stack.port, stack.project);
    await ensureAppImages(stacks);
  }

  const startedAt = new Date();
  const outDir = resolve(options.outDir, timestampFolder(startedAt));
  await mkdir(outDir, { recursive: true });
  progress.step(`results go to ${relative(process.cwd(), outDir) || '.'}`);
  const composeLog = compose === null || running !== undefined ? undefined : createWriteStream(join(outDir, 'compose.log'));

  let built = false;
  const targets: Target[] = [];
  for (const planned of stacks) {
    const baseUrl = `http://127.0.0.1:${planned.port}`;
    const ownImage = (planned.settings.APP_IMAGE ?? '') !== '';
    const build: boolean = running === undefined && !ownImage && !built;
    built ||= build;
    const bringsUp = running === undefined && compose !== null;
    // The stack's secret files: the seed's demo password is the one k6 logs in with, the others random.
    const secrets = bringsUp ? await temporarySecrets(planned.project, { seed_password: demoUser().password }) : undefined;
    const stack =
      compose === null || secrets === undefined
        ? undefined
        : new ComposeProject({
            cli: compose,
            name: planned.project,
            cwd: REPO_ROOT,
            // compose.yaml publishes HAProxy on 127.0.0.1:${HAPROXY_PORT} and reads the passwords from SECRETS_DIR.
            env: { ...planned.settings, HAPROXY_PORT: String(planned.port), SECRETS_DIR: secrets.dir },
            ...(composeLog === undefined ? {} : { log: composeLog }),
          });
    const k6 = await k6Runner(k6Source, { baseUrl: options.useRunning ? options.baseUrl : baseUrl, project: planned.project });
    targets.push(
      Object.freeze({
        ...planned,
        baseUrl: options.useRunning ? options.baseUrl : baseUrl,
        build,
        k6,
        ...(stack === undefined ? {} : { stack }),
        ...(secrets === undefined ? {} : { secrets }),
      }),
    );
  }
  const loadGenerator = targets[0]?.k6.version ?? 'none';
  progress.step(`load generator: ${loadGenerator}${k6Source.kind === 'image' ? ' (no k6 on PATH)' : ''}`);
  if (running !== undefined) progress.step(`measuring the running stack: project ${running.project}, ${running.replicas} API replica(s), ${options.baseUrl}`);

  return Object.freeze({
    argv: Object.freeze([...argv]),
    options,
    startedAt,
    progress,
    signal,
    outDir,
    compose,
    ...(composeLog === undefined ? {} : { composeLog }),
    replicas: Object.freeze(running === undefined ? [...options.replicas] : [running.replicas]),
    targets: Object.freeze(targets),
    loadGenerator,
  });
}
