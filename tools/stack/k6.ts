// Runs the kit's k6 scripts against a stack: with a k6 binary on this machine, or else in the k6 image that
// compose.yaml pins (its `k6` service), as a one-off container on HAProxy's network.
import { createWriteStream } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { GenericContainer } from 'testcontainers';
import { runCommand, tail } from './processes.js';
import { COMPOSE_DIR, COMPOSE_FILE } from './compose.js';
import { COMPOSE_ONEOFF_LABEL, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, serviceNetwork } from './docker.js';
import { parseK6Summary, type K6Figures } from './k6-summary.js';
import { TimedWaitStrategy } from './wait-strategy.js';
import { withDeadline } from './deadline.js';

/** The folder holding the k6 scripts (k6/recipes.js, k6/open-model.js, k6/mixed.js). */
export const K6_DIR = fileURLToPath(new URL('../../k6/', import.meta.url));

// HAProxy as the k6 container reaches it: compose.yaml's service name and the port it listens on inside the network.
const HAPROXY_IN_NETWORK = 'http://haproxy:8080';
// k6 exits 99 when a threshold was crossed: the run happened and its figures stand, the verdict is "failed".
export const K6_THRESHOLDS_CROSSED = 99;

/** One `k6 run` of a script; files are written into `outDir`. */
export interface K6Run {
  /** File name under k6/, e.g. "recipes.js". */
  script: string;
  /** Script settings (VUS, DURATION, RATE, EMAIL, PASSWORD...); BASE_URL is set by the runner. */
  env: Record<string, string>;
  outDir: string;
  /** `--summary-export` file, under outDir. */
  summaryFile: string;
  /** k6's console output, under outDir. */
  logFile: string;
  /** The web dashboard's HTML report, under outDir; none when left out. */
  dashboardFile?: string;
  /** Every sample as CSV (`--out csv`, millisecond timestamps; gzipped when it ends in .gz), under outDir. */
  csvFile?: string;
  /** The load's planned length (the script's DURATION), for the dashboard's sampling period. */
  durationMs: number;
  /** The longest the run may take, setup and summary included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with the k6 process id when k6 runs on this machine (for CPU sampling). */
  onProcess?: (pid: number) => void;
}

/** How k6 runs: a binary here, or the pinned image in a container. */
export interface K6Runner {
  kind: 'binary' | 'image';
  /** e.g. "k6 v1.8.1 (...)" and where it came from. */
  version: string;
  /** Where the scripts send their requests. */
  baseUrl: string;
  /** Runs one script and reads its summary; throws when k6 itself failed (anything but passed or crossed thresholds). */
  run(run: K6Run): Promise<K6Result>;
}

/** A finished k6 run: whether every threshold held (exit 0) and its figures. */
export interface K6Result {
  thresholdsPassed: boolean;
  figures: K6Figures;
}

