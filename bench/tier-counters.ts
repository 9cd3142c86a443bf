// Each tier's own counters, read at the start and the end of a measured run (and its queues once a second), never a
// sample per request: HAProxy's stats CSV, the API replicas' /metrics, PgBouncer's SHOW STATS and SHOW POOLS, and
// Postgres's pg_stat_statements and pg_stat_activity. Parsers here are pure; readers talk to the running stack.
import {
  APP_SERVICE,
  execInContainer,
  haproxyStatsCredentials,
  projectContainers,
  queryStack,
  readHaproxyStats,
  type Row,
  type StatsRow,
} from '../tools/stack/index.js';

/** A Prometheus histogram's totals: observations and the sum of their values (seconds). */
export interface HistogramTotals {
  count: number;
  sum: number;
}

// Requests that are not the load's: HAProxy's probes, scrapes.
const NOT_LOAD_ROUTES = new Set(['/readyz', '/healthz', '/metrics']);

/** A histogram's _count and _sum in Prometheus text, added up over its label sets (requests of probes and scrapes left out). */
export function histogramTotals(text: string, name: string): HistogramTotals {
  const totals = { count: 0, sum: 0 };
  const pattern = new RegExp(`^${name}_(count|sum)(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  for (const match of text.matchAll(pattern)) {
    const route = /(?:^|,)route="([^"]*)"/.exec(match[2] ?? '')?.[1];
    if (route !== undefined && NOT_LOAD_ROUTES.has(route)) continue;
    totals[match[1] as 'count' | 'sum'] += Number(match[3]);
  }
  return totals;
}

/** One replica's counters a breakdown needs. */
export interface ApiCounters {
  requests: HistogramTotals;
  poolWait: HistogramTotals;
  roundTrip: HistogramTotals;
  eventLoopDelay: HistogramTotals;
}

export function apiCounters(text: string): ApiCounters {
  return {
    requests: histogramTotals(text, 'http_request_duration_seconds'),
    poolWait: histogramTotals(text, 'db_pool_wait_seconds'),
    roundTrip: histogramTotals(text, 'db_round_trip_seconds'),
    eventLoopDelay: histogramTotals(text, 'nodejs_event_loop_delay_seconds'),
  };
}

/**
 * What the replicas counted between two readings, added up over the replicas present at both and not restarted in
 * between (a replica killed, restarted or started during the run would count from or to zero); undefined when none was.
 */
export function apiCountersBetween(start: Readonly<Record<string, ApiCounters>>, end: Readonly<Record<string, ApiCounters>>): ApiCounters | undefined {
  const both = Object.keys(end).filter((replica) => start[replica] !== undefined && (end[replica] as ApiCounters).requests.count >= (start[replica] as ApiCounters).requests.count);
  if (both.length === 0) return undefined;
  const delta = (pick: (counters: ApiCounters) => HistogramTotals): HistogramTotals =>
    both.reduce(
      (total, replica) => {
        const [before, after] = [pick(start[replica] as ApiCounters), pick(end[replica] as ApiCounters)];
        return { count: total.count + after.count - before.count, sum: total.sum + after.sum - before.sum };
      },
      { count: 0, sum: 0 },
    );
  return { requests: delta((c) => c.requests), poolWait: delta((c) => c.poolWait), roundTrip: delta((c) => c.roundTrip), eventLoopDelay: delta((c) => c.eventLoopDelay) };
}

/** PgBouncer's SHOW STATS totals over the application's databases (its admin console left out); times in µs. */
export interface PgbouncerStats {
  transactions: number;
  queries: number;
  transactionUs: number;
  queryUs: number;
  waitUs: number;
}

export function pgbouncerStats(rows: readonly Row[]): PgbouncerStats {
  const own = rows.filter((row) => row.database !== 'pgbouncer');
  const total = (column: string): number => own.reduce((sum, row) => sum + Number(row[column] ?? 0), 0);
  return {
    transactions: total('total_xact_count'),
    queries: total('total_query_count'),
    transactionUs: total('total_xact_time'),
    queryUs: total('total_query_time'),
    waitUs: total('total_wait_time'),
  };
}

/** SHOW POOLS at one moment: clients waiting for a server connection, and server connections in use. */
export interface PgbouncerPools {
  clientsWaiting: number;
  serversActive: number;
}

export function pgbouncerPools(rows: readonly Row[]): PgbouncerPools {
  const own = rows.filter((row) => row.database !== 'pgbouncer');
  return {
    clientsWaiting: own.reduce((sum, row) => sum + Number(row.cl_waiting ?? 0), 0),
    serversActive: own.reduce((sum, row) => sum + Number(row.sv_active ?? 0), 0),
  };
}

/** One statement's pg_stat_statements counters. */
export interface StatementCounters {
  queryId: string;
  query: string;
  calls: number;
  totalMs: number;
}

// The bench's own readings are statements too; they are not the endpoint's.
const OWN_READINGS = /pg_stat_statements|pg_stat_activity/;

export function statementCounters(rows: readonly Row[]): StatementCounters[] {
  return rows
    .filter((row) => !OWN_READINGS.test(row.query ?? ''))
    .map((row) => ({ queryId: row.queryid ?? '', query: (row.query ?? '').replace(/\s+/g, ' ').trim(), calls: Number(row.calls ?? 0), totalMs: Number(row.total_exec_time ?? 0) }));
}

/** A statement's share of a run: calls, and its mean and total execution time during the run. */
export interface StatementFigures {
  query: string;
  calls: number;
  meanMs: number;
  totalMs: number;
}

/** What each statement did between two readings, busiest first (a statement first seen at the end started from zero). */
export function statementsBetween(start: readonly StatementCounters[], end: readonly StatementCounters[]): StatementFigures[] {
  const before = new Map(start.map((statement) => [statement.queryId, statement]));
  return end
    .map((statement) => {
      const calls = statement.calls - (before.get(statement.queryId)?.calls ?? 0);
      const totalMs = statement.totalMs - (before.get(statement.queryId)?.totalMs ?? 0);
      return { query: statement.query, calls, totalMs, meanMs: calls > 0 ? totalMs / calls : Number.NaN };
    })
    .filter((statement) => statement.calls > 0)
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** HAProxy's figures of one backend at one moment: its summary row. */
export interface HaproxyReading {
  responses: number;
  queueCurrent: number;
  queueMax: number;
  queueMs: number;
  connectMs: number;
  responseMs: number;
  totalMs: number;
  /** Each server slot with a replica: the same averages, and its queue. */
  servers: Array<{ server: string; responses: number; queueCurrent: number; queueMax: number; queueMs: number; connectMs: number; responseMs: number; totalMs: number }>;
}

export const HAPROXY_BACKEND = 'app';

export function haproxyReading(rows: readonly StatsRow[], backend = HAPROXY_BACKEND): HaproxyReading {
  const mine = rows.filter((row) => row.proxy === backend);
  const summary = mine.find((row) => row.server === 'BACKEND');
  if (summary === undefined) throw new Error(`HAProxy stats have no backend ${backend}`);
  const figures = ({ responses, queueCurrent, queueMax, queueMs, connectMs, responseMs, totalMs }: StatsRow) => ({ responses, queueCurrent, queueMax, queueMs, connectMs, responseMs, totalMs });
  return {
    ...figures(summary),
    servers: mine.filter((row) => row.server !== 'BACKEND' && !row.status.startsWith('MAINT')).map((row) => ({ server: row.server, ...figures(row) })),
  };
}

// --- readers (the running stack) ---

/** Each replica's counters by container id, from its /metrics read inside its own container (the replicas publish no port; HAProxy 404s /metrics). */
export async function readApiCounters(project: string): Promise<Record<string, ApiCounters>> {
  const replicas = await projectContainers(project, { service: APP_SERVICE });
  const script = "fetch('http://127.0.0.1:3000/metrics').then(async (r) => { if (!r.ok) process.exit(1); process.stdout.write(await r.text()); }, () => process.exit(1))";
  const read = await Promise.all(replicas.map(async (replica) => [replica.Id, apiCounters(await execInContainer(replica.Id, ['node', '-e', script]))] as const));
  return Object.fromEntries(read);
}

const STATEMENTS_SQL =
  'select queryid, calls, total_exec_time, query from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())';
const ACTIVE_BACKENDS_SQL = "select count(*) as active from pg_stat_activity where state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()";

/** pg_stat_statements in the stack's database, created on first use (compose.yaml preloads the library). */
export async function readStatements(project: string): Promise<StatementCounters[]> {
  await queryStack(project, 'create extension if not exists pg_stat_statements');
  return statementCounters(await queryStack(project, STATEMENTS_SQL));
}

export async function readPgbouncerStats(project: string): Promise<PgbouncerStats> {
  return pgbouncerStats(await queryStack(project, 'SHOW STATS', { via: 'pgbouncer', database: 'pgbouncer' }));
}

export async function readPgbouncerPools(project: string): Promise<PgbouncerPools> {
  return pgbouncerPools(await queryStack(project, 'SHOW POOLS', { via: 'pgbouncer', database: 'pgbouncer' }));
}

export async function readActiveBackends(project: string): Promise<number> {
  const [row] = await queryStack(project, ACTIVE_BACKENDS_SQL);
  return Number(row?.active ?? Number.NaN);
}

/** Reads HAProxy's stats page on the stack's published port, with the credentials from its container. */
export async function haproxyReader(project: string, baseUrl: string): Promise<() => Promise<HaproxyReading>> {
  const { user, password } = await haproxyStatsCredentials(project);
  return async () => haproxyReading(await readHaproxyStats(baseUrl, user, password));
}
