// npm run bench -- [flags]: how fast is this stack on this machine, at each number of API replicas, and where does
// each request's CPU go. Orchestration only: the stack operations are in tools/stack, the figures in this folder.
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_SERVICE,
  ComposeProject,
  binaryK6,
  demoUser,
  detectComposeCli,
  engineVersion,
  findOnPath,
  injectFault,
  queryStack,
  tcpAccepts,
  imageK6,
  login,
  pinnedK6Image,
  projectContainers,
  projectPublishingPort,
  temporarySecrets,
  waitForRouting,
  type ComposeCli,
  type Fault,
  type FaultMarks,
  type K6Run,
  type K6Runner,
  type TemporarySecrets,
} from '../tools/stack/index.js';
import { measureCeiling } from './ceiling.js';
import { USAGE, UsageError, formatDuration, parseBenchArgs } from './cli-options.js';
import type { BenchOptions } from './cli-options.js';
import { StatsSampler, summarizeContainers, summarizeTiers, withCpuPerRequest } from './docker-stats.js';
import { apiSettings, machineInfo, versionInfo } from './environment.js';
import { accountWrites, analyzeFault, readK6Csv } from './fault-timeline.js';
import { preflight } from './preflight.js';
import type { PreflightCheck } from './preflight.js';
import { Progress } from './progress.js';
import { formatNumber, formatRate, renderFaults, renderOpenSummary, renderSummary, unhealthyRuns, writeReport } from './report.js';
import { summarizeReplicaCount } from './results.js';
import type { BenchResults, FaultRunResult, OpenRunResult, ReplicaResult, RunResult, Scenario } from './results.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
// `up` returns once migrations ran and the replicas report healthy; HAProxy then needs 2 checks 1 s apart per
// replica. Two minutes leaves room for a slow machine without hiding a replica that never becomes ready.
const ROUTING_TIMEOUT_MS = 2 * 60_000;
// k6's setup (one login), graceful stop and summary take seconds; anything longer is a hung run.
const K6_OVERHEAD_MS = 2 * 60_000;
// The closed-model script of each scenario; the open-model runs use k6/open-model.js with MIX set to the scenario.
const CLOSED_SCRIPT: Record<Scenario, string> = { read: 'recipes.js', mixed: 'mixed.js' };
const REQUEST: Record<Scenario, string> = {
  read: 'GET /api/v1/recipes (first page, 100 recipes) with a logged-in session cookie (k6/recipes.js)',
  mixed: '75% reads (list, detail), 20% writes (create, update), 5% deletes of own recipes, logged in (k6/mixed.js)',
};

/** What a bench has set up and measured so far; enough to write a (partial) record at any point. */
interface Bench {
  argv: readonly string[];
  options: BenchOptions;
  startedAt: Date;
  progress: Progress;
  signal: AbortSignal;
  compose: ComposeCli | null;
  project: string;
  replicaCounts: number[];
  outDir?: string;
  /** The stack the bench brought up (and takes down); undefined with --use-running. */
  stack?: ComposeProject;
  /** The secret files of the stack the bench brought up, removed with it. */
  secrets?: TemporarySecrets;
  composeLog?: WriteStream;
  k6?: K6Runner;
  preflight: PreflightCheck[];
  results: ReplicaResult[];
  faults: FaultRunResult[];
}

function timestampFolder(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  return ['npm run bench', ...(quoted.length > 0 ? ['--', ...quoted] : [])].join(' ');
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolveClose) => stream.end(() => resolveClose()));
}

