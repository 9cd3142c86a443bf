import { readFile } from 'node:fs/promises';
import type { ContainerStats, ContainerSummary, CpuStats, MemoryStats } from '../tools/stack/index.js';
import { containerName, projectContainers, readContainerStats, serviceOf } from '../tools/stack/index.js';
import { mean, peak } from './statistics.js';

// Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat, on every architecture Docker runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/** One reading of one container (or host process), as written to the stats NDJSON file. */
export interface StatsSample {
  /** Sampling round; every container read in the same round shares it. */
  tick: number;
  time: string;
  containerId: string;
  container: string;
  service: string;
  /** CPU use since this container's previous reading, as `docker stats` shows it: 100 = one full core. */
  cpuPercent: number | null;
  /** Memory in use without reclaimable page cache, as `docker stats` shows it. */
  memoryBytes: number;
  cpuTotalNs: number;
  systemCpuNs: number | null;
  onlineCpus: number;
}

/** Peak and mean of one tier (all containers of a compose service added up per sampling round). */
export interface TierStats {
  service: string;
  containers: number;
  peakCpuPercent: number;
  meanCpuPercent: number;
  peakMemoryBytes: number;
  /** CPU time the tier spent per request served, from its containers' cumulative CPU counters (NaN until set). */
  cpuMsPerRequest: number;
}

/** Peak and mean of one container. */
export interface ContainerStatsSummary {
  service: string;
  container: string;
  peakCpuPercent: number;
  meanCpuPercent: number;
  peakMemoryBytes: number;
}

/**
 * CPU percentage between two readings, computed like `docker stats`: the container's share of the host's CPU time
 * in that interval times the number of online CPUs, so 100 means one full core. Null when the readings cannot be compared.
 */
