import type { K6Figures } from '../../tools/stack/index.js';
import type { Breakdown, RunBreakdown } from '../breakdown.js';
import type { BenchResults, OpenRunResult, RunResult } from '../results.js';
import type { RunTimeline } from '../timeline.js';
import { summarizeReplicaCount } from '../results.js';

const MIB = 1024 * 1024;

/** Load figures of one run, with the given throughput and p99. */
export function loadFigures(requestsPerSecond: number, p99: number, errors = 0): K6Figures {
  const requests = requestsPerSecond * 20;
  return {
    requests,
    durationS: 20,
    requestsPerSecond,
    latencyMs: { mean: p99 / 3, p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 },
    errors,
    errorRate: errors / requests,
    checks: { passes: 2 * requests, fails: 0 },
    droppedIterations: 0,
    crossedThresholds: [],
    operations: [],
  };
}

/** A breakdown whose parts add up to the client's mean but for `remainderMs`; HAProxy queues most with one replica. */
export function syntheticBreakdown(replicas: number, clientMeanMs: number, parts: Partial<Breakdown> = {}): RunBreakdown {
  const haproxyQueueMs = parts.haproxyQueueMs ?? (replicas === 1 ? 0.6 * clientMeanMs : 0.1 * clientMeanMs);
  const poolWaitMs = parts.poolWaitMs ?? 0.02 * clientMeanMs;
  const roundTripMs = parts.roundTripMs ?? 0.15 * clientMeanMs;
  const remainderMs = parts.remainderMs ?? 0.05 * clientMeanMs;
  const haproxyConnectMs = parts.haproxyConnectMs ?? 0.01;
  const apiQueueMs = parts.apiQueueMs ?? 0.02 * clientMeanMs;
  const haproxyTransferMs = parts.haproxyTransferMs ?? 0.03 * clientMeanMs;
  const apiMs = clientMeanMs - haproxyQueueMs - haproxyConnectMs - apiQueueMs - haproxyTransferMs - remainderMs;
  return {
    breakdown: {
      clientMeanMs,
      haproxyQueueMs,
      haproxyConnectMs,
      apiQueueMs,
      apiMs,
      poolWaitMs,
      roundTripMs,
      pgbouncerWaitMs: parts.pgbouncerWaitMs ?? 0.01 * clientMeanMs,
      postgresExecMs: parts.postgresExecMs ?? 0.08 * clientMeanMs,
      apiOwnMs: apiMs - poolWaitMs - roundTripMs,
      haproxyTransferMs,
      remainderMs,
      ...parts,
    },
    evidence: {
      apiRequests: 20_000,
      haproxyResponseMs: apiMs + apiQueueMs,
      haproxyTotalMs: clientMeanMs - remainderMs,
      eventLoopDelayMs: replicas === 1 ? 12 : 2,
      haproxyQueuePeak: replicas === 1 ? 25 : 3,
      haproxyServers: [{ server: 'app1', queueMs: 1, connectMs: 0, responseMs: 10, totalMs: 12, queuePeak: 3 }],
      pgbouncerWaitPerTransactionMs: 0.1,
      pgbouncerTransactionMs: 1.2,
      pgbouncerTransactions: 20_000,
      pgbouncerWaitingPeak: 0,
      pgbouncerServersActivePeak: 6,
      postgresActivePeak: 4,
      postgresActiveMean: 2.5,
      statements: [{ query: 'select coalesce(string_agg(page.json, $1) ...', calls: 20_000, meanMs: 0.9, totalMs: 18_000 }],
    },
    errors: [],
  };
}

/** Ten seconds of a run: steady load, the app's CPU near its core, HAProxy's queue. */
export function syntheticTimeline(replicas: number, requestsPerSecond: number, p99: number): RunTimeline {
  const seconds = Array.from({ length: 10 }, (_, second) => second);
  return {
    startMs: Date.parse('2025-01-02T03:04:10.000Z'),
    load: seconds.map((second) => ({ second, requests: requestsPerSecond + (second % 3) * 10, failed: 0, p50Ms: p99 / 4, p99Ms: p99 + second })),
    tiers: seconds.map((second) => ({
      second: second + 0.5,
      tiers: {
        app: { cpuPercent: 75 * replicas + second, memoryBytes: 85 * MIB * replicas },
        haproxy: { cpuPercent: 12, memoryBytes: 40 * MIB },
        pgbouncer: { cpuPercent: 8, memoryBytes: 6 * MIB },
        postgres: { cpuPercent: 30, memoryBytes: 120 * MIB },
        k6: { cpuPercent: 45, memoryBytes: 90 * MIB },
      },
    })),
    queues: seconds.map((second) => ({ second: second + 0.2, haproxyQueue: replicas === 1 ? 25 : 2, pgbouncerWaiting: 0, postgresActive: 3 })),
  };
}