/** Step 1: the engine answers, the compose command is known, and the stack to measure is settled. */
async function prepare(bench: Bench): Promise<void> {
  const { options, progress } = bench;
  await engineVersion();
  if (bench.compose === null) {
    try {
      bench.compose = await detectComposeCli();
    } catch (error) {
      if (!options.useRunning) throw error;
    }
  }
  const owner = await projectPublishingPort(options.port);
  if (options.useRunning) {
    if (owner === undefined) throw new Error(`--use-running: no container publishes port ${options.port}; start the stack or leave out --use-running`);
    bench.project = owner;
    const running = (await projectContainers(owner, { service: APP_SERVICE })).length;
    if (running === 0) throw new Error(`--use-running: compose project "${owner}" on port ${options.port} has no running "app" containers`);
    bench.replicaCounts = [running];
    progress.step(`measuring the running stack: project ${owner}, ${running} API replica(s), ${options.baseUrl}`);
  } else if (owner === undefined ? await tcpAccepts('127.0.0.1', options.port, 2_000) : owner !== bench.project) {
    throw new Error(
      `port ${options.port} on 127.0.0.1 is already in use${owner === undefined ? '' : ` by compose project "${owner}"`}; ` +
        `pass --port with a free port (the stack is published there) or --use-running to measure that stack`,
    );
  }
  const outDir = resolve(options.outDir, timestampFolder(bench.startedAt));
  await mkdir(outDir, { recursive: true });
  bench.outDir = outDir;
  progress.step(`results go to ${relative(process.cwd(), outDir) || '.'}`);
  if (!options.useRunning && bench.compose !== null) {
    bench.composeLog = createWriteStream(join(outDir, 'compose.log'));
    // The stack's secret files: the seed's demo password is the one k6 logs in with, the others random.
    bench.secrets = await temporarySecrets(bench.project, { seed_password: demoUser().password });
    bench.stack = new ComposeProject({
      cli: bench.compose,
      name: bench.project,
      cwd: REPO_ROOT,
      // compose.yaml publishes HAProxy on 127.0.0.1:${HAPROXY_PORT} and reads the passwords from SECRETS_DIR.
      env: { HAPROXY_PORT: String(options.port), SECRETS_DIR: bench.secrets.dir },
      log: bench.composeLog,
    });
  }
}

/** Step 2: the stack runs `replicas` API containers and HAProxy routes to all of them; returns their names. */
async function deploy(bench: Bench, replicas: number, first: boolean): Promise<string[]> {
  const { stack, progress, options, signal } = bench;
  if (stack !== undefined) {
    progress.step(`${first ? 'building and starting' : 'rescaling'} the stack: ${stack.describe(stack.upArgs(replicas, first))}`);
    await (first ? stack.up(replicas, signal) : stack.scale(replicas, signal));
  }
  progress.step(`waiting for HAProxy to route to ${replicas} ready replica(s)`);
  const routing = await waitForRouting(options.baseUrl, replicas, { timeoutMs: ROUTING_TIMEOUT_MS, signal });
  progress.step(`HAProxy routes to ${routing.servedBy.join(', ')} (after ${formatDuration(routing.waitedMs)})`);
  progress.step('preflight: demo login, a full list page, 401 without a session');
  bench.preflight = await preflight(options.baseUrl, demoUser());
  return routing.servedBy;
}

/** k6 on PATH when there is one, else the k6 image compose.yaml pins, on the stack's network. */
async function chooseK6(bench: Bench): Promise<K6Runner> {
  const onPath = await findOnPath('k6');
  const k6 = onPath === undefined ? await imageK6(await pinnedK6Image(), bench.project) : await binaryK6(onPath, bench.options.baseUrl);
  bench.progress.step(`load generator: ${k6.version}${onPath === undefined ? ' (no k6 on PATH)' : ''}`);
  return k6;
}

/** A k6 run of the bench: the script's settings with the demo user and the duration, files under the results folder. */
function benchRun(bench: Bench, script: string, env: Record<string, string>, durationMs: number, name: string): K6Run {
  const user = demoUser();
  return {
    script,
    env: { ...env, DURATION: formatDuration(durationMs), EMAIL: user.email, PASSWORD: user.password },
    outDir: bench.outDir as string,
    summaryFile: `k6-${name}.json`,
    logFile: `k6-${name}.log`,
    durationMs,
    timeoutMs: durationMs + K6_OVERHEAD_MS,
    signal: bench.signal,
  };
}

/** Unmeasured load with the scenario's closed-model script, so the runs after it meet warm caches and pools. */
async function warmUp(bench: Bench, k6: K6Runner, replicas: number): Promise<void> {
  const { options } = bench;
  await bench.progress.timed(`${replicas} replica(s): warm-up`, options.warmupMs, () =>
    k6.run(benchRun(bench, CLOSED_SCRIPT[options.scenario], { VUS: String(options.vus) }, options.warmupMs, `warmup-r${replicas}`)),
  );
}