export function cpuPercent(previous: Partial<CpuStats> | undefined, current: CpuStats): number | null {

  const prevTotal = previous?.cpu_usage?.total_usage;
  const prevSystem = previous?.system_cpu_usage;
  const curSystem = current.system_cpu_usage;
  if (prevTotal === undefined || prevSystem === undefined || curSystem === undefined || prevSystem === 0) return null;
  const cpuDelta = current.cpu_usage.total_usage - prevTotal;
  const systemDelta = curSystem - prevSystem;
  const onlineCpus = onlineCpuCount(current);
  if (systemDelta <= 0 || cpuDelta < 0) return null;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

function onlineCpuCount(stats: CpuStats): number {
  if (stats.online_cpus !== undefined && stats.online_cpus > 0) return stats.online_cpus;
  return stats.cpu_usage.percpu_usage?.length ?? 1;
}

/**
 * Memory in use minus reclaimable file cache, like `docker stats`: inactive_file is subtracted (cgroup v1 reports
 * it as total_inactive_file), since the kernel drops those pages before it runs out of memory.
 */
export function memoryWithoutCache(memory: MemoryStats): number {
  const usage = memory.usage ?? 0;
  const stats = memory.stats ?? {};
  const v1Inactive = stats.total_inactive_file;
  if (v1Inactive !== undefined && v1Inactive < usage) return usage - v1Inactive;
  const v2Inactive = stats.inactive_file;
  if (v2Inactive !== undefined && v2Inactive < usage) return usage - v2Inactive;
  return usage;
}

/** Groups samples by compose service and gives each tier's peak and mean CPU and peak memory. */
export function summarizeTiers(samples: readonly StatsSample[]): TierStats[] {
  const services = [...new Set(samples.map((sample) => sample.service))].sort();
  return services.map((service) => {
    const own = samples.filter((sample) => sample.service === service);
    const ticks = new Map<number, { cpu: number; cpuSeen: boolean; memory: number }>();
    for (const sample of own) {
      const round = ticks.get(sample.tick) ?? { cpu: 0, cpuSeen: false, memory: 0 };
      if (sample.cpuPercent !== null) {
        round.cpu += sample.cpuPercent;
        round.cpuSeen = true;
      }
      round.memory += sample.memoryBytes;
      ticks.set(sample.tick, round);
    }
    const rounds = [...ticks.values()];
    const cpu = rounds.filter((round) => round.cpuSeen).map((round) => round.cpu);
    return {
      service,
      containers: new Set(own.map((sample) => sample.containerId)).size,
      peakCpuPercent: peak(cpu),
      meanCpuPercent: mean(cpu),
      peakMemoryBytes: peak(rounds.map((round) => round.memory)),
      cpuMsPerRequest: Number.NaN,
    };
  });
}

/** One container's (or host process's) cumulative CPU counter at one moment. */
export interface CpuCounter {
  containerId: string;
  service: string;
  cpuTotalNs: number;
}

/**
 * CPU time each tier spent during a run, from its containers' cumulative counters: read when the load starts, at
 * every per-second sample, and when it ends. A container that was not there at the start (the k6 container, a
 * replacement replica) counts from zero; a counter that went down started again (a restart) and counts from zero
 * there; a container gone before the end counts up to its last reading.
 */
export function cpuNsByTier(start: readonly CpuCounter[], samples: readonly CpuCounter[], end: readonly CpuCounter[]): Map<string, number> {
  const readings = new Map<string, { service: string; values: number[] }>();
  const add = (counter: CpuCounter): void => {
    const seen = readings.get(counter.containerId) ?? { service: counter.service, values: [] };
    seen.values.push(counter.cpuTotalNs);
    readings.set(counter.containerId, seen);
  };
  const atStart = new Set(start.map((counter) => counter.containerId));
  for (const counter of [...start, ...samples, ...end]) add(counter);
  const byTier = new Map<string, number>();
  for (const [id, { service, values }] of readings) {
    let previous = atStart.has(id) ? (values[0] as number) : 0;
    let used = 0;
    for (const value of values) {
      used += value >= previous ? value - previous : value;
      previous = value;
    }
    byTier.set(service, (byTier.get(service) ?? 0) + used);
  }
  return byTier;
}

/** Sets each tier's CPU milliseconds per request served from the CPU time it spent during the run (cpuNsByTier). */
export function withCpuPerRequest(tiers: readonly TierStats[], cpuNs: ReadonlyMap<string, number>, requests: number): TierStats[] {
  return tiers.map((tier) => {
    const ns = cpuNs.get(tier.service);
    return { ...tier, cpuMsPerRequest: ns === undefined || requests <= 0 ? Number.NaN : ns / 1e6 / requests };
  });
}

/** How the sampler reaches the engine; tests give it stand-ins. */
export interface StatsSource {
  list(project: string): Promise<ContainerSummary[]>;
  read(id: string): Promise<ContainerStats>;
}

const ENGINE: StatsSource = { list: (project) => projectContainers(project), read: readContainerStats };

/** A container removed between the listing and its reading: the engine answers 404. */
function isGone(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404;
}

/** Each running container's cumulative CPU counter now (containers that stop meanwhile are left out). */
export async function readCpuCounters(project: string, source: StatsSource = ENGINE): Promise<CpuCounter[]> {
  const containers = await source.list(project);
  const read = await Promise.allSettled(containers.map(async (container) => ({ container, stats: await source.read(container.Id) })));
  const failed = read.flatMap((result) => (result.status === 'rejected' && !isGone(result.reason) ? [result.reason as unknown] : []));
  if (failed.length > 0) throw new Error(`reading CPU counters of ${project}: ${String(failed[0])}`);
  return read.flatMap((result) =>
    result.status === 'fulfilled' && result.value.stats.cpu_stats?.cpu_usage !== undefined
      ? [{ containerId: result.value.container.Id, service: serviceOf(result.value.container), cpuTotalNs: result.value.stats.cpu_stats.cpu_usage.total_usage }]
      : [],
  );
}

/** Each container's peak and mean CPU and peak memory, ordered by service then name. */
export function summarizeContainers(samples: readonly StatsSample[]): ContainerStatsSummary[] {
  const ids = [...new Set(samples.map((sample) => sample.containerId))];
  return ids
    .map((id) => {
      const own = samples.filter((sample) => sample.containerId === id);
      const first = own[0] as StatsSample;
      const cpu = own.flatMap((sample) => (sample.cpuPercent === null ? [] : [sample.cpuPercent]));
      return {
        service: first.service,
        container: first.container,
        peakCpuPercent: peak(cpu),
        meanCpuPercent: mean(cpu),
        peakMemoryBytes: peak(own.map((sample) => sample.memoryBytes)),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.container.localeCompare(b.container));
}

/**
 * Reads every running container of a compose project once per interval until stopped. CPU% of a reading is
 * computed against the same container's previous reading, so the first reading of each container has none.
 */
export class StatsSampler {
  readonly #project: string;
  readonly #intervalMs: number;
  readonly #onSample: (sample: StatsSample) => void;
  readonly #previous = new Map<string, CpuStats>();
  #samples: StatsSample[] = [];
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> = Promise.resolve();
  #running = false;
  #closed = false;
  #errors: string[] = [];
  readonly #processes = new Map<number, { service: string; name: string; previous?: { cpuNs: number; atNs: bigint } }>();
  readonly #source: StatsSource;

  constructor(project: string, onSample: (sample: StatsSample) => void = () => {}, intervalMs = 1000, source: StatsSource = ENGINE) {
    this.#project = project;
    this.#onSample = onSample;
    this.#intervalMs = intervalMs;
    this.#source = source;
  }

  /** Also samples a process of this machine (the load generator when it runs here), as `service`. */
  watchProcess(pid: number, service: string, name: string): void {
    this.#processes.set(pid, { service, name });
  }

  /** Takes a first reading (the CPU baseline) and then one per interval. */
  async start(): Promise<void> {
    this.#running = true;
    this.#closed = false;
    this.#samples = [];
    this.#errors = [];
    this.#processes.clear();
    await this.#sampleOnce(false);
    this.#scheduleAt(Date.now() + this.#intervalMs);
  }

  /** Stops sampling and returns the readings taken since start(), baseline excluded; no reading is passed on after. */
  async stop(): Promise<{ samples: StatsSample[]; errors: string[] }> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#round;
    this.#closed = true;
    return { samples: this.#samples, errors: this.#errors };
  }

  #record(sample: StatsSample): void {
    if (this.#closed) return;
    this.#samples.push(sample);
    this.#onSample(sample);
  }

  #scheduleAt(dueAt: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      // A round slower than the interval delays the next one instead of bunching readings together.
      this.#round = this.#sampleOnce(true).then(() => this.#scheduleAt(Math.max(dueAt + this.#intervalMs, Date.now())));
    }, Math.max(0, dueAt - Date.now()));
  }

  async #sampleOnce(record: boolean): Promise<void> {
    const tick = this.#tick++;
    await Promise.all([...this.#processes.keys()].map((pid) => this.#sampleProcess(pid, tick, record)));
    let containers: ContainerSummary[];
    try {
      containers = await this.#source.list(this.#project);
    } catch (error) {
      this.#errors.push(`${new Date().toISOString()} ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    // Every reading of the round settles before the round does, so none can arrive after stop().
    const readings = await Promise.allSettled(containers.map(async (container) => ({ container, stats: await this.#source.read(container.Id) })));
    for (const reading of readings) {
      if (reading.status === 'rejected') {
        // A container removed since the listing (a finished k6 run) is no error.
        if (!isGone(reading.reason)) this.#errors.push(`${new Date().toISOString()} ${reading.reason instanceof Error ? reading.reason.message : String(reading.reason)}`);
        continue;
      }
      const { container, stats } = reading.value;
      // A container that stopped between the listing and its reading has no CPU figures.
      if (stats.cpu_stats?.cpu_usage === undefined) continue;
      const previous = this.#previous.get(container.Id) ?? stats.precpu_stats;
      this.#previous.set(container.Id, stats.cpu_stats);
      if (!record) continue;
      this.#record({
        tick,
        time: stats.read,
        containerId: container.Id,
        container: containerName(container),
        service: serviceOf(container),
        cpuPercent: cpuPercent(previous, stats.cpu_stats),
        memoryBytes: memoryWithoutCache(stats.memory_stats),
        cpuTotalNs: stats.cpu_stats.cpu_usage.total_usage,
        systemCpuNs: stats.cpu_stats.system_cpu_usage ?? null,
        onlineCpus: onlineCpuCount(stats.cpu_stats),
      });
    }
  }

  /** One reading of a host process from /proc: CPU from utime + stime, memory as its resident set. */
  async #sampleProcess(pid: number, tick: number, record: boolean): Promise<void> {
    const watched = this.#processes.get(pid);
    if (watched === undefined) return;
    try {
      const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
      const atNs = process.hrtime.bigint();
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuNs = (Number(fields[11]) + Number(fields[12])) * (1e9 / CLOCK_TICKS_PER_SECOND);
      const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
      const previous = watched.previous;
      watched.previous = { cpuNs, atNs };
      if (!record) return;
      const sample: StatsSample = {
        tick,
        time: new Date().toISOString(),
        containerId: `pid-${pid}`,
        container: watched.name,
        service: watched.service,
        cpuPercent: previous === undefined ? null : ((cpuNs - previous.cpuNs) / Number(atNs - previous.atNs)) * 100,
        memoryBytes: rssKiB * 1024,
        cpuTotalNs: cpuNs,
        systemCpuNs: null,
        onlineCpus: 1,
      };
      this.#record(sample);
    } catch {
      // the process has exited: its last reading stands
      this.#processes.delete(pid);
    }
  }
}
