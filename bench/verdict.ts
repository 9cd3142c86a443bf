// The verdict for one replica count: where a request's time piles up, the evidence, and the knob that would move it.
// Rules are tried from the deepest tier outwards, because a queue further out is usually the echo of one further in
// (a replica whose own pool is full stops taking requests, and HAProxy queues them): the first rule that holds wins.
// A part "weighs" when it is at least the given share of the client's mean latency.
import type { Breakdown, BreakdownEvidence } from './breakdown.js';
import { formatNumber } from './markdown.js';

export type Limit = 'postgres' | 'pgbouncer' | 'api-pool' | 'api-cpu' | 'haproxy-maxconn' | 'api-own' | 'outside' | 'none' | 'unknown';

export interface Verdict {
  limit: Limit;
  sentence: string;
}

/** The API tier's CPU over the run: its mean (100 = one core, all replicas added up) and what it could use. */
export interface ApiCpu {
  meanPercent: number;
  replicas: number;
  hostCores: number;
}

/** The shares of the client's mean latency at which a part weighs; the README lists them with the rules. */
export const VERDICT_SHARES = {
  postgres: 0.25,
  pgbouncer: 0.15,
  pool: 0.15,
  haproxyQueue: 0.15,
  apiOwn: 0.4,
  remainder: 0.4,
} as const;
// A Node replica runs its JavaScript on one core; at 80% of it (or of the host's cores) requests wait for the CPU.
const SATURATED_CORE_SHARE = 0.8;
// A 10 ms timer firing this late on average means callbacks (requests) queue for the event loop.
const BUSY_EVENT_LOOP_MS = 5;

/** True when the API's CPU is the limit: each replica's core, or the host's cores, nearly full; or a late event loop. */
export function apiSaturated(cpu: ApiCpu, eventLoopDelayMs: number): boolean {
  const perReplica = cpu.meanPercent / Math.max(1, cpu.replicas);
  const usable = Math.min(cpu.replicas, cpu.hostCores) * 100;
  return perReplica >= SATURATED_CORE_SHARE * 100 || cpu.meanPercent >= SATURATED_CORE_SHARE * usable || eventLoopDelayMs >= BUSY_EVENT_LOOP_MS;
}

const ms = (value: number): string => `${formatNumber(value, 1)} ms`;

/** The verdict on one replica count's (median) breakdown. */
export function verdict(b: Breakdown, evidence: BreakdownEvidence, cpu: ApiCpu): Verdict {
  const client = b.clientMeanMs;
  if (!(client > 0)) return { limit: 'unknown', sentence: 'No verdict: the client measured no latency.' };
  const weighs = (part: number, share: number): boolean => part >= share * client;
  const of = (part: number): string => `${ms(part)} of the client's ${ms(client)}`;
  const cpuText = `the replicas' CPU ${formatNumber(cpu.meanPercent, 0)}% (${cpu.replicas} replica${cpu.replicas === 1 ? '' : 's'}, ${cpu.hostCores} host cores)`;

  if (weighs(b.postgresExecMs, VERDICT_SHARES.postgres)) {
    const top = evidence.statements[0];
    return {
      limit: 'postgres',
      sentence:
        `Time piles up in Postgres executing statements: ${of(b.postgresExecMs)} per request, ${formatNumber(evidence.postgresActivePeak, 0)} backends active at most` +
        (top === undefined ? '' : `, the busiest statement ${ms(top.meanMs)} a call`) +
        '; the query or the database (its CPU, indexes) would move it, not more replicas or connections.',
    };
  }
  if (weighs(b.pgbouncerWaitMs, VERDICT_SHARES.pgbouncer)) {
    return {
      limit: 'pgbouncer',
      sentence:
        `Time piles up waiting for PgBouncer's server connections: ${of(b.pgbouncerWaitMs)} per request, ${ms(evidence.pgbouncerWaitPerTransactionMs)} a transaction, ` +
        `${formatNumber(evidence.pgbouncerWaitingPeak, 0)} clients waiting at most with ${formatNumber(evidence.pgbouncerServersActivePeak, 0)} server connections busy; ` +
        "PgBouncer's default_pool_size would move it, as long as Postgres has CPU to spare.",
    };
  }
  if (weighs(b.poolWaitMs, VERDICT_SHARES.pool)) {
    return {
      limit: 'api-pool',
      sentence:
        `Time piles up waiting for the API's own database pool: ${of(b.poolWaitMs)} per request, against a round trip of ${ms(b.roundTripMs)} once connected` +
        (weighs(b.haproxyQueueMs, VERDICT_SHARES.haproxyQueue) ? ` (HAProxy's queue, ${ms(b.haproxyQueueMs)}, is its echo)` : '') +
        '; a larger DB_POOL_MAX (within PgBouncer\'s max_client_conn) would move it.',
    };
  }
  if (weighs(b.haproxyQueueMs, VERDICT_SHARES.haproxyQueue)) {
    if (apiSaturated(cpu, evidence.eventLoopDelayMs)) {
      return {
        limit: 'api-cpu',
        sentence:
          `Time piles up in HAProxy's queue, ${of(b.haproxyQueueMs)} (${formatNumber(evidence.haproxyQueuePeak, 0)} queued at most), while the replicas are saturated ` +
          `(${cpuText}, event loop ${ms(evidence.eventLoopDelayMs)} late); more replicas or more CPU per replica would move it, not HAProxy's maxconn.`,
      };
    }
    return {
      limit: 'haproxy-maxconn',
      sentence:
        `Time piles up in HAProxy's queue, ${of(b.haproxyQueueMs)} (${formatNumber(evidence.haproxyQueuePeak, 0)} queued at most), while ${cpuText} has room ` +
        "and nothing behind it waits; HAProxy's maxconn per replica would move it.",
    };
  }
  const apiOwn = b.apiOwnMs + (Number.isFinite(b.apiQueueMs) ? Math.max(0, b.apiQueueMs) : 0);
  if (weighs(apiOwn, VERDICT_SHARES.apiOwn)) {
    return {
      limit: 'api-own',
      sentence:
        `Most of a request's time is inside the API but outside its pool and the database: ${of(apiOwn)} (${ms(b.apiQueueMs)} before its handler ran), ` +
        `${cpuText}, event loop ${ms(evidence.eventLoopDelayMs)} late; a cheaper code path, or more replicas or CPU, would move it.`,
    };
  }
  const outside = b.remainderMs + (Number.isFinite(b.haproxyTransferMs) ? Math.max(0, b.haproxyTransferMs) : 0);
  if (weighs(outside, VERDICT_SHARES.remainder)) {
    return {
      limit: 'outside',
      sentence:
        `Most of a request's time is between HAProxy and the client: ${of(outside)} (${ms(b.haproxyTransferMs)} HAProxy sending responses on, ${ms(b.remainderMs)} not explained); ` +
        "the load generator reads slowly or lacks CPU: check k6's CPU and the host's load before changing the stack.",
    };
  }
  return {
    limit: 'none',
    sentence: `No tier holds requests up: the parts are small and spread (client ${ms(client)}); more load (--vus) would find the limit.`,
  };
}
