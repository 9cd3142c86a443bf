import { describe, expect, it } from 'vitest';
import { medianContainers, medianFigures, medianTiers } from '../results.js';
import { loadFigures, runResult } from './fixtures.js';

describe('medianFigures', () => {
  it('takes the median of each figure on its own', () => {
    const median = medianFigures([loadFigures(800, 210), loadFigures(760, 250, 3), loadFigures(820, 190)]);
    expect(median.requestsPerSecond).toBe(800);
    expect(median.p99Ms).toBe(210);
    expect(median.p50Ms).toBe(52.5);
    expect(median.errors).toBe(0);
  });
});

describe('medianTiers and medianContainers', () => {
  it('combine the runs per tier and per container', () => {
    const runs = [runResult(1, 2, 1400, 120), runResult(2, 2, 1500, 110), runResult(3, 2, 1450, 130)];
    const tiers = medianTiers(runs.map((run) => run.tiers));
    expect(tiers.map((tier) => tier.service)).toEqual(['app', 'postgres']);
    expect(tiers[1]?.peakCpuPercent).toBe(42); // 41, 42, 43
    expect(tiers[0]?.containers).toBe(2);

    const containers = medianContainers(runs.map((run) => run.containers));
    expect(containers.map((c) => c.container)).toEqual(['recipes-bench_app_1', 'recipes-bench_app_2', 'recipes-bench_postgres_1']);
    expect(containers[0]?.meanCpuPercent).toBe(72); // 71, 72, 73
  });

  it('keeps a tier that only some runs saw', () => {
    const haproxy = { service: 'haproxy', containers: 1, peakCpuPercent: 5, meanCpuPercent: 2, peakMemoryBytes: 1, cpuMsPerRequest: 0.1 };
    const tiers = medianTiers([[haproxy], []]);
    expect(tiers).toEqual([haproxy]);
  });
});
