import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerStats, ContainerSummary } from '../../tools/stack/index.js';
import { cpuNsByTier } from '../docker-stats.js';
import { aroundRun, atMoment, loadWithAction, resourceCollector, type Collector } from '../measure.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a fault during the load', () => {
  it('is not injected when the load fails before its moment, and the load\'s error is what the run reports', async () => {
    const injected: string[] = [];
    const run = loadWithAction(
      async () => {
        await pause(10);
        throw new Error('k6 run recipes.js failed (exit 107)');
      },
      atMoment(60, async () => {
        injected.push('kill-replica');
      }),
      new AbortController().signal,
    );
    await expect(run).rejects.toThrow('k6 run recipes.js failed');
    await pause(100);
    expect(injected).toEqual([]);
  });

  it('is not injected after Ctrl-C', async () => {
    const injected: string[] = [];
    const bench = new AbortController();
    const run = loadWithAction(
      () => pause(120).then(() => 'done'),
      atMoment(60, async () => {
        injected.push('restart-postgres');
      }),
      bench.signal,
    );
    setTimeout(() => bench.abort(new Error('interrupted by SIGINT')), 10);
    await expect(run).rejects.toThrow();
    await pause(100);
    expect(injected).toEqual([]);
  });

  it('is injected at its moment into a load that runs, and the run waits for it to finish', async () => {
    const events: string[] = [];
    const result = await loadWithAction(
      () => pause(60).then(() => {
        events.push('load ended');
        return 'figures';
      }),
      atMoment(10, async () => {
        events.push('injected');
        await pause(80);
        events.push('fault done');
      }),
      new AbortController().signal,
    );
    expect(result).toBe('figures');
    expect(events).toEqual(['injected', 'load ended', 'fault done']);
  });
});

describe('aroundRun', () => {
  function collector(name: string, log: string[], fail?: 'start' | 'stop'): Collector<string> {
    return {
      start: async () => {
        if (fail === 'start') throw new Error(`${name} cannot start`);
        log.push(`start ${name}`);
      },
      stop: async () => {
        log.push(`stop ${name}`);
        if (fail === 'stop') throw new Error(`${name} cannot stop`);
        return `${name} figures`;
      },
    };
  }

  it('starts every collector before the load, stops each after it, and returns what each gathered by name', async () => {
    const log: string[] = [];
    const { result, collected } = await aroundRun({ resources: collector('resources', log), haproxy: collector('haproxy', log) }, async () => {
      log.push('load');
      return 42;
    });
    expect(result).toBe(42);
    expect(collected).toEqual({ resources: 'resources figures', haproxy: 'haproxy figures' });
    expect(log.slice(0, 3)).toEqual(['start resources', 'start haproxy', 'load']);
    expect(log.slice(3).sort()).toEqual(['stop haproxy', 'stop resources']);
  });

  it('stops the collectors it started when the load fails, and reports the load\'s error', async () => {
    const log: string[] = [];
    const run = aroundRun({ resources: collector('resources', log) }, () => Promise.reject(new Error('k6 failed')));
    await expect(run).rejects.toThrow('k6 failed');
    expect(log).toEqual(['start resources', 'stop resources']);
  });

  it('fails the run when a collector cannot start, stopping those already started', async () => {
    const log: string[] = [];
    const run = aroundRun({ resources: collector('resources', log), pgbouncer: collector('pgbouncer', log, 'start') }, async () => 1);
    await expect(run).rejects.toThrow('pgbouncer cannot start');
    expect(log).toEqual(['start resources', 'stop resources']);
  });
});

describe('resourceCollector', () => {
  it('reads the end counters after the last per-second reading, so a busy container is not taken for a restarted one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-resources-'));
    try {
      // The container's counter is the clock: 1 ms of CPU per ms. Listing is slow, readings come every 5 ms.
      const app = { Id: 'app-1', Names: ['/bench-app-1'], Labels: { 'com.docker.compose.service': 'app' } } as unknown as ContainerSummary;
      const source = {
        list: () => new Promise<ContainerSummary[]>((resolve) => setTimeout(() => resolve([app]), 15)),
        read: (): Promise<ContainerStats> => {
          const ns = Date.now() * 1e6;
          return Promise.resolve({ read: new Date().toISOString(), cpu_stats: { cpu_usage: { total_usage: ns }, system_cpu_usage: ns, online_cpus: 1 }, memory_stats: { usage: 1 } });
        },
      };
      const collector = resourceCollector('bench', join(dir, 'stats.ndjson'), { source, intervalMs: 5 });
      await collector.start();
      await new Promise((resolve) => setTimeout(resolve, 60));
      const { samples, start, end } = await collector.stop();
      const used = cpuNsByTier(start, samples, end).get('app') as number;
      const elapsed = (end[0]?.cpuTotalNs ?? 0) - (start[0]?.cpuTotalNs ?? 0);
      expect(samples.length).toBeGreaterThan(1);
      expect(used).toBe(elapsed);
      const written = (await readFile(join(dir, 'stats.ndjson'), 'utf8')).trim().split('\n');
      expect(written).toHaveLength(samples.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
