import type { Fault, FaultMarks, K6Figures } from '../tools/stack/index.js';
import type { FaultImpact, WriteLoss } from './fault-timeline.js';
import type { CeilingResult } from './ceiling.js';
import type { ComparisonResult } from './comparison.js';
import type { ContainerStatsSummary, TierStats } from './docker-stats.js';
import type { MachineInfo, VersionInfo } from './environment.js';
import type { PreflightCheck } from './preflight.js';
import { medianBreakdown, type Breakdown, type BreakdownEvidence, type RunBreakdown } from './breakdown.js';
import type { RunTimeline } from './timeline.js';
import { verdict, type Verdict } from './verdict.js';
import { median } from './statistics.js';

/** The load shapes the bench runs: which k6 script, with which workload. */
export type Scenario = 'read' | 'mixed';

/** One measured k6 run at one replica count, with the files holding its raw data. */
export interface RunResult {
  run: number;
  load: K6Figures;
  /** Whether every threshold of the k6 script held (k6 exit 0). */
  thresholdsPassed: boolean;
  tiers: TierStats[];
  containers: ContainerStatsSummary[];
  /** Where a request's time went, from the tiers' own counters around the run. */
  breakdown: RunBreakdown;
  /** The run second by second: load, each tier's CPU and memory, the queues. */
  timeline: RunTimeline;
  files: { summary: string; log: string; stats: string; dashboard: string; csv: string };
  samplerErrors: string[];
  /** The host's 1-minute load average as the run ended: well above the core count means other work shared the CPU. */
  hostLoad1m: number;
}

/** An open-model run: requests arrive at `rate` per second, a `fraction` of the closed-model throughput. */
export interface OpenRunResult extends RunResult {
  fraction: number;
  rate: number;
}

/** A fault run: the load, the fault's marks, what users saw, and (mixed load) the writes checked in Postgres. */
export interface FaultRunResult {
  fault: Fault;
  marks: FaultMarks;
  impact: FaultImpact;
  writeLoss: WriteLoss | null;
  run: RunResult;
  /** k6's per-request samples the impact was computed from. */
  csvFile: string;
}

/** The figures reported for a replica count: the median of each figure over its runs. */
export interface MedianFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  errorRate: number;
  errors: number;
}

/** Everything measured at one replica count. */
export interface ReplicaResult {
  replicas: number;
  /** X-Served-By values HAProxy routed to before the runs. */
  servedBy: string[];
  /** Closed-model runs: `vus` users, each sending its next request when the previous one is answered. */
  runs: RunResult[];
  median: MedianFigures;
  tiers: TierStats[];
  containers: ContainerStatsSummary[];
  /** Open-model runs after the closed ones, one per fraction of the closed-model median throughput. */
  open: OpenRunResult[];
  /** What the database serves of the list endpoint's statements through the same PgBouncer (pgbench). */
  ceiling: CeilingResult | null;
  /** Why the ceiling was not measured (the report says so beside it). */
  ceilingError?: string;
  /** The median of each part of the closed-model runs' breakdowns, the evidence of the median run, and the verdict. */
  breakdown: Breakdown;
  evidence: BreakdownEvidence;
  verdict: Verdict;
}

/** The whole record of a bench: what was run, where, with what, and every figure (results.json). */
export interface BenchResults {
  /** Why the bench stopped before measuring every replica count; absent when it finished. */
  incomplete?: string;
  startedAt: string;
  finishedAt: string;
  command: string;
  settings: {
    replicas: number[];
    durationS: number;
    warmupS: number;
    vus: number;
    runs: number;
    scenario: Scenario;
    /** Open-model rates, as fractions of the closed-model throughput. */
    open: number[];
    /** Fault runs: the faults, and when each was injected into its run. */
    faults?: Fault[];
    faultAtS?: number;
    baseUrl: string;
    project: string;
    stack: 'brought up by the bench' | 'already running';
    loadGenerator: string;
    request: string;
    /** API settings the replicas ran with (their environment); what is not listed had its default. */
    api: Record<string, string>;
    /** Why the API settings could not be read (then `api` is empty and says nothing). */
    apiError?: string;
  };
  machine: MachineInfo;
  versions: VersionInfo;
  preflight: PreflightCheck[];
  results: ReplicaResult[];
  faults?: FaultRunResult[];
  /** --compare: both sides' rounds, medians, the difference with its interval, and the verdict. */
  comparison?: ComparisonRecord;
}

