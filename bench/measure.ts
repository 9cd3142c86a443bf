// One measured run: the collectors start, k6 runs (with an action during it, such as a fault), the collectors stop.
// Every planned run of every kind (closed, open, fault, comparison round) is measured through measureRun.
import { createWriteStream, type WriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoUser, type K6Result, type K6Run } from '../tools/stack/index.js';
import { formatDuration } from './cli-options.js';
import type { BenchContext, Target } from './context.js';
import {
  StatsSampler,
  cpuNsByTier,
  readCpuCounters,
  summarizeContainers,
  summarizeTiers,
  withCpuPerRequest,
  type CpuCounter,
  type StatsSample,
  type StatsSource,
} from './docker-stats.js';
import { breakDown } from './breakdown.js';
import { readK6Csv } from './fault-timeline.js';
import type { RunResult } from './results.js';
import { tierCollector } from './tier-collector.js';
import { loadPerSecond, queueLines, tiersPerSecond } from './timeline.js';

// k6's setup (one login), graceful stop and summary take seconds; anything longer is a hung run.
const K6_OVERHEAD_MS = 2 * 60_000;

/** Something read around a measured run: started right before the load, stopped right after it. */
export interface Collector<T> {
  start(): Promise<void>;
  stop(): Promise<T>;
}

type Collected<C> = { [K in keyof C]: C[K] extends Collector<infer T> ? T : never };

/**
 * Starts every collector, runs `work`, and stops every collector again, also when `work` fails (its error wins).
 * Returns what each collector gathered, under its key.
 */
export async function aroundRun<C extends Record<string, Collector<unknown>>, R>(collectors: C, work: () => Promise<R>): Promise<{ result: R; collected: Collected<C> }> {
  const entries = Object.entries(collectors);
  const started: Array<[string, Collector<unknown>]> = [];
  let result: R;
  try {
    for (const entry of entries) {
      await entry[1].start();
      started.push(entry);
    }
    result = await work();
  } catch (error) {
    await Promise.allSettled(started.map(([, collector]) => collector.stop()));
    throw error;
  }
  const stopped = await Promise.all(started.map(async ([key, collector]) => [key, await collector.stop()] as const));
  return { result, collected: Object.fromEntries(stopped) as Collected<C> };
}

/**
 * Runs the load and, beside it, `during` (a fault) with a signal that aborts when the load ends, fails, or the bench is
 * interrupted; so an action waiting for its moment never fires into a failed run or a stack being taken down.
 */
export async function loadWithAction<R>(load: () => Promise<R>, during: ((signal: AbortSignal) => Promise<void>) | undefined, signal: AbortSignal): Promise<R> {
  const loadOver = new AbortController();
  const running = load().finally(() => loadOver.abort(new Error('the load ended')));
  const [result] = await Promise.all([running, during?.(AbortSignal.any([signal, loadOver.signal]))]);
  return result;
}

/** An action `atMs` into the load: a sleep that the load's end or Ctrl-C cuts short, then `act`. */
export function atMoment(atMs: number, act: () => Promise<void>): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    await sleep(atMs, undefined, { signal });
    signal.throwIfAborted();
    await act();
  };
}

/** What the resource collector gathered: every per-second reading and each container's CPU counter at the start and end. */
export interface Resources {
  samples: StatsSample[];
  errors: string[];
  start: CpuCounter[];
  end: CpuCounter[];
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolveClose) => stream.end(() => resolveClose()));
}

