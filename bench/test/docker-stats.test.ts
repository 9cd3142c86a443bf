import { describe, expect, it } from 'vitest';
import type { StatsSample } from '../docker-stats.js';
import { cpuPercent, memoryWithoutCache, summarizeContainers, summarizeTiers, withCpuPerRequest } from '../docker-stats.js';

const SECOND_NS = 1_000_000_000;

describe('cpuPercent (as docker stats computes it)', () => {
  it('reads 50 when a container used half a core during one second on a 2-CPU host', () => {
    const previous = { cpu_usage: { total_usage: 1 * SECOND_NS }, system_cpu_usage: 100 * SECOND_NS, online_cpus: 2 };
    // The host clock advances by 2 CPU-seconds per second on 2 CPUs; the container used 0.5 of them.
    const current = { cpu_usage: { total_usage: 1.5 * SECOND_NS }, system_cpu_usage: 102 * SECOND_NS, online_cpus: 2 };
    expect(cpuPercent(previous, current)).toBeCloseTo(50, 6);
  });

  it('reads 200 when a container kept both cores of a 2-CPU host busy', () => {
    const previous = { cpu_usage: { total_usage: 0 }, system_cpu_usage: 10 * SECOND_NS, online_cpus: 2 };
    const current = { cpu_usage: { total_usage: 2 * SECOND_NS }, system_cpu_usage: 12 * SECOND_NS, online_cpus: 2 };
    expect(cpuPercent(previous, current)).toBeCloseTo(200, 6);
  });

  it('counts per-CPU entries when online_cpus is missing (older engines)', () => {
    const previous = { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0.5 * SECOND_NS };
    const current = {
      cpu_usage: { total_usage: 1 * SECOND_NS, percpu_usage: [1, 1, 1, 1] },
      system_cpu_usage: 4.5 * SECOND_NS,
    };
    expect(cpuPercent(previous, current)).toBeCloseTo(100, 6);
  });

  it('gives null when there is nothing to compare against', () => {
    const current = { cpu_usage: { total_usage: 5 }, system_cpu_usage: 50, online_cpus: 2 };
    expect(cpuPercent(undefined, current)).toBeNull();
    // A one-shot reading comes with an empty precpu_stats.
    expect(cpuPercent({ cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 }, current)).toBeNull();
    // A restarted container's counter starts again from zero.
    expect(cpuPercent({ cpu_usage: { total_usage: 10 }, system_cpu_usage: 40 }, current)).toBeNull();
  });
});

describe('memoryWithoutCache', () => {
  const MIB = 1024 * 1024;
  it('subtracts total_inactive_file on cgroup v1', () => {
    expect(memoryWithoutCache({ usage: 100 * MIB, stats: { total_inactive_file: 30 * MIB, inactive_file: 1 * MIB } })).toBe(70 * MIB);
  });
  it('subtracts inactive_file on cgroup v2', () => {
    expect(memoryWithoutCache({ usage: 100 * MIB, stats: { inactive_file: 40 * MIB } })).toBe(60 * MIB);
  });
  it('keeps the usage when there is no cache figure, or a nonsensical one', () => {
    expect(memoryWithoutCache({ usage: 100 * MIB })).toBe(100 * MIB);
    expect(memoryWithoutCache({ usage: 10 * MIB, stats: { inactive_file: 20 * MIB } })).toBe(10 * MIB);
    expect(memoryWithoutCache({})).toBe(0);
  });
});

function sample(tick: number, service: string, container: string, cpu: number | null, memoryMiB: number): StatsSample {
  return {
    tick,
    time: `2025-01-01T00:00:0${tick}Z`,
    containerId: `id-${container}`,
    container,
    service,
    cpuPercent: cpu,
    memoryBytes: memoryMiB * 1024 * 1024,
    cpuTotalNs: 0,
    systemCpuNs: 0,
    onlineCpus: 2,
  };
}

describe('summarizeTiers and summarizeContainers', () => {
  const samples = [
    sample(1, 'app', 'bench_app_1', 50, 60),
    sample(1, 'app', 'bench_app_2', 30, 70),
    sample(1, 'postgres', 'bench_postgres_1', 20, 100),
    sample(2, 'app', 'bench_app_1', 60, 65),
    sample(2, 'app', 'bench_app_2', 70, 80),
    sample(2, 'postgres', 'bench_postgres_1', null, 110),
  ];

  it('adds up a tier\'s containers per reading before taking peak and mean', () => {
    const tiers = summarizeTiers(samples);
    expect(tiers.map((tier) => tier.service)).toEqual(['app', 'postgres']);
    const app = tiers[0];
    expect(app?.containers).toBe(2);
    expect(app?.peakCpuPercent).toBe(130); // 60 + 70 at the second reading
    expect(app?.meanCpuPercent).toBe(105); // (80 + 130) / 2
    expect(app?.peakMemoryBytes).toBe(145 * 1024 * 1024); // 65 + 80
  });

  it('leaves readings without a CPU figure out of the CPU statistics only', () => {
    const postgres = summarizeTiers(samples)[1];
    expect(postgres?.peakCpuPercent).toBe(20);
    expect(postgres?.meanCpuPercent).toBe(20);
    expect(postgres?.peakMemoryBytes).toBe(110 * 1024 * 1024);
  });

  it('gives each replica its own figures', () => {
    const containers = summarizeContainers(samples);
    expect(containers.map((c) => c.container)).toEqual(['bench_app_1', 'bench_app_2', 'bench_postgres_1']);
    expect(containers[1]).toMatchObject({ service: 'app', peakCpuPercent: 70, meanCpuPercent: 50, peakMemoryBytes: 80 * 1024 * 1024 });
  });

  it('gives NaN CPU figures for a tier never read twice', () => {
    const [only] = summarizeTiers([sample(1, 'haproxy', 'bench_haproxy_1', null, 10)]);
    expect(only?.peakCpuPercent).toBeNaN();
    expect(only?.peakMemoryBytes).toBe(10 * 1024 * 1024);
  });
});

describe('withCpuPerRequest', () => {
  it('turns a tier\'s mean CPU over the run into CPU milliseconds per request served', () => {
    const tier = { service: 'app', containers: 1, peakCpuPercent: 90, meanCpuPercent: 80, peakMemoryBytes: 1, cpuMsPerRequest: Number.NaN };
    // 80% of one core for 20 s is 16 s of CPU; over 8000 requests that is 2 ms each.
    expect(withCpuPerRequest([tier], { requests: 8_000, durationS: 20 })[0]?.cpuMsPerRequest).toBeCloseTo(2, 10);
    expect(withCpuPerRequest([tier], { requests: 0, durationS: 20 })[0]?.cpuMsPerRequest).toBeNaN();
  });
});
