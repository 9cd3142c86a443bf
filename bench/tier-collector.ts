// The collector of each tier's counters around a measured run: every counter at the start and the end, and the queues
// (HAProxy's, PgBouncer's waiting clients, Postgres's active backends) once a second in between. A reading that fails
// is recorded as an error and leaves its figures out; it never fails the run.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from './measure.js';
import {
  haproxyReader,
  readActiveBackends,
  readApiCounters,
  readPgbouncerPools,
  readPgbouncerStats,
  readStatements,
  type ApiCounters,
  type HaproxyReading,
  type PgbouncerPools,
  type PgbouncerStats,
  type StatementCounters,
} from './tier-counters.js';

/** Every tier's counters at one moment; a tier whose reading failed is absent. */
export interface CounterReading {
  atMs: number;
  /** By replica (container id). */
  api?: Record<string, ApiCounters>;
  pgbouncer?: PgbouncerStats;
  statements?: StatementCounters[];
  haproxy?: HaproxyReading;
}

/** The queues once a second. */
export interface QueueSecond {
  /** When it was read, in ms since the epoch. */
  atMs: number;
  haproxy?: HaproxyReading;
  pgbouncer?: PgbouncerPools;
  postgresActive?: number;
}

export interface TierReadings {
  start: CounterReading;
  end: CounterReading;
  seconds: QueueSecond[];
  errors: string[];
}

const SECOND_MS = 1000;

async function attempt<T>(what: string, errors: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    // The first line, without the command a failed `docker exec` names: the reason is what the report needs.
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    errors.push(`${what}: ${message.replace(/^`[^`]*` in \w+ exited (\d+): /, 'exit $1: ')}`);
    return undefined;
  }
}

/** Reads the counters of the stack of `project` (HAProxy on `baseUrl`) around a run. */
export function tierCollector(project: string, baseUrl: string, intervalMs = SECOND_MS): Collector<TierReadings> {
  const errors: string[] = [];
  let haproxy: (() => Promise<HaproxyReading>) | undefined;
  let startedAt = 0;
  let start: CounterReading | undefined;
  const seconds: QueueSecond[] = [];
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const readCounters = async (): Promise<CounterReading> => {
    const [api, pgbouncer, statements, proxy] = await Promise.all([
      attempt('API /metrics', errors, () => readApiCounters(project)),
      attempt('PgBouncer SHOW STATS', errors, () => readPgbouncerStats(project)),
      attempt('pg_stat_statements', errors, () => readStatements(project)),
      haproxy === undefined ? undefined : attempt('HAProxy stats', errors, haproxy),
    ]);
    return {
      atMs: Date.now() - startedAt,
      ...(api === undefined ? {} : { api }),
      ...(pgbouncer === undefined ? {} : { pgbouncer }),
      ...(statements === undefined ? {} : { statements }),
      ...(proxy === undefined ? {} : { haproxy: proxy }),
    };
  };

  const readQueues = async (): Promise<void> => {
    const atMs = Date.now();
    const [proxy, pools, active] = await Promise.all([
      haproxy === undefined ? undefined : attempt('HAProxy stats', errors, haproxy),
      attempt('PgBouncer SHOW POOLS', errors, () => readPgbouncerPools(project)),
      attempt('pg_stat_activity', errors, () => readActiveBackends(project)),
    ]);
    seconds.push({ atMs, ...(proxy === undefined ? {} : { haproxy: proxy }), ...(pools === undefined ? {} : { pgbouncer: pools }), ...(active === undefined ? {} : { postgresActive: active }) });
  };

  // One reading at a time: a slow second delays the next instead of piling readings up on a loaded machine.
  const everySecond = async (signal: AbortSignal): Promise<void> => {
    for (let tick = 1; !signal.aborted; tick += 1) {
      const wait = startedAt + tick * intervalMs - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await readQueues();
    }
  };

  return {
    async start() {
      startedAt = Date.now();
      haproxy = await attempt('HAProxy stats credentials', errors, () => haproxyReader(project, baseUrl));
      start = await readCounters();
      startedAt = Date.now();
      start.atMs = 0;
      loop = everySecond(stopping.signal);
    },
    async stop() {
      stopping.abort();
      await loop;
      const end = await readCounters();
      return { start: start ?? { atMs: 0 }, end, seconds, errors };
    },
  };
}
