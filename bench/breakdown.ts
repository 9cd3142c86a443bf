// Where a request's time went, from the tiers' own counters around one run: the client's mean latency next to its
// parts, in the order a request meets them. HAProxy's queue and connect; in the replica, the wait before its handler
// ran, then the API's own measure: its pool's wait, the database round trip (of which PgBouncer's wait and Postgres's
// execution) and the rest, its own time; HAProxy sending the response on; and the remainder the parts do not explain
// (outside HAProxy: the network to the client and k6 itself).
import type { TierReadings } from './tier-collector.js';
import { mean, median, peak } from './statistics.js';
import { apiCountersBetween, statementsBetween, type HaproxyReading, type StatementFigures } from './tier-counters.js';

/** Per request, in ms; NaN where a tier could not be read. */
export interface Breakdown {
  clientMeanMs: number;
  haproxyQueueMs: number;
  haproxyConnectMs: number;
  /**
   * HAProxy's response time (rtime) less the API's own measure: the request waiting in the replica before its handler
   * ran and while its answer was written (the event loop, HTTP parsing), which the API's own clock cannot see.
   */
  apiQueueMs: number;
  /** The API's own measure of a request, from its first middleware to the response. */
  apiMs: number;
  poolWaitMs: number;
  roundTripMs: number;
  pgbouncerWaitMs: number;
  postgresExecMs: number;
  /** apiMs less pool wait and round trip: the API's CPU and event loop (parsing, JSON, waiting for its turn). */
  apiOwnMs: number;
  /**
   * HAProxy's total time (ttime) less its queue, connect and response times: sending the response on to the client,
   * and idle time before the request on a kept-alive connection.
   */
  haproxyTransferMs: number;
  /** clientMeanMs less every part above: outside HAProxy (the network to the client and k6 itself), or unknown. */
  remainderMs: number;
}

/** What the verdict and the report cite beside the breakdown. */
export interface BreakdownEvidence {
  /** Load requests the API counted (probes and scrapes left out). */
  apiRequests: number;
  /** HAProxy's averages over the run: until the response headers came (rtime), and the whole request (ttime). */
  haproxyResponseMs: number;
  haproxyTotalMs: number;
  eventLoopDelayMs: number;
  /** HAProxy: the backend's queue, the most at once during the run. */
  haproxyQueuePeak: number;
  /** HAProxy per server at the run's end: its averages over its last 1024 requests, and its queue's peak during the run. */
  haproxyServers: Array<{ server: string; queueMs: number; connectMs: number; responseMs: number; totalMs: number; queuePeak: number }>;
  /** PgBouncer per transaction: the wait for a server connection, and the transaction's time. */
  pgbouncerWaitPerTransactionMs: number;
  pgbouncerTransactionMs: number;
  pgbouncerTransactions: number;
  pgbouncerWaitingPeak: number;
  pgbouncerServersActivePeak: number;
  postgresActivePeak: number;
  postgresActiveMean: number;
  /** The busiest statements of the run (pg_stat_statements). */
  statements: StatementFigures[];
}

export interface RunBreakdown {
  breakdown: Breakdown;
  evidence: BreakdownEvidence;
  /** Readings that failed (their parts are NaN). */
  errors: string[];
}

const TOP_STATEMENTS = 5;

/**
 * HAProxy's averages over the run: its figures are averages over the last 1024 requests, so each reading stands for
 * the requests answered since the one before, and weighs that much.
 */
export function haproxyAverages(readings: readonly HaproxyReading[]): { queueMs: number; connectMs: number; responseMs: number; totalMs: number } {
  let weight = 0;
  const sums = { queueMs: 0, connectMs: 0, responseMs: 0, totalMs: 0 };
  for (let i = 1; i < readings.length; i += 1) {
    const [before, now] = [readings[i - 1] as HaproxyReading, readings[i] as HaproxyReading];
    const answered = now.responses - before.responses;
    if (answered <= 0) continue;
    weight += answered;
    for (const key of Object.keys(sums) as Array<keyof typeof sums>) sums[key] += answered * now[key];
  }
  const average = (sum: number): number => (weight === 0 ? Number.NaN : sum / weight);
  return { queueMs: average(sums.queueMs), connectMs: average(sums.connectMs), responseMs: average(sums.responseMs), totalMs: average(sums.totalMs) };
}

