// A run second by second, for the report's page: what the client saw (k6's per-request CSV), each tier's CPU and
// memory (the stats sampler's rounds) and the queues (the tier collector's readings).
import type { StatsSample } from './docker-stats.js';
import type { RequestRecord } from './fault-timeline.js';
import type { QueueSecond } from './tier-collector.js';

export interface LoadSecond {
  /** Seconds since the run's start. */
  second: number;
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TierSecond {
  second: number;
  /** By compose service (and k6 on this machine): CPU (100 = one core) and memory, all containers added up. */
  tiers: Record<string, { cpuPercent: number; memoryBytes: number }>;
}

export interface QueueLine {
  second: number;
  haproxyQueue: number | null;
  pgbouncerWaiting: number | null;
  postgresActive: number | null;
}

export interface RunTimeline {
  /** When the run started (ms since the epoch), for placing a fault's marks. */
  startMs: number;
  load: LoadSecond[];
  tiers: TierSecond[];
  queues: QueueLine[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** Requests by the second they ended in; latency percentiles of the successful ones. */
export function loadPerSecond(requests: readonly RequestRecord[], startMs: number): LoadSecond[] {
  const seconds = new Map<number, RequestRecord[]>();
  for (const request of requests) {
    const second = Math.max(0, Math.floor((request.endMs - startMs) / 1000));
    const list = seconds.get(second) ?? [];
    list.push(request);
    seconds.set(second, list);
  }
  return [...seconds.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, list]) => {
      const durations = list.filter((request) => request.ok).map((request) => request.durationMs).sort((a, b) => a - b);
      return { second, requests: list.length, failed: list.length - durations.length, p50Ms: quantile(durations, 0.5), p99Ms: quantile(durations, 0.99) };
    });
}

/** Each sampling round's CPU and memory per service, at its second since the start. */
export function tiersPerSecond(samples: readonly StatsSample[], startMs: number): TierSecond[] {
  const rounds = new Map<number, TierSecond>();
  for (const sample of samples) {
    // A process read after it exited (k6 at the end) has nothing to show.
    if (sample.memoryBytes === 0 && !(sample.cpuPercent !== null && sample.cpuPercent > 0)) continue;
    const round = rounds.get(sample.tick) ?? { second: Math.max(0, Math.round((Date.parse(sample.time) - startMs) / 100) / 10), tiers: {} };
    const tier = round.tiers[sample.service] ?? { cpuPercent: 0, memoryBytes: 0 };
    tier.cpuPercent += sample.cpuPercent ?? 0;
    tier.memoryBytes += sample.memoryBytes;
    round.tiers[sample.service] = tier;
    rounds.set(sample.tick, round);
  }
  // The first round has no CPU figure yet (it needs a previous reading).
  return [...rounds.entries()].sort(([a], [b]) => a - b).slice(1).map(([, round]) => round);
}

export function queueLines(seconds: readonly QueueSecond[], startMs: number): QueueLine[] {
  return seconds.map((reading) => ({
    second: Math.round((reading.atMs - startMs) / 100) / 10,
    haproxyQueue: reading.haproxy?.queueCurrent ?? null,
    pgbouncerWaiting: reading.pgbouncer?.clientsWaiting ?? null,
    postgresActive: reading.postgresActive ?? null,
  }));
}
