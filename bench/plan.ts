// The bench as a list of planned steps, built from the flags before anything runs, and the one loop that performs
// them: bring a stack up or rescale it, warm it up, measure a run (closed, open, fault or comparison round), or
// measure the database's ceiling. What the steps measure accumulates in a Measurements record.
import { join } from 'node:path';
import { APP_SERVICE, demoUser, injectFault, login, queryStack, waitForRouting, type Fault, type FaultMarks } from '../tools/stack/index.js';
import { measureCeiling, type CeilingResult } from './ceiling.js';
import { formatDuration } from './cli-options.js';
import { roundOrder, sideFigures, type ComparisonRound, type SideFigures } from './comparison.js';
import type { BenchContext, Target } from './context.js';
import { apiSettings } from './environment.js';
import { accountWrites, analyzeFault, readK6Csv } from './fault-timeline.js';
import { atMoment, measureRun, warmUpRun, type RunSpec } from './measure.js';
import { preflight, type PreflightCheck } from './preflight.js';
import { formatNumber, formatRate } from './markdown.js';
import { medianFigures, type FaultRunResult, type OpenRunResult, type RunResult, type Scenario } from './results.js';

// `up` returns once migrations ran and the replicas report healthy; HAProxy then needs 2 checks 1 s apart per
// replica. Two minutes leaves room for a slow machine without hiding a replica that never becomes ready.
const ROUTING_TIMEOUT_MS = 2 * 60_000;
// The closed-model script of each scenario; the open-model runs use k6/open-model.js with MIX set to the scenario.
export const CLOSED_SCRIPT: Record<Scenario, string> = { read: 'recipes.js', mixed: 'mixed.js' };

/** One step of a bench, in the order planned. */
export type Step =
  | { kind: 'deploy'; target: Target; replicas: number; first: boolean }
  | { kind: 'warmup'; target: Target; replicas: number }
  | { kind: 'closed'; target: Target; replicas: number; run: number }
  | { kind: 'open'; target: Target; replicas: number; fraction: number }
  | { kind: 'ceiling'; target: Target; replicas: number }
  | { kind: 'fault'; target: Target; replicas: number; fault: Fault }
  | { kind: 'round'; target: Target; replicas: number; round: number };

/** The steps of the bench the flags ask for. */
export function planSteps(ctx: Pick<BenchContext, 'options' | 'replicas' | 'targets'>): Step[] {
  const { options } = ctx;
  const [target] = ctx.targets;
  if (target === undefined) return [];
  const warmup = (step: Step & { kind: 'warmup' }): Step[] => (options.warmupMs > 0 ? [step] : []);
  if (options.compare !== null) {
    const replicas = ctx.replicas[0] as number;
    const sides = ctx.targets;
    const bySide = (side: 'a' | 'b'): Target => sides.find((t) => t.side === side) as Target;
    return [
      ...sides.map((t): Step => ({ kind: 'deploy', target: t, replicas, first: true })),
      ...sides.flatMap((t) => warmup({ kind: 'warmup', target: t, replicas })),
      ...Array.from({ length: options.compare.rounds }, (_, index) =>
        roundOrder(index + 1).map((side): Step => ({ kind: 'round', target: bySide(side), replicas, round: index + 1 })),
      ).flat(),
    ];
  }
  if (options.faults.length > 0) {
    const replicas = ctx.replicas[0] as number;
    return options.faults.flatMap((fault, index): Step[] => [
      // Each fault meets the stack at full strength: the first brings it up, the others rescale it back.
      { kind: 'deploy', target, replicas, first: index === 0 },
      ...(index === 0 ? warmup({ kind: 'warmup', target, replicas }) : []),
      { kind: 'fault', target, replicas, fault },
    ]);
  }
  return ctx.replicas.flatMap((replicas, index): Step[] => [
    { kind: 'deploy', target, replicas, first: index === 0 },
    ...warmup({ kind: 'warmup', target, replicas }),
    ...Array.from({ length: options.runs }, (_, run): Step => ({ kind: 'closed', target, replicas, run: run + 1 })),
    ...options.open.map((fraction): Step => ({ kind: 'open', target, replicas, fraction })),
    { kind: 'ceiling', target, replicas },
  ]);
}

/** The load the steps put on the stack, for the progress lines' "time left". */
export function plannedLoadMs(steps: readonly Step[], options: Pick<BenchContext['options'], 'warmupMs' | 'durationMs'>): number {
  return steps.reduce((total, step) => total + (step.kind === 'deploy' ? 0 : step.kind === 'warmup' ? options.warmupMs : options.durationMs), 0);
}

/** What one replica count of one stack measured so far. */
export interface ReplicaMeasurements {
  servedBy: string[];
  runs: RunResult[];
  open: OpenRunResult[];
  ceiling: CeilingResult | null;
  /** Why the ceiling was not measured, written beside it in the report. */
  ceilingError?: string;
}

/** A comparison round's runs so far, by side. */
export interface RoundMeasurements {
  round: number;
  a?: { figures: SideFigures; run: RunResult };
  b?: { figures: SideFigures; run: RunResult };
}

