// npm run bench -- [flags]: how does this stack perform on this machine, at each number of API replicas.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, UsageError, formatDuration, parseBenchArgs } from './cli-options.js';
import type { BenchOptions } from './cli-options.js';
import { engineVersion, dockerSocketPath } from './docker-engine.js';
import { StatsSampler, summarizeContainers, summarizeTiers } from './docker-stats.js';
import { apiSettings, machineInfo, versionInfo } from './environment.js';
import { autocannonGenerator, findOnPath, k6Generator } from './load.js';
import type { LoadFigures, LoadGenerator } from './load.js';
import { DEMO_USER, preflight } from './preflight.js';
import type { PreflightCheck } from './preflight.js';
import { Progress } from './progress.js';
import { formatNumber, formatRate, renderSummary, unhealthyRuns, writeReport } from './report.js';
import { summarizeReplicaCount } from './results.js';
import type { BenchResults, ReplicaResult, RunResult } from './results.js';
import { ComposeStack, appContainerIds, detectComposeCommand, projectPublishingPort, waitForRouting } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const K6_SCRIPT = join(REPO_ROOT, 'k6', 'recipes.js');
// `up` returns once migrations ran and the replicas report healthy; HAProxy then needs 2 checks 1 s apart per
// replica. Two minutes leaves room for a slow machine without hiding a replica that never becomes ready.
const ROUTING_TIMEOUT_MS = 2 * 60_000;

function timestampFolder(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  return ['npm run bench', ...(quoted.length > 0 ? ['--', ...quoted] : [])].join(' ');
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolvePort(false);
    });
    socket.once('error', () => resolvePort(false));
  });
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolveClose) => stream.end(() => resolveClose()));
}

interface Bench {
  options: BenchOptions;
  generator: LoadGenerator;
  project: string;
  outDir: string;
  progress: Progress;
  signal: AbortSignal;
}

async function measureReplicaCount(bench: Bench, replicas: number, cookie: string, servedBy: string[]): Promise<ReplicaResult> {
  const { options, generator, progress, outDir, signal } = bench;
  const label = `${replicas} replica${replicas === 1 ? '' : 's'}`;
  // One load of `durationMs`, its generator output in <file>.json and <file>.log.
  const load = (file: string, durationMs: number): Promise<LoadFigures> =>
    generator.run({
      baseUrl: options.baseUrl,
      cookie,
      vus: options.vus,
      durationMs,
      rawPath: join(outDir, `${file}.json`),
      logPath: join(outDir, `${file}.log`),
      signal,
    });
  if (options.warmupMs > 0) {
    await progress.timed(`${label}: warm-up`, options.warmupMs, () => load(`warmup-r${replicas}`, options.warmupMs));
  }
  const runs: RunResult[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    const name = `r${replicas}-run${run}`;
    const statsFile = createWriteStream(join(outDir, `stats-${name}.ndjson`));
    const sampler = new StatsSampler(bench.project, (sample) => statsFile.write(`${JSON.stringify(sample)}\n`));
    await sampler.start();
    let figures: LoadFigures;
    let stats: Awaited<ReturnType<StatsSampler['stop']>>;
    try {
      figures = await progress.timed(`${label}: run ${run}/${options.runs}`, options.durationMs, () =>
        load(`load-${name}`, options.durationMs),
      );
    } finally {
      stats = await sampler.stop();
      await closeStream(statsFile);
    }
    const tiers = summarizeTiers(stats.samples);
    runs.push({
      run,
      load: figures,
      tiers,
      containers: summarizeContainers(stats.samples),
      files: { load: `load-${name}.json`, stats: `stats-${name}.ndjson` },
      samplerErrors: stats.errors,
      hostLoad1m: loadavg()[0] ?? Number.NaN,
    });
    const app = tiers.find((tier) => tier.service === 'app');
    progress.step(
      `${label}: run ${run}: ${formatNumber(figures.requestsPerSecond, 0)} req/s, p99 ${formatNumber(figures.latencyMs.p99)} ms, ` +
        `errors ${formatRate(figures.errorRate)}, app CPU peak ${formatNumber(app?.peakCpuPercent ?? Number.NaN)}%`,
    );
  }
  return summarizeReplicaCount(replicas, servedBy, runs);
}