/** One k6 run of `durationMs`, with every container (and a k6 process on this machine) sampled each second. */
async function measure(
  bench: Bench,
  k6: K6Runner,
  name: string,
  script: string,
  env: Record<string, string>,
  durationMs: number,
  extra: { csvFile?: string; during?: () => Promise<void> } = {},
): Promise<Omit<RunResult, 'run'>> {
  const outDir = bench.outDir as string;
  const statsFile = createWriteStream(join(outDir, `stats-${name}.ndjson`));
  const sampler = new StatsSampler(bench.project, (sample) => statsFile.write(`${JSON.stringify(sample)}\n`));
  const files = { summary: `k6-${name}.json`, log: `k6-${name}.log`, stats: `stats-${name}.ndjson`, dashboard: `k6-${name}.html` };
  await sampler.start();
  let result;
  let stats;
  try {
    [result] = await Promise.all([
      k6.run({
        ...benchRun(bench, script, env, durationMs, name),
        dashboardFile: files.dashboard,
        ...(extra.csvFile === undefined ? {} : { csvFile: extra.csvFile }),
        onProcess: (pid) => sampler.watchProcess(pid, 'k6', 'k6 (this machine)'),
      }),
      extra.during?.(),
    ]);
  } finally {
    stats = await sampler.stop();
    await closeStream(statsFile);
  }
  return {
    load: result.figures,
    thresholdsPassed: result.thresholdsPassed,
    tiers: withCpuPerRequest(summarizeTiers(stats.samples), result.figures),
    containers: summarizeContainers(stats.samples),
    files,
    samplerErrors: stats.errors,
    hostLoad1m: loadavg()[0] ?? Number.NaN,
  };
}

/** Step 3: warm-up, the closed-model runs, then the open-model runs at fractions of what the closed ones served. */
async function measureReplicaCount(bench: Bench, k6: K6Runner, replicas: number, servedBy: string[]): Promise<ReplicaResult> {
  const { options, progress } = bench;
  const label = `${replicas} replica${replicas === 1 ? '' : 's'}`;
  const closed = { script: CLOSED_SCRIPT[options.scenario], env: { VUS: String(options.vus) } };
  if (options.warmupMs > 0) await warmUp(bench, k6, replicas);
  const runs: RunResult[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    const measured = await progress.timed(`${label}: closed model, run ${run}/${options.runs}`, options.durationMs, () =>
      measure(bench, k6, `r${replicas}-run${run}`, closed.script, closed.env, options.durationMs),
    );
    runs.push({ run, ...measured });
    const app = measured.tiers.find((tier) => tier.service === APP_SERVICE);
    progress.step(
      `${label}: run ${run}: ${formatNumber(measured.load.requestsPerSecond, 0)} req/s, p99 ${formatNumber(measured.load.latencyMs.p99)} ms, ` +
        `errors ${formatRate(measured.load.errorRate)}, app CPU mean ${formatNumber(app?.meanCpuPercent ?? Number.NaN)}%`,
    );
  }
  const summary = summarizeReplicaCount(replicas, servedBy, runs);
  const open: OpenRunResult[] = [];
  for (const fraction of options.open) {
    const rate = Math.max(1, Math.round(fraction * summary.median.requestsPerSecond));
    const measured = await progress.timed(`${label}: open model at ${fraction} x ${formatNumber(summary.median.requestsPerSecond, 0)} = ${rate} req/s`, options.durationMs, () =>
      measure(bench, k6, `r${replicas}-open${fraction}`, 'open-model.js', { RATE: String(rate), MIX: options.scenario }, options.durationMs),
    );
    open.push({ run: open.length + 1, fraction, rate, ...measured });
    progress.step(
      `${label}: open model at ${rate} req/s: p50 ${formatNumber(measured.load.latencyMs.p50)} ms, p99 ${formatNumber(measured.load.latencyMs.p99)} ms, ` +
        `dropped ${measured.load.droppedIterations}`,
    );
  }
  const ceiling = await progress.timed(`${label}: the database's ceiling (pgbench through PgBouncer)`, options.durationMs, async () => {
    const cookie = await login(options.baseUrl, demoUser());
    const api = await apiSettings(bench.project).catch((): Record<string, string> => ({}));
    return measureCeiling({
      project: bench.project,
      cookie,
      durationMs: options.durationMs,
      prepare: api.DB_PREPARE === 'true',
      outDir: bench.outDir as string,
      file: `pgbench-r${replicas}.log`,
    });
  });
  progress.step(
    `${label}: ceiling ${formatNumber(ceiling.tps, 0)} transactions/s (pgbench -M ${ceiling.protocol}, ${ceiling.clients} clients); ` +
      `the full path served ${formatNumber(summary.median.requestsPerSecond / ceiling.tps, 2)} of it`,
  );
  return { ...summary, open, ceiling };
}

