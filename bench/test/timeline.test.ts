import { describe, expect, it } from 'vitest';
import type { StatsSample } from '../docker-stats.js';
import { loadPerSecond, queueLines, tiersPerSecond } from '../timeline.js';

const START = 1_000_000;

describe('a run second by second', () => {
  it('counts requests by the second they ended in, with the percentiles of the successful ones', () => {
    const requests = [
      ...Array.from({ length: 100 }, (_, i) => ({ endMs: START + 100 + i, durationMs: i + 1, status: 200, errorCode: '', ok: true })),
      { endMs: START + 1500, durationMs: 900, status: 503, errorCode: '', ok: false },
      { endMs: START + 1600, durationMs: 7, status: 200, errorCode: '', ok: true },
    ];
    expect(loadPerSecond(requests, START)).toEqual([
      { second: 0, requests: 100, failed: 0, p50Ms: 50, p99Ms: 99 },
      { second: 1, requests: 2, failed: 1, p50Ms: 7, p99Ms: 7 },
    ]);
  });

  it("adds up a service's containers each round, leaving out the first round and a process read after it exited", () => {
    const sample = (tick: number, service: string, cpuPercent: number | null, memoryBytes: number): StatsSample => ({
      tick,
      time: new Date(START + tick * 1000).toISOString(),
      containerId: `${service}-${memoryBytes}`,
      container: service,
      service,
      cpuPercent,
      memoryBytes,
      cpuTotalNs: 0,
      systemCpuNs: 0,
      onlineCpus: 2,
    });
    const seconds = tiersPerSecond(
      [sample(0, 'app', null, 10), sample(1, 'app', 40, 10), sample(1, 'app', 30, 20), sample(1, 'k6', 20, 5), sample(2, 'app', 50, 10), sample(2, 'k6', null, 0)],
      START,
    );
    expect(seconds).toEqual([
      { second: 1, tiers: { app: { cpuPercent: 70, memoryBytes: 30 }, k6: { cpuPercent: 20, memoryBytes: 5 } } },
      { second: 2, tiers: { app: { cpuPercent: 50, memoryBytes: 10 } } },
    ]);
  });

  it('places the queue readings at their second into the run, a tier that could not be read as a gap', () => {
    expect(queueLines([{ atMs: START + 1520, pgbouncer: { clientsWaiting: 2, serversActive: 5 } }], START)).toEqual([
      { second: 1.5, haproxyQueue: null, pgbouncerWaiting: 2, postgresActive: null },
    ]);
  });
});