/** The breakdown of one run: the tiers' readings around it and the client's mean latency. */
export function breakDown(readings: TierReadings, clientMeanMs: number): RunBreakdown {
  const { start, end, seconds } = readings;
  const proxyReadings = [start.haproxy, ...seconds.map((second) => second.haproxy), end.haproxy].filter((r): r is HaproxyReading => r !== undefined);
  const proxy = haproxyAverages(proxyReadings);

  const api = start.api && end.api ? apiCountersBetween(start.api, end.api) : undefined;
  const requests = api?.requests.count ?? Number.NaN;
  const perRequestMs = (seconds: number | undefined): number => (seconds === undefined || !(requests > 0) ? Number.NaN : (seconds * 1000) / requests);

  const apiMs = perRequestMs(api?.requests.sum);
  const poolWaitMs = perRequestMs(api?.poolWait.sum);
  const roundTripMs = perRequestMs(api?.roundTrip.sum);
  const eventLoopDelayMs = api !== undefined && api.eventLoopDelay.count > 0 ? (api.eventLoopDelay.sum * 1000) / api.eventLoopDelay.count : Number.NaN;

  // A PgBouncer restarted during the run starts its totals from zero again: its deltas say nothing.
  const bouncer = start.pgbouncer && end.pgbouncer && end.pgbouncer.transactions >= start.pgbouncer.transactions ? { transactions: end.pgbouncer.transactions - start.pgbouncer.transactions, waitUs: end.pgbouncer.waitUs - start.pgbouncer.waitUs, transactionUs: end.pgbouncer.transactionUs - start.pgbouncer.transactionUs } : undefined;
  const statements = start.statements && end.statements ? statementsBetween(start.statements, end.statements) : undefined;
  const executedMs = statements?.reduce((sum, statement) => sum + statement.totalMs, 0);

  // HAProxy's total time counts a kept-alive connection's idle time before each request. Where it exceeds what the
  // client waited (an open model's users idle between iterations), it says nothing about sending the response on,
  // and the time after the response headers counts as not explained.
  const idleCounted = proxy.totalMs > clientMeanMs;
  const haproxyQueueMs = proxy.queueMs;
  const haproxyConnectMs = proxy.connectMs;
  const queuePeaks = proxyReadings.map((reading) => reading.queueCurrent);
  if (start.haproxy && end.haproxy && end.haproxy.queueMax > start.haproxy.queueMax) queuePeaks.push(end.haproxy.queueMax);
  const pools = seconds.flatMap((second) => (second.pgbouncer === undefined ? [] : [second.pgbouncer]));
  const active = seconds.flatMap((second) => (second.postgresActive === undefined ? [] : [second.postgresActive]));

  return {
    breakdown: {
      clientMeanMs,
      haproxyQueueMs,
      haproxyConnectMs,
      apiQueueMs: proxy.responseMs - apiMs,
      apiMs,
      poolWaitMs,
      roundTripMs,
      pgbouncerWaitMs: bouncer === undefined ? Number.NaN : perRequestMs(bouncer.waitUs / 1e6),
      postgresExecMs: executedMs === undefined ? Number.NaN : perRequestMs(executedMs / 1000),
      apiOwnMs: apiMs - poolWaitMs - roundTripMs,
      haproxyTransferMs: idleCounted ? Number.NaN : proxy.totalMs - proxy.queueMs - proxy.connectMs - proxy.responseMs,
      // Without HAProxy's figures, the time it accounts for is unknown and counts as not explained.
      remainderMs: clientMeanMs - (Number.isNaN(proxy.totalMs) ? apiMs : idleCounted ? proxy.queueMs + proxy.connectMs + proxy.responseMs : proxy.totalMs),
    },
    evidence: {
      apiRequests: requests,
      haproxyResponseMs: proxy.responseMs,
      haproxyTotalMs: proxy.totalMs,
      eventLoopDelayMs,
      haproxyQueuePeak: peak(queuePeaks),
      haproxyServers: (end.haproxy?.servers ?? []).map(({ server, queueMs, connectMs, responseMs, totalMs }) => ({
        server,
        queueMs,
        connectMs,
        responseMs,
        totalMs,
        queuePeak: peak(proxyReadings.flatMap((reading) => reading.servers.filter((s) => s.server === server).map((s) => s.queueCurrent))),
      })),
      pgbouncerWaitPerTransactionMs: bouncer && bouncer.transactions > 0 ? bouncer.waitUs / 1000 / bouncer.transactions : Number.NaN,
      pgbouncerTransactionMs: bouncer && bouncer.transactions > 0 ? bouncer.transactionUs / 1000 / bouncer.transactions : Number.NaN,
      pgbouncerTransactions: bouncer?.transactions ?? Number.NaN,
      pgbouncerWaitingPeak: peak(pools.map((pool) => pool.clientsWaiting)),
      pgbouncerServersActivePeak: peak(pools.map((pool) => pool.serversActive)),
      postgresActivePeak: peak(active),
      postgresActiveMean: mean(active),
      statements: (statements ?? []).slice(0, TOP_STATEMENTS),
    },
    errors: readings.errors,
  };
}

/** The parts in the order a request meets them, with their names in the report (the nested ones indented). */
export const BREAKDOWN_PARTS: ReadonlyArray<{ key: keyof Breakdown; label: string; nested?: boolean }> = [
  { key: 'haproxyQueueMs', label: "HAProxy's queue" },
  { key: 'haproxyConnectMs', label: 'HAProxy connecting to a replica' },
  { key: 'apiQueueMs', label: 'API: before its handler (event loop, HTTP parsing)' },
  { key: 'poolWaitMs', label: "API: wait for its own pool's connection" },
  { key: 'roundTripMs', label: 'API: database round trip' },
  { key: 'pgbouncerWaitMs', label: "of which PgBouncer's wait for a server connection", nested: true },
  { key: 'postgresExecMs', label: 'of which Postgres executing', nested: true },
  { key: 'apiOwnMs', label: 'API: its own time (CPU, event loop)' },
  { key: 'haproxyTransferMs', label: 'HAProxy sending the response on (and idle before the request)' },
  { key: 'remainderMs', label: 'not explained (outside HAProxy: network, k6)' },
];

/** The median of each part over runs (a run that could not read a part is left out of that part). */
export function medianBreakdown(runs: readonly Breakdown[]): Breakdown {
  const keys = BREAKDOWN_PARTS.map((part) => part.key).concat('clientMeanMs', 'apiMs');
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[key]).filter((value) => !Number.isNaN(value)))])) as unknown as Breakdown;
}
