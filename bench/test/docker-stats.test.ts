import { describe, expect, it } from 'vitest';
import type { StatsSample } from '../docker-stats.js';
import type { ContainerStats, ContainerSummary } from '../../tools/stack/index.js';
import { StatsSampler, cpuNsByTier, cpuPercent, memoryWithoutCache, summarizeContainers, summarizeTiers, withCpuPerRequest } from '../docker-stats.js';

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

describe('CPU ms per request, from cumulative CPU counters', () => {
  const MS = 1_000_000;
  const tier = { service: 'app', containers: 1, peakCpuPercent: 90, meanCpuPercent: 80, peakMemoryBytes: 1, cpuMsPerRequest: Number.NaN };

  it('counts only the CPU spent between the load\'s start and end, however long the sampler\'s window', () => {
    // 2 idle seconds before k6, 10 s at half a core (5 s of CPU), 2 idle seconds after its summary.
    const samples = [0, 0, ...Array.from({ length: 10 }, (_, i) => (i + 1) * 500), 5000, 5000].map((ms) => ({ containerId: 'app-1', service: 'app', cpuTotalNs: (1000 + ms) * MS }));
    const start = [{ containerId: 'app-1', service: 'app', cpuTotalNs: 1000 * MS }];
    const end = [{ containerId: 'app-1', service: 'app', cpuTotalNs: 6000 * MS }];
    const [app] = withCpuPerRequest([tier], cpuNsByTier(start, samples, end), 1000);
    // 5 s of CPU over 1000 requests: 5 ms each (a mean over the 14 readings times k6's 10 s said 3.6).
    expect(app?.cpuMsPerRequest).toBeCloseTo(5, 10);
  });

  it('adds a tier\'s containers, counts a new one from zero, a restarted one from its restart, and a removed one to its last reading', () => {
    const counters = cpuNsByTier(
      [{ containerId: 'a1', service: 'app', cpuTotalNs: 100 * MS }, { containerId: 'pg', service: 'postgres', cpuTotalNs: 900 * MS }],
      [
        { containerId: 'k6', service: 'k6', cpuTotalNs: 40 * MS }, // started during the run
        { containerId: 'pg', service: 'postgres', cpuTotalNs: 950 * MS },
        { containerId: 'pg', service: 'postgres', cpuTotalNs: 30 * MS }, // restarted: its counter began again
        { containerId: 'k6', service: 'k6', cpuTotalNs: 70 * MS }, // then removed before the end
      ],
      [{ containerId: 'a1', service: 'app', cpuTotalNs: 400 * MS }, { containerId: 'a2', service: 'app', cpuTotalNs: 20 * MS }, { containerId: 'pg', service: 'postgres', cpuTotalNs: 80 * MS }],
    );
    expect(Object.fromEntries([...counters].map(([service, ns]) => [service, ns / MS]))).toEqual({ app: 320, postgres: 130, k6: 70 });
  });

  it('gives NaN with no requests or no counters for the tier', () => {
    expect(withCpuPerRequest([tier], new Map([['app', 5 * MS]]), 0)[0]?.cpuMsPerRequest).toBeNaN();
    expect(withCpuPerRequest([tier], new Map(), 10)[0]?.cpuMsPerRequest).toBeNaN();
  });
});

describe('StatsSampler', () => {
  const container = (id: string): ContainerSummary => ({ Id: id, Names: [`/bench-${id}`], Labels: { 'com.docker.compose.service': id } }) as unknown as ContainerSummary;
  const stats = (ns: number): ContainerStats => ({
    read: new Date().toISOString(),
    cpu_stats: { cpu_usage: { total_usage: ns }, system_cpu_usage: ns * 10, online_cpus: 2 },
    memory_stats: { usage: 1024 },
  });
  const gone = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });

  it('keeps a round whose container was removed meanwhile, and passes on no reading after stop()', async () => {
    let reads = 0;
    const passedOn: string[] = [];
    let stopped = false;
    const sampler = new StatsSampler(
      'bench',
      (sample) => {
        if (stopped) throw new Error(`write after the stats file was closed: ${sample.container}`);
        passedOn.push(sample.service);
      },
      5,
      {
        list: () => Promise.resolve([container('k6'), container('app')]),
        read: async (id) => {
          reads += 1;
          // The k6 container is gone at once; the app's reading is slow and lands after the k6 one failed.
          if (id === 'k6') throw gone;
          await new Promise((resolve) => setTimeout(resolve, 30));
          return stats(reads * 1_000_000);
        },
      },
    );
    await sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { samples, errors } = await sampler.stop();
    stopped = true;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(errors).toEqual([]);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((sample) => sample.service === 'app')).toBe(true);
    expect(passedOn).toEqual(samples.map((sample) => sample.service));
  });

  it('records a failed reading other than a removed container as an error, without losing the others', async () => {
    const sampler = new StatsSampler('bench', () => {}, 5, {
      list: () => Promise.resolve([container('haproxy'), container('app')]),
      read: (id) => (id === 'haproxy' ? Promise.reject(new Error('engine busy')) : Promise.resolve(stats(Date.now() * 1000))),
    });
    await sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { samples, errors } = await sampler.stop();
    expect(samples.some((sample) => sample.service === 'app')).toBe(true);
    expect(errors.some((error) => error.endsWith('engine busy'))).toBe(true);
  });
});