/** Absolute path of `command` when it is on PATH. */
export async function findOnPath(command: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Where the load generator comes from: a k6 binary on this machine, or the pinned image (present or pulled). */
export type K6Source = { kind: 'binary'; path: string } | { kind: 'image'; image: string };

/** Neither way of running k6 works; the message names both ways to get one. */
export class K6UnavailableError extends Error {
  override name = 'K6UnavailableError';
}

/**
 * Decides how k6 runs before anything is started: k6 on PATH, else the image compose.yaml pins, pulled when it is
 * missing (as compose would). Throws K6UnavailableError naming both ways to get k6 when neither works.
 */
export async function chooseK6Source(options: {
  path?: string;
  image: string;
  imagePresent: (image: string) => Promise<boolean>;
  pullImage: (image: string) => Promise<void>;
  announce?: (message: string) => void;
}): Promise<K6Source> {
  const onPath = await findOnPath('k6', options.path);
  if (onPath !== undefined) return { kind: 'binary', path: onPath };
  if (await options.imagePresent(options.image)) return { kind: 'image', image: options.image };
  options.announce?.(`no k6 on PATH and no ${options.image} here: pulling it`);
  try {
    await options.pullImage(options.image);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new K6UnavailableError(
      `no load generator: k6 is not on PATH, and the image ${options.image} is not here and could not be pulled (${reason.split('\n')[0]}). ` +
        `Either put a k6 binary on PATH (a release from https://github.com/grafana/k6/releases, or \`go install go.k6.io/k6@v${options.image.split(':')[1] ?? 'latest'}\`), ` +
        `or make the image available to Docker (\`docker pull ${options.image}\`, or \`docker tag <a local k6 image> ${options.image}\`).`,
    );
  }
  return { kind: 'image', image: options.image };
}

/** The k6 image compose.yaml pins for its `k6` service, e.g. "grafana/k6:1.8.1". */
export async function pinnedK6Image(composeFile = join(COMPOSE_DIR, COMPOSE_FILE)): Promise<string> {
  const match = /^\s*image:\s*["']?(grafana\/k6:[^\s"'#]+)/m.exec(await readFile(composeFile, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no "image: grafana/k6:<tag>" line in ${composeFile}`);
  return match[1];
}

/**
 * The web dashboard writes its HTML report at the end and opens no port (-1). It aggregates per period and writes a
 * report only after two periods (k6's default period is 10 s); one period per 30 s of run, at least 1 s, gives every
 * run of 2 s or more its report with about 30 points per chart.
 */
export function dashboardEnv(dashboardPath: string | undefined, durationMs: number): Record<string, string> {
  if (dashboardPath === undefined) return {};
  const periodS = Math.max(1, Math.round(durationMs / 30_000));
  return { K6_WEB_DASHBOARD: 'true', K6_WEB_DASHBOARD_PORT: '-1', K6_WEB_DASHBOARD_PERIOD: `${periodS}s`, K6_WEB_DASHBOARD_EXPORT: dashboardPath };
}

/** `k6 run` options for the run's files, with `dir` being where outDir is seen by k6. */
function runArgs(run: K6Run, dir: string, scriptDir: string): string[] {
  return [
    'run', '--quiet', '--no-color', '--summary-export', `${dir}/${run.summaryFile}`,
    ...(run.csvFile === undefined ? [] : ['--out', `csv=${dir}/${run.csvFile}`]),
    `${scriptDir}/${run.script}`,
  ];
}

/** The run's k6 settings beside the script's own: the dashboard's, and millisecond timestamps in the CSV. */
function runEnv(run: K6Run, dir: string, baseUrl: string): Record<string, string> {
  return {
    ...run.env,
    BASE_URL: baseUrl,
    ...dashboardEnv(run.dashboardFile && `${dir}/${run.dashboardFile}`, run.durationMs),
    ...(run.csvFile === undefined ? {} : { K6_CSV_TIME_FORMAT: 'unix_milli' }),
  };
}

/** Reads the summary of a run that exited `code`; throws with k6's last lines when k6 itself failed. */
async function finish(code: number | null, run: K6Run, what: string, output: string): Promise<K6Result> {
  if (code !== 0 && code !== K6_THRESHOLDS_CROSSED) throw new Error(`${what} failed (exit ${code}):\n${tail(output)}`);
  const summary: unknown = JSON.parse(await readFile(join(run.outDir, run.summaryFile), 'utf8'));
  return { thresholdsPassed: code === 0, figures: parseK6Summary(summary) };
}

/** k6 on this machine, sending to `baseUrl` (HAProxy's published port). */
export async function binaryK6(k6Path: string, baseUrl: string): Promise<K6Runner> {
  const version = await runCommand(k6Path, ['version'], { timeoutMs: 15_000 });
  if (version.code !== 0) throw new Error(`${k6Path} version failed:\n${tail(version.output)}`);
  return {
    kind: 'binary',
    version: `${version.output.trim().split('\n')[0] ?? 'k6'} (${k6Path})`,
    baseUrl,
    async run(run) {
      const log = createWriteStream(join(run.outDir, run.logFile));
      const result = await runCommand(k6Path, runArgs(run, run.outDir, K6_DIR.replace(/\/$/, '')), {
        env: { ...process.env, ...runEnv(run, run.outDir, baseUrl) },
        log,
        timeoutMs: run.timeoutMs,
        ...(run.signal === undefined ? {} : { signal: run.signal }),
        ...(run.onProcess === undefined ? {} : { onSpawn: run.onProcess }),
      });
      await new Promise((resolve) => log.end(resolve));
      run.signal?.throwIfAborted();
      return finish(result.code, run, `k6 run ${run.script}`, result.output);
    },
  };
}

/**
 * k6 from `image` in a one-off container (testcontainers' GenericContainer) on HAProxy's network (edge, which the data
 * tier is not on), sending to HAProxy by service name: `network` when given, else the network of the project's haproxy
 * container. The container counts as the project's `k6` service (compose's labels), so the bench's resource sampling
 * includes it.
 */
export async function imageK6(image: string, project: string, network?: string): Promise<K6Runner> {
  // Asked before the stack exists (the bench settles its generator first), so on no network.
  const printed = await runK6Container({ project, image, network: 'none' }, { command: ['version'], env: {}, binds: [], timeoutMs: 60_000 });
  if (printed.code !== 0) throw new Error(`k6 version in ${image} failed (exit ${printed.code}): ${printed.output}`);
  return {
    kind: 'image',
    version: `${printed.output.trim().split('\n')[0] ?? 'k6'} (image ${image})`,
    baseUrl: HAPROXY_IN_NETWORK,
    async run(run) {
      const oneOff: OneOffK6 = { project, image, network: network ?? (await serviceNetwork(project, 'haproxy')) };
      const log = createWriteStream(join(run.outDir, run.logFile));
      const { code, output } = await runK6Container(oneOff, {
        command: runArgs(run, '/results', '/scripts'),
        env: runEnv(run, '/results', HAPROXY_IN_NETWORK),
        binds: [
          { source: K6_DIR, target: '/scripts', mode: 'ro' },
          { source: run.outDir, target: '/results', mode: 'rw' },
        ],
        timeoutMs: run.timeoutMs,
        log,
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      });
      await new Promise((resolve) => log.end(resolve));
      run.signal?.throwIfAborted();
      return finish(code, run, `k6 run ${run.script} in ${image}`, output);
    },
  };
}

/** Host folders bound into the k6 container, as GenericContainer takes them. */
type BindMount = Parameters<GenericContainer['withBindMounts']>[0][number];

interface OneOffK6 {
  project: string;
  image: string;
  network: string;
}

// A container's last log lines arrive within milliseconds of its exit; seconds mean the log stream was lost.
const LOG_DRAIN_MS = 10_000;

/** Starts the k6 image with `command`, waits for it to exit and removes it; returns its exit code and output. */
async function runK6Container(
  oneOff: OneOffK6,
  options: { command: string[]; env: Record<string, string>; binds: BindMount[]; timeoutMs: number; log?: Writable; signal?: AbortSignal },
): Promise<{ code: number; output: string }> {
  const exited = new ExitWaitStrategy(options.signal).withStartupTimeout(options.timeoutMs);
  let output = '';
  let logsEnded: Promise<void> = Promise.resolve();
  const container = await new GenericContainer(oneOff.image)
    .withCommand(options.command)
    .withEnvironment(options.env)
    .withBindMounts(options.binds)
    .withNetworkMode(oneOff.network)
    // Files it writes into bound folders belong to the caller.
    .withUser(`${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`)
    .withLabels({ [COMPOSE_PROJECT_LABEL]: oneOff.project, [COMPOSE_SERVICE_LABEL]: 'k6', [COMPOSE_ONEOFF_LABEL]: 'True' })
    .withLogConsumer((stream) => {
      stream.on('data', (chunk: string) => {
        output += chunk;
        options.log?.write(chunk);
      });
      logsEnded = new Promise((resolve) => stream.once('end', resolve).once('error', () => resolve()));
    })
    .withWaitStrategy(exited)
    .start();
  try {
    // testcontainers unrefs the log stream's socket: once the container has exited nothing else keeps Node running, and
    // waiting for the last lines on that socket alone could end the process (exit code 13) instead. A timer does.
    await withDeadline(LOG_DRAIN_MS, () => logsEnded).catch(() => {
      output += `\n(the container's log did not end within ${LOG_DRAIN_MS / 1000} s of its exit)\n`;
    });
    return { code: exited.exitCode, output };
  } finally {
    await container.stop({ remove: true });
  }
}

/**
 * "Started" for a one-off container means "finished": waits until the container exits and keeps its exit code (k6's
 * 99, thresholds crossed, is a result, not a failure to start). Stops it with SIGINT when `signal` aborts, as Ctrl-C
 * would, and gives up after the startup timeout.
 */
class ExitWaitStrategy extends TimedWaitStrategy {
  exitCode = -1;
  readonly #signal: AbortSignal | undefined;

  constructor(signal?: AbortSignal) {
    super(60_000);
    this.#signal = signal;
  }

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const interrupt = (): void => void container.kill({ signal: 'SIGINT' }).catch(() => undefined);
    this.#signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const limitMs = this.startupTimeoutMs;
      const timedOut = AbortSignal.timeout(limitMs);
      const result = (await Promise.race([
        container.wait(),
        new Promise((_, reject) => timedOut.addEventListener('abort', () => reject(new Error(`k6 did not exit within ${limitMs / 1000} s`)), { once: true })),
      ])) as { StatusCode: number };
      this.exitCode = result.StatusCode;
    } finally {
      this.#signal?.removeEventListener('abort', interrupt);
    }
  }
}

/** A runner of the chosen k6 for one stack: the binary sends to `baseUrl`, the image joins `project`'s network. */
export function k6Runner(source: K6Source, target: { baseUrl: string; project: string }): Promise<K6Runner> {
  return source.kind === 'binary' ? binaryK6(source.path, target.baseUrl) : imageK6(source.image, target.project);
}