/** Everything measured so far; the loop adds to it, and a partial record can be written from it at any point. */
export interface Measurements {
  preflight: PreflightCheck[];
  replicas: Map<number, ReplicaMeasurements>;
  faults: FaultRunResult[];
  rounds: RoundMeasurements[];
}

export function emptyMeasurements(): Measurements {
  return { preflight: [], replicas: new Map(), faults: [], rounds: [] };
}

/** The comparison rounds both of whose runs were measured. */
export function completeRounds(measured: Measurements): ComparisonRound[] {
  return measured.rounds.flatMap(({ round, a, b }) => (a === undefined || b === undefined ? [] : [{ round, order: roundOrder(round), a: a.figures, b: b.figures }]));
}

function label(step: Step): string {
  const side = step.target.side === undefined ? '' : `${step.target.side.toUpperCase()}: `;
  return `${side}${step.replicas} replica${step.replicas === 1 ? '' : 's'}`;
}

function replicaMeasurements(measured: Measurements, replicas: number): ReplicaMeasurements {
  const existing = measured.replicas.get(replicas);
  if (existing !== undefined) return existing;
  const created: ReplicaMeasurements = { servedBy: [], runs: [], open: [], ceiling: null };
  measured.replicas.set(replicas, created);
  return created;
}

/** The stack runs `replicas` API containers, HAProxy routes to all of them, and the preflight passes. */
async function deploy(ctx: BenchContext, step: Step & { kind: 'deploy' }, measured: Measurements): Promise<void> {
  const { progress, signal } = ctx;
  const { stack, build } = step.target;
  if (stack !== undefined) {
    const args = step.first ? stack.upArgs(step.replicas, build, false) : stack.upArgs(step.replicas, false);
    progress.step(`${label(step)}: ${step.first ? (build ? 'building and starting' : 'starting') : 'rescaling'} the stack: ${stack.describe(args)}`);
    await (step.first ? stack.up(step.replicas, signal, build) : stack.scale(step.replicas, signal));
  }
  progress.step(`${label(step)}: waiting for HAProxy to route to ${step.replicas} ready replica(s)`);
  const routing = await waitForRouting(step.target.baseUrl, step.replicas, { timeoutMs: ROUTING_TIMEOUT_MS, signal });
  progress.step(`${label(step)}: HAProxy routes to ${routing.servedBy.join(', ')} (after ${formatDuration(routing.waitedMs)})`);
  progress.step(`${label(step)}: preflight: demo login, a full list page, 401 without a session`);
  measured.preflight = await preflight(step.target.baseUrl, demoUser());
  if (step.target.side === undefined) replicaMeasurements(measured, step.replicas).servedBy = routing.servedBy;
}

function closedSpec(ctx: BenchContext, name: string, durationMs: number, extra: Partial<RunSpec> = {}): RunSpec {
  const { options } = ctx;
  return { name, script: CLOSED_SCRIPT[options.scenario], env: { VUS: String(options.vus), ...extra.env }, durationMs, ...extra };
}

function describeRun(run: RunResult): string {
  const app = run.tiers.find((tier) => tier.service === APP_SERVICE);
  return (
    `${formatNumber(run.load.requestsPerSecond, 0)} req/s, p50 ${formatNumber(run.load.latencyMs.p50)} ms, p99 ${formatNumber(run.load.latencyMs.p99)} ms, ` +
    `errors ${formatRate(run.load.errorRate)}, app CPU ${formatNumber(app?.cpuMsPerRequest ?? Number.NaN, 2)} ms/request`
  );
}