/**
 * A fault run: the scenario's closed-model load for --duration, the fault injected --fault-at into it, then what users
 * saw (from k6's per-request CSV) and, for the mixed load, every acknowledged write checked in Postgres.
 */
async function measureFault(bench: Bench, k6: K6Runner, replicas: number, fault: Fault): Promise<FaultRunResult> {
  const { options, progress } = bench;
  const name = `r${replicas}-fault-${fault}`;
  const runId = `${fault}-${Date.now().toString(36)}`;
  const csvFile = `k6-${name}.csv.gz`;
  let marks: FaultMarks | undefined;
  const inject = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, options.faultAtMs));
    progress.step(`${fault}: injecting`);
    marks = await injectFault(fault, { project: bench.project, ...(bench.stack === undefined ? {} : { compose: bench.stack }), replicas });
    progress.step(`${fault}: ${marks.detail}, done after ${formatDuration(marks.doneAt - marks.injectedAt)}`);
  };
  const run = await progress.timed(`${replicas} replicas: ${fault} at ${formatDuration(options.faultAtMs)}`, options.durationMs, () =>
    measure(bench, k6, name, CLOSED_SCRIPT[options.scenario], { VUS: String(options.vus), RUN_ID: runId }, options.durationMs, { csvFile, during: inject }),
  );
  if (marks === undefined) throw new Error(`${fault} was not injected`);
  const { requests, writes } = await readK6Csv(join(bench.outDir as string, csvFile));
  const impact = analyzeFault(requests, marks);
  const writeLoss = options.scenario === 'mixed' ? accountWrites(writes, await storedRecipes(bench.project, runId)) : null;
  progress.step(
    `${fault}: ${impact.failed} of ${impact.requests} requests failed, longest gap without success ${formatDuration(impact.longestGapMs)}` +
      (writeLoss === null ? '' : `, acknowledged writes lost ${writeLoss.acknowledgedCreatesLost + writeLoss.acknowledgedDeletesLost}`),
  );
  return { fault, marks, impact, writeLoss, run: { run: 1, ...run }, csvFile };
}

/** The mixed load's recipes of one run still in Postgres, by key (vu<N>-i<I>) to id. */
async function storedRecipes(project: string, runId: string): Promise<Map<string, number>> {
  const rows = await queryStack(project, `select id, name from recipes where name like 'k6 mixed ${runId} %'`);
  const stored = new Map<string, number>();
  for (const row of rows) {
    const match = / vu(\d+) iteration (\d+)$/.exec(row.name ?? '');
    if (match !== null) stored.set(`vu${match[1]}-i${match[2]}`, Number(row.id));
  }
  return stored;
}

/** Fault runs, one after another on one stack, each after the stack is back at full strength. */
async function runFaults(bench: Bench): Promise<number> {
  const { options } = bench;
  const replicas = bench.replicaCounts[0] as number;
  await prepare(bench);
  for (const [index, fault] of options.faults.entries()) {
    await deploy(bench, replicas, index === 0);
    bench.k6 ??= await chooseK6(bench);
    if (index === 0 && options.warmupMs > 0) await warmUp(bench, bench.k6, replicas);
    bench.faults.push(await measureFault(bench, bench.k6, replicas, fault));
  }
  const report = await writeRecord(bench);
  process.stdout.write(`${renderFaults(bench.faults)}\n\nReport: ${report}\n`);
  // A fault may fail requests, which the report shows; losing a write the API acknowledged is a bug.
  const lost = bench.faults.filter((run) => run.writeLoss !== null && run.writeLoss.acknowledgedCreatesLost + run.writeLoss.acknowledgedDeletesLost > 0);
  if (lost.length > 0) {
    process.stderr.write(`bench: acknowledged writes were lost in ${lost.map((run) => run.fault).join(', ')}; see the report\n`);
    return 1;
  }
  return 0;
}