/** Each container of the project (and a k6 process here) once a second into `file`, and every CPU counter at the start and end. */
export function resourceCollector(
  project: string,
  file: string,
  engine: { source?: StatsSource; intervalMs?: number } = {},
): Collector<Resources> & { watchProcess(pid: number): void } {
  let stats: WriteStream | undefined;
  let sampler: StatsSampler | undefined;
  let start: CpuCounter[] = [];
  return {
    async start() {
      const stream = createWriteStream(file);
      stats = stream;
      sampler = new StatsSampler(project, (sample) => stream.write(`${JSON.stringify(sample)}\n`), engine.intervalMs, engine.source);
      // Counters, then samples, then counters again: each container's readings come in the order they were taken.
      start = await readCpuCounters(project, engine.source);
      await sampler.start();
    },
    watchProcess(pid) {
      sampler?.watchProcess(pid, 'k6', 'k6 (this machine)');
    },
    async stop() {
      // The sampler stops first: a reading still in flight must not land after the end counters, where the drop from
      // its value to theirs would look like a restarted container.
      const { samples, errors } = await (sampler as StatsSampler).stop();
      try {
        return { samples, errors, start, end: await readCpuCounters(project, engine.source) };
      } finally {
        if (stats !== undefined) await closeStream(stats);
      }
    },
  };
}

/** One planned k6 run: which script with which settings, for how long, and what happens during it. */
export interface RunSpec {
  /** Names the run's files: k6-<name>.json, stats-<name>.ndjson, ... */
  name: string;
  script: string;
  env: Record<string, string>;
  durationMs: number;
  csvFile?: string;
  during?: (signal: AbortSignal) => Promise<void>;
}

/** The k6 run of a spec: the script's settings with the demo user and the duration, files under the results folder. */
export function k6Run(ctx: BenchContext, spec: RunSpec): K6Run {
  const user = demoUser();
  return {
    script: spec.script,
    env: { ...spec.env, DURATION: formatDuration(spec.durationMs), EMAIL: user.email, PASSWORD: user.password },
    outDir: ctx.outDir,
    summaryFile: `k6-${spec.name}.json`,
    logFile: `k6-${spec.name}.log`,
    durationMs: spec.durationMs,
    timeoutMs: spec.durationMs + K6_OVERHEAD_MS,
    signal: ctx.signal,
  };
}

/** Unmeasured load, so the runs after it meet warm caches and pools. */
export function warmUpRun(ctx: BenchContext, target: Target, spec: RunSpec): Promise<K6Result> {
  return target.k6.run(k6Run(ctx, spec));
}

/**
 * One measured run on `target`: the load with every collector around it (each container's resources once a second;
 * each tier's counters at the start and end, its queues once a second), and its figures: the load, the tiers' CPU,
 * where a request's time went, and the run second by second (from k6's per-request CSV, written for every run).
 */
export async function measureRun(ctx: BenchContext, target: Target, spec: RunSpec, run: number): Promise<RunResult> {
  const csv = spec.csvFile ?? `k6-${spec.name}.csv.gz`;
  const files = { summary: `k6-${spec.name}.json`, log: `k6-${spec.name}.log`, stats: `stats-${spec.name}.ndjson`, dashboard: `k6-${spec.name}.html`, csv };
  const collectors = {
    resources: resourceCollector(target.project, join(ctx.outDir, files.stats)),
    tiers: tierCollector(target.project, target.baseUrl),
  };
  const startMs = Date.now();
  const { result, collected } = await aroundRun(collectors, () =>
    loadWithAction(
      () =>
        target.k6.run({
          ...k6Run(ctx, spec),
          dashboardFile: files.dashboard,
          csvFile: csv,
          onProcess: (pid) => collectors.resources.watchProcess(pid),
        }),
      spec.during,
      ctx.signal,
    ),
  );
  const { samples, errors, start, end } = collected.resources;
  const { requests } = await readK6Csv(join(ctx.outDir, csv));
  return {
    run,
    load: result.figures,
    thresholdsPassed: result.thresholdsPassed,
    tiers: withCpuPerRequest(summarizeTiers(samples), cpuNsByTier(start, samples, end), result.figures.requests),
    containers: summarizeContainers(samples),
    breakdown: breakDown(collected.tiers, result.figures.latencyMs.mean),
    timeline: { startMs, load: loadPerSecond(requests, startMs), tiers: tiersPerSecond(samples, startMs), queues: queueLines(collected.tiers.seconds, startMs) },
    files,
    samplerErrors: errors,
    hostLoad1m: loadavg()[0] ?? Number.NaN,
  };
}