/** The database's ceiling through the stack's PgBouncer, in the protocol the API runs with; an unreadable setting is no guess. */
async function ceiling(ctx: BenchContext, step: Step & { kind: 'ceiling' }, measured: Measurements): Promise<void> {
  const { options, progress } = ctx;
  const into = replicaMeasurements(measured, step.replicas);
  try {
    into.ceiling = await progress.timed(`${label(step)}: the database's ceiling (pgbench through PgBouncer)`, options.durationMs, async () => {
      const cookie = await login(step.target.baseUrl, demoUser());
      const api = await apiSettings(step.target.project);
      return measureCeiling({ project: step.target.project, cookie, durationMs: options.durationMs, prepare: api.DB_PREPARE === 'true', outDir: ctx.outDir, file: `pgbench-r${step.replicas}.log` });
    });
  } catch (error) {
    ctx.signal.throwIfAborted();
    into.ceilingError = error instanceof Error ? error.message : String(error);
    progress.step(`${label(step)}: the ceiling was not measured: ${into.ceilingError}`);
    return;
  }
  const served = medianFigures(into.runs.map((run) => run.load)).requestsPerSecond;
  progress.step(
    `${label(step)}: ceiling ${formatNumber(into.ceiling.tps, 0)} transactions/s (pgbench -M ${into.ceiling.protocol}, ${into.ceiling.clients} clients); ` +
      `the full path served ${formatNumber(served / into.ceiling.tps, 2)} of it`,
  );
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

/**
 * A fault run: the closed-model load, the fault injected --fault-at into it (unless the load ended or failed first, or
 * the bench was interrupted), then what users saw (k6's per-request CSV) and, for the mixed load, every acknowledged
 * write checked in Postgres.
 */
async function faultRun(ctx: BenchContext, step: Step & { kind: 'fault' }): Promise<FaultRunResult> {
  const { options, progress } = ctx;
  const { fault, target, replicas } = step;
  const name = `r${replicas}-fault-${fault}`;
  const runId = `${fault}-${Date.now().toString(36)}`;
  const csvFile = `k6-${name}.csv.gz`;
  let marks: FaultMarks | undefined;
  const inject = atMoment(options.faultAtMs, async () => {
    progress.step(`${fault}: injecting`);
    marks = await injectFault(fault, { project: target.project, ...(target.stack === undefined ? {} : { compose: target.stack }), replicas });
    progress.step(`${fault}: ${marks.detail}, done after ${formatDuration(marks.doneAt - marks.injectedAt)}`);
  });
  const run = await progress.timed(`${label(step)}: ${fault} at ${formatDuration(options.faultAtMs)}`, options.durationMs, () =>
    measureRun(ctx, target, closedSpec(ctx, name, options.durationMs, { env: { VUS: String(options.vus), RUN_ID: runId }, csvFile, during: inject }), 1),
  );
  if (marks === undefined) throw new Error(`${fault} was not injected: the load ended before ${formatDuration(options.faultAtMs)}`);
  const { requests, writes } = await readK6Csv(join(ctx.outDir, csvFile));
  const impact = analyzeFault(requests, marks);
  const writeLoss = options.scenario === 'mixed' ? accountWrites(writes, await storedRecipes(target.project, runId)) : null;
  progress.step(
    `${fault}: ${impact.failed} of ${impact.requests} requests failed, longest gap without success ${formatDuration(impact.longestGapMs)}` +
      (writeLoss === null ? '' : `, acknowledged writes lost ${writeLoss.acknowledgedCreatesLost + writeLoss.acknowledgedDeletesLost}`),
  );
  return { fault, marks, impact, writeLoss, run, csvFile };
}

/** Performs one step, adding what it measured. */
async function perform(ctx: BenchContext, step: Step, measured: Measurements): Promise<void> {
  const { options, progress } = ctx;
  switch (step.kind) {
    case 'deploy':
      return deploy(ctx, step, measured);
    case 'warmup': {
      const name = `warmup-${step.target.side ?? ''}r${step.replicas}`;
      await progress.timed(`${label(step)}: warm-up`, options.warmupMs, () => warmUpRun(ctx, step.target, closedSpec(ctx, name, options.warmupMs)));
      return;
    }
    case 'closed': {
      const run = await progress.timed(`${label(step)}: closed model, run ${step.run}/${options.runs}`, options.durationMs, () =>
        measureRun(ctx, step.target, closedSpec(ctx, `r${step.replicas}-run${step.run}`, options.durationMs), step.run),
      );
      replicaMeasurements(measured, step.replicas).runs.push(run);
      progress.step(`${label(step)}: run ${step.run}: ${describeRun(run)}`);
      return;
    }
    case 'open': {
      const into = replicaMeasurements(measured, step.replicas);
      const closed = medianFigures(into.runs.map((run) => run.load)).requestsPerSecond;
      const rate = Math.max(1, Math.round(step.fraction * closed));
      const spec: RunSpec = { name: `r${step.replicas}-open${step.fraction}`, script: 'open-model.js', env: { RATE: String(rate), MIX: options.scenario }, durationMs: options.durationMs };
      const run = await progress.timed(`${label(step)}: open model at ${step.fraction} x ${formatNumber(closed, 0)} = ${rate} req/s`, options.durationMs, () =>
        measureRun(ctx, step.target, spec, into.open.length + 1),
      );
      into.open.push({ ...run, fraction: step.fraction, rate });
      progress.step(`${label(step)}: open model at ${rate} req/s: ${describeRun(run)}, dropped ${run.load.droppedIterations}`);
      return;
    }
    case 'ceiling':
      return ceiling(ctx, step, measured);
    case 'fault':
      measured.faults.push(await faultRun(ctx, step));
      return;
    case 'round': {
      const side = step.target.side as 'a' | 'b';
      const total = options.compare?.rounds ?? 0;
      const run = await progress.timed(`${label(step)}: round ${step.round}/${total}`, options.durationMs, () =>
        measureRun(ctx, step.target, closedSpec(ctx, `${side}-round${step.round}`, options.durationMs), step.round),
      );
      let round = measured.rounds.find((r) => r.round === step.round);
      if (round === undefined) {
        round = { round: step.round };
        measured.rounds.push(round);
      }
      round[side] = { figures: sideFigures(run.load, run.tiers), run };
      progress.step(`${label(step)}: round ${step.round}: ${describeRun(run)}`);
      return;
    }
  }
}

/** The one loop: every planned step in order; stops at the first that fails. */
export async function runPlan(ctx: BenchContext, steps: readonly Step[], measured: Measurements): Promise<void> {
  for (const step of steps) {
    ctx.signal.throwIfAborted();
    await perform(ctx, step, measured);
  }
}