/** Step 4: results.json, report.md and chart.svg for what was measured; returns the report's path. */
async function writeRecord(bench: Bench, incomplete?: string): Promise<string> {
  const { options } = bench;
  const outDir = bench.outDir as string;
  const loadGenerator = bench.k6?.version ?? 'none';
  const record: BenchResults = {
    ...(incomplete === undefined ? {} : { incomplete }),
    startedAt: bench.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: commandLine(bench.argv),
    settings: {
      replicas: bench.replicaCounts,
      durationS: options.durationMs / 1000,
      warmupS: options.warmupMs / 1000,
      vus: options.vus,
      runs: options.runs,
      scenario: options.scenario,
      open: options.open,
      ...(options.faults.length === 0 ? {} : { faults: options.faults, faultAtS: options.faultAtMs / 1000 }),
      baseUrl: options.baseUrl,
      project: bench.project,
      stack: options.useRunning ? 'already running' : 'brought up by the bench',
      loadGenerator,
      request: REQUEST[options.scenario],
      api: await apiSettings(bench.project).catch(() => ({})),
    },
    machine: await machineInfo(),
    versions: await versionInfo({ compose: bench.compose, project: bench.project, loadGenerator, cwd: REPO_ROOT }),
    preflight: bench.preflight,
    results: bench.results,
    ...(bench.faults.length === 0 ? {} : { faults: bench.faults }),
  };
  await writeReport(outDir, record);
  return join(outDir, 'report.md');
}

async function run(bench: Bench): Promise<number> {
  await prepare(bench);
  for (const [index, replicas] of bench.replicaCounts.entries()) {
    const servedBy = await deploy(bench, replicas, index === 0);
    bench.k6 ??= await chooseK6(bench);
    bench.results.push(await measureReplicaCount(bench, bench.k6, replicas, servedBy));
  }
  bench.progress.step('recording machine and versions');
  const report = await writeRecord(bench);
  bench.progress.step(`wrote ${relative(process.cwd(), report)}, results.json, chart.svg and the k6 HTML reports`);
  const open = renderOpenSummary(bench.results);
  process.stdout.write(`${renderSummary(bench.results)}\n${open === '' ? '' : `\n${open}\n`}\nReport: ${report}\n`);
  // Like a crossed k6 threshold: the figures are recorded, but a run that mostly measured failures fails the bench.
  const unhealthy = bench.results.filter((result) => unhealthyRuns(result).length > 0).map((result) => result.replicas);
  if (unhealthy.length > 0) {
    process.stderr.write(`bench: more than 1% of requests failed at ${unhealthy.join(', ')} replica(s); see the report\n`);
    return 1;
  }
  return 0;
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

  const replicaRuns = options.faults.length > 0 ? options.faults.length : options.useRunning ? 1 : options.replicas.length;
  const controller = new AbortController();
  const bench: Bench = {
    argv,
    options,
    startedAt: new Date(),
    // Per replica count: warm-up, the closed runs, the open runs and the ceiling (pgbench) run.
    progress: new Progress(replicaRuns * (options.warmupMs + (options.runs + options.open.length + 1) * options.durationMs)),
    signal: controller.signal,
    compose: options.composeCmd,
    project: options.project,
    replicaCounts: options.replicas,
    preflight: [],
    results: [],
    faults: [],
  };

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    const { stack } = bench;
    if (interrupted) {
      process.stderr.write(`\nbench: ${signal} again, exiting now.${stack ? ` The stack may still run: ${stack.describe(ComposeProject.DOWN_ARGS)}` : ''}\n`);
      process.exit(130);
    }
    interrupted = true;
    bench.progress.step(`${signal}: stopping the load${stack ? ' and taking the stack down' : ''}`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    return await (options.faults.length > 0 ? runFaults(bench) : run(bench));
  } catch (error) {
    const message = controller.signal.aborted ? 'interrupted' : error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: ${message}\n`);
    if (bench.results.length + bench.faults.length > 0 && bench.outDir !== undefined) {
      try {
        const report = await writeRecord(bench, message);
        process.stderr.write(`bench: the replica counts measured before that are in ${report} (marked incomplete)\n`);
      } catch (recordError) {
        process.stderr.write(`bench: could not write the partial report: ${String(recordError)}\n`);
      }
    }
    return controller.signal.aborted ? 130 : 1;
  } finally {
    if (bench.stack !== undefined) {
      bench.progress.step(`taking the stack down: ${bench.stack.describe(ComposeProject.DOWN_ARGS)}`);
      await bench.stack.down().catch((error: unknown) => process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`));
    }
    await bench.secrets?.remove();
    if (bench.composeLog !== undefined) await closeStream(bench.composeLog);
  }
}

process.exitCode = await main(process.argv.slice(2));