/** One run at `replicas` API containers, with tier and container figures. */
export function runResult(run: number, replicas: number, requestsPerSecond: number, p99: number, errors = 0): RunResult {
  const apps = Array.from({ length: replicas }, (_, index) => ({
    service: 'app',
    container: `recipes-bench_app_${index + 1}`,
    peakCpuPercent: 90 + run,
    meanCpuPercent: 70 + run,
    peakMemoryBytes: (80 + run) * MIB,
  }));
  return {
    run,
    load: loadFigures(requestsPerSecond, p99, errors),
    thresholdsPassed: true,
    tiers: [
      { service: 'app', containers: replicas, peakCpuPercent: 95 * replicas, meanCpuPercent: 75 * replicas, peakMemoryBytes: 85 * MIB * replicas, cpuMsPerRequest: (750 * replicas) / requestsPerSecond },
      { service: 'postgres', containers: 1, peakCpuPercent: 40 + run, meanCpuPercent: 30, peakMemoryBytes: 120 * MIB, cpuMsPerRequest: 300 / requestsPerSecond },
    ],
    containers: [...apps, { service: 'postgres', container: 'recipes-bench_postgres_1', peakCpuPercent: 41, meanCpuPercent: 30, peakMemoryBytes: 120 * MIB }],
    files: {
      summary: `k6-r${replicas}-run${run}.json`,
      log: `k6-r${replicas}-run${run}.log`,
      stats: `stats-r${replicas}-run${run}.ndjson`,
      dashboard: `k6-r${replicas}-run${run}.html`,
      csv: `k6-r${replicas}-run${run}.csv.gz`,
    },
    breakdown: syntheticBreakdown(replicas, p99 / 3),
    timeline: syntheticTimeline(replicas, requestsPerSecond, p99),
    samplerErrors: [],
    hostLoad1m: 1.5 + run / 10,
  };
}

/** A complete record of a two-replica-count bench. */
export function benchResults(): BenchResults {
  return {
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:06:00.000Z',
    command: 'npm run bench -- --replicas 1,2 --runs 3',
    settings: {
      replicas: [1, 2],
      durationS: 20,
      warmupS: 5,
      vus: 50,
      runs: 3,
      scenario: 'read',
      open: [],
      baseUrl: 'http://127.0.0.1:8080',
      project: 'recipes-bench',
      stack: 'brought up by the bench',
      loadGenerator: 'k6 v1.8.1 (/usr/local/bin/k6)',
      request: 'GET /api/v1/recipes (first page, 100 recipes) with a logged-in session cookie',
      api: { DB_POOL_MAX: '5', LOG_LEVEL: 'warn' },
    },
    machine: { cpuModel: 'Test CPU @ 2.0GHz', cores: 2, memoryBytes: 24 * 1024 * MIB, os: 'Debian GNU/Linux 12 (bookworm)', kernel: 'Linux 6.1.0 x64' },
    versions: {
      node: 'v24.0.0',
      docker: '20.10.24 (API 1.41)',
      compose: 'docker-compose 1.29.2',
      loadGenerator: 'k6 v1.8.1 (/usr/local/bin/k6)',
      gitCommit: 'abcdef123456',
      images: [
        { service: 'app', image: 'recipes-bench_app', imageId: 'sha256:0123456789abcdef0123' },
        { service: 'postgres', image: 'postgres:14.23-bookworm', imageId: 'sha256:fedcba9876543210fedc' },
      ],
    },
    preflight: [{ name: 'demo login', ok: true, detail: '200 with sessionid cookie' }],
    results: [
      summarizeReplicaCount(1, ['c0ffee000001'], [runResult(1, 1, 800, 210), runResult(2, 1, 760, 250, 3), runResult(3, 1, 820, 190)], [], {
        tps: 2000,
        latencyMs: 12.5,
        transactions: 40_000,
        clients: 25,
        protocol: 'extended',
        file: 'pgbench-r1.log',
      }),
      summarizeReplicaCount(2, ['c0ffee000001', 'c0ffee000002'], [runResult(1, 2, 1400, 120), runResult(2, 2, 1500, 110), runResult(3, 2, 1450, 130)]),
    ],
  };
}

/** An open-model run at `fraction` of the closed-model throughput, served at `rate` with the given latency. */
export function openRun(replicas: number, fraction: number, rate: number, p50: number, p99: number, dropped = 0): OpenRunResult {
  const base = runResult(1, replicas, rate, p99);
  return {
    ...base,
    fraction,
    rate,
    load: { ...base.load, latencyMs: { ...base.load.latencyMs, p50 }, droppedIterations: dropped },
    files: { ...base.files, dashboard: `k6-r${replicas}-open${fraction}.html` },
  };
}