/** A comparison as recorded: the statistics, and the runs of each round with their files. */
export interface ComparisonRecord extends ComparisonResult {
  /** Each side's project, port and API settings as its replicas ran with them (or why they could not be read). */
  stacks: { a: ComparisonStack; b: ComparisonStack };
  runs: Array<{ round: number; a: RunResult; b: RunResult }>;
}

export interface ComparisonStack {
  project: string;
  baseUrl: string;
  api: Record<string, string>;
  apiError?: string;
  images: Array<{ service: string; image: string; imageId: string }>;
}

/** Median of each load figure over the runs. */
export function medianFigures(runs: readonly K6Figures[]): MedianFigures {
  return {
    requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
    p50Ms: median(runs.map((run) => run.latencyMs.p50)),
    p90Ms: median(runs.map((run) => run.latencyMs.p90)),
    p99Ms: median(runs.map((run) => run.latencyMs.p99)),
    errorRate: median(runs.map((run) => run.errorRate)),
    errors: median(runs.map((run) => run.errors)),
  };
}

/** Median of each tier's figures over the runs (a tier missing from a run is left out of that run). */
export function medianTiers(runs: readonly (readonly TierStats[])[]): TierStats[] {
  const services = [...new Set(runs.flatMap((tiers) => tiers.map((tier) => tier.service)))].sort();
  return services.map((service) => {
    const seen = runs.flatMap((tiers) => tiers.filter((tier) => tier.service === service));
    return {
      service,
      containers: Math.max(...seen.map((tier) => tier.containers)),
      peakCpuPercent: median(seen.map((tier) => tier.peakCpuPercent)),
      meanCpuPercent: median(seen.map((tier) => tier.meanCpuPercent)),
      peakMemoryBytes: median(seen.map((tier) => tier.peakMemoryBytes)),
      cpuMsPerRequest: median(seen.map((tier) => tier.cpuMsPerRequest)),
    };
  });
}

/** Median of each container's figures over the runs. */
export function medianContainers(runs: readonly (readonly ContainerStatsSummary[])[]): ContainerStatsSummary[] {
  const keys = [...new Set(runs.flatMap((containers) => containers.map((c) => `${c.service}\u0000${c.container}`)))];
  return keys
    .map((key) => {
      const seen = runs.flatMap((containers) => containers.filter((c) => `${c.service}\u0000${c.container}` === key));
      const first = seen[0] as ContainerStatsSummary;
      return {
        service: first.service,
        container: first.container,
        peakCpuPercent: median(seen.map((c) => c.peakCpuPercent)),
        meanCpuPercent: median(seen.map((c) => c.meanCpuPercent)),
        peakMemoryBytes: median(seen.map((c) => c.peakMemoryBytes)),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.container.localeCompare(b.container));
}

/** Combines the runs of one replica count into its reported figures. */
export function summarizeReplicaCount(
  replicas: number,
  servedBy: string[],
  runs: RunResult[],
  open: OpenRunResult[] = [],
  ceiling: CeilingResult | null = null,
  ceilingError?: string,
  hostCores = Number.NaN,
): ReplicaResult {
  const tiers = medianTiers(runs.map((run) => run.tiers));
  const breakdown = medianBreakdown(runs.map((run) => run.breakdown.breakdown));
  // The evidence of the run whose client latency is the median's (the closest to it).
  const middle = [...runs].sort((a, b) => Math.abs(a.breakdown.breakdown.clientMeanMs - breakdown.clientMeanMs) - Math.abs(b.breakdown.breakdown.clientMeanMs - breakdown.clientMeanMs))[0];
  const evidence = (middle as RunResult).breakdown.evidence;
  const apiCpu = { meanPercent: tiers.find((tier) => tier.service === 'app')?.meanCpuPercent ?? Number.NaN, replicas, hostCores };
  return {
    ...(ceilingError === undefined ? {} : { ceilingError }),
    replicas,
    servedBy,
    runs,
    median: medianFigures(runs.map((run) => run.load)),
    tiers,
    containers: medianContainers(runs.map((run) => run.containers)),
    open,
    ceiling,
    breakdown,
    evidence,
    verdict: verdict(breakdown, evidence, apiCpu),
  };
}