/** What a bench has set up and measured so far; enough to write a (partial) record at any point. */
interface BenchState {
  argv: readonly string[];
  options: BenchOptions;
  startedAt: Date;
  compose: string[] | null;
  generator?: LoadGenerator;
  outDir?: string;
  project: string;
  replicaCounts: number[];
  preflight: PreflightCheck[];
  results: ReplicaResult[];
}

/** Writes results.json, report.md and chart.svg for what was measured; returns the report's path. */
async function writeRecord(state: BenchState, outDir: string, generator: LoadGenerator, incomplete?: string): Promise<string> {
  const { options } = state;
  const record: BenchResults = {
    ...(incomplete === undefined ? {} : { incomplete }),
    startedAt: state.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: commandLine(state.argv),
    settings: {
      replicas: state.replicaCounts,
      durationS: options.durationMs / 1000,
      warmupS: options.warmupMs / 1000,
      vus: options.vus,
      runs: options.runs,
      baseUrl: options.baseUrl,
      project: state.project,
      stack: options.useRunning ? 'already running' : 'brought up by the bench',
      loadGenerator: generator.version,
      request: 'GET /api/v1/recipes (first page, 100 recipes) with a logged-in session cookie',
      api: await apiSettings(state.project).catch(() => ({})),
    },
    machine: await machineInfo(),
    versions: await versionInfo({ compose: state.compose, project: state.project, loadGenerator: generator.version, cwd: REPO_ROOT }),
    preflight: state.preflight,
    results: state.results,
  };
  await writeReport(outDir, record);
  return join(outDir, 'report.md');
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\nRun \`npm run bench -- --help\` for the flags.\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const state: BenchState = {
    argv,
    options,
    startedAt: new Date(),
    compose: options.composeCmd,
    project: options.project,
    replicaCounts: options.replicas,
    preflight: [],
    results: [],
  };
  const plannedLoadMs = (options.useRunning ? 1 : options.replicas.length) * (options.warmupMs + options.runs * options.durationMs);
  const progress = new Progress(plannedLoadMs);
  const controller = new AbortController();
  let stack: ComposeStack | undefined;
  let composeLog: WriteStream | undefined;

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      process.stderr.write(`\nbench: ${signal} again, exiting now.${stack ? ` The stack may still run: ${stack.describe(['down', '-v'])}` : ''}\n`);
      process.exit(130);
    }
    interrupted = true;
    progress.step(`${signal}: stopping the load${stack ? ' and taking the stack down' : ''}`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    try {
      await engineVersion();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the Docker engine does not answer at ${dockerSocketPath()} (${reason}); start it first`, { cause: error });
    }
    if (state.compose === null) {
      try {
        state.compose = await detectComposeCommand();
      } catch (error) {
        if (!options.useRunning) throw error;
      }
    }

    const k6 = await findOnPath('k6');
    const generator = k6 === undefined ? autocannonGenerator() : await k6Generator(k6, K6_SCRIPT);
    progress.step(`load generator: ${generator.version}${k6 === undefined ? ' (k6 is not on PATH)' : ` (${K6_SCRIPT})`}`);

    if (options.useRunning) {
      const owner = await projectPublishingPort(options.port);
      if (owner === undefined) throw new Error(`--use-running: no container publishes port ${options.port}; start the stack or leave out --use-running`);
      state.project = owner;
      const running = (await appContainerIds(state.project)).length;
      if (running === 0) throw new Error(`--use-running: compose project "${state.project}" on port ${options.port} has no running "app" containers`);
      state.replicaCounts = [running];
      progress.step(`measuring the running stack: project ${state.project}, ${running} API replica(s), ${options.baseUrl}`);
    } else {
      if (state.compose === null) throw new Error('no compose command');
      const owner = await projectPublishingPort(options.port);
      if (owner === undefined ? await portAnswers(options.port) : owner !== state.project) {
        throw new Error(
          `port ${options.port} on 127.0.0.1 is already in use${owner === undefined ? '' : ` by compose project "${owner}"`}; ` +
            `pass --port with a free port (the stack is published there) or --use-running to measure that stack`,
        );
      }
    }

    const outDir = resolve(options.outDir, timestampFolder(state.startedAt));
    await mkdir(outDir, { recursive: true });
    progress.step(`results go to ${relative(process.cwd(), outDir) || '.'}`);
    if (!options.useRunning && state.compose !== null) {
      composeLog = createWriteStream(join(outDir, 'compose.log'));
      stack = new ComposeStack({
        compose: state.compose,
        project: state.project,
        cwd: REPO_ROOT,
        port: options.port,
        seedPassword: DEMO_USER.password,
        log: composeLog,
      });
    }
    state.generator = generator;
    state.outDir = outDir;

    const bench: Bench = { options, generator, project: state.project, outDir, progress, signal: controller.signal };
    for (const [index, replicas] of state.replicaCounts.entries()) {
      if (stack !== undefined) {
        const build = index === 0;
        const upArgs = ['up', '-d', ...(build ? ['--build'] : []), '--scale', `app=${replicas}`];
        progress.step(`${build ? 'building and starting' : 'rescaling'} the stack: ${stack.describe(upArgs)}`);
        await stack.up(replicas, build, controller.signal);
      }
      progress.step(`waiting for HAProxy to route to ${replicas} ready replica(s)`);
      const routing = await waitForRouting(options.baseUrl, replicas, { timeoutMs: ROUTING_TIMEOUT_MS, signal: controller.signal });
      progress.step(`HAProxy routes to ${routing.servedBy.join(', ')} (after ${formatDuration(routing.waitedMs)})`);

      progress.step('preflight: demo login, a full list page, 401 without a session');
      const checked = await preflight(options.baseUrl);
      state.preflight = checked.checks;
      state.results.push(await measureReplicaCount(bench, replicas, checked.cookie, routing.servedBy));
    }

    progress.step('recording machine and versions');
    const report = await writeRecord(state, outDir, generator);
    progress.step(`wrote ${relative(process.cwd(), report)}, results.json and chart.svg`);
    process.stdout.write(`${renderSummary(state.results)}\n\nReport: ${report}\n`);
    // Like a crossed k6 threshold: the figures are recorded, but a run that mostly measured failures fails the bench.
    const unhealthy = state.results.filter((result) => unhealthyRuns(result).length > 0).map((result) => result.replicas);
    if (unhealthy.length > 0) {
      process.stderr.write(`bench: more than 1% of requests failed at ${unhealthy.join(', ')} replica(s); see the report\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    const message = controller.signal.aborted ? 'interrupted' : error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: ${message}\n`);
    if (state.results.length > 0 && state.outDir !== undefined && state.generator !== undefined) {
      try {
        const report = await writeRecord(state, state.outDir, state.generator, message);
        process.stderr.write(`bench: the replica counts measured before that are in ${report} (marked incomplete)\n`);
      } catch (recordError) {
        process.stderr.write(`bench: could not write the partial report: ${String(recordError)}\n`);
      }
    }
    return controller.signal.aborted ? 130 : 1;
  } finally {
    if (stack !== undefined) {
      progress.step(`taking the stack down: ${stack.describe(['down', '-v'])}`);
      try {
        await stack.down();
      } catch (error) {
        process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    if (composeLog !== undefined) await closeStream(composeLog);
  }
}

process.exitCode = await main(process.argv.slice(2));
