import { describe, expect, it } from 'vitest';
import { breakDown, haproxyAverages, medianBreakdown } from '../breakdown.js';
import type { ApiCounters, HaproxyReading } from '../tier-counters.js';
import type { TierReadings } from '../tier-collector.js';

function proxy(responses: number, queueMs: number, connectMs: number, queueCurrent = 0, queueMax = 0, responseMs = 0): HaproxyReading {
  const totalMs = queueMs + connectMs + responseMs + 0.5;
  return { responses, queueCurrent, queueMax, queueMs, connectMs, responseMs, totalMs, servers: [{ server: 'app1', responses, queueCurrent, queueMax, queueMs, connectMs, responseMs, totalMs }] };
}

function api(requests: number, requestSeconds: number, waitSeconds: number, tripSeconds: number, loop: [number, number] = [0, 0]): ApiCounters {
  return {
    requests: { count: requests, sum: requestSeconds },
    poolWait: { count: requests, sum: waitSeconds },
    roundTrip: { count: requests, sum: tripSeconds },
    eventLoopDelay: { count: loop[0], sum: loop[1] },
  };
}

describe("HAProxy's averages over a run", () => {
  it("weighs each reading's averages by the requests answered since the one before", () => {
    // 100 requests at 10 ms of queue, then 300 at 2 ms: 4 ms on average, not the readings' 6.
    expect(haproxyAverages([proxy(0, 0, 0), proxy(100, 10, 1, 0, 0, 20), proxy(400, 2, 1, 0, 0, 24)])).toEqual({ queueMs: 4, connectMs: 1, responseMs: 23, totalMs: 28.5 });
  });

  it('is not a number when nothing was answered', () => {
    expect(haproxyAverages([proxy(5, 3, 1), proxy(5, 3, 1)]).queueMs).toBeNaN();
  });
});

// 1000 requests: the API spent 20 s on them (20 ms each), 8 s waiting for its pool, 6 s in round trips; PgBouncer
// made clients wait 1 s, Postgres executed 3 s; HAProxy queued them 30 ms, connected in 0.5 ms and had the response
// headers 23 ms after sending (3 ms before the API's handler ran) and sent the response on in 0.5 ms; the client saw 55 ms.
const readings: TierReadings = {
  start: {
    atMs: 0,
    api: { replica1: api(500, 10, 1, 1, [100, 0.1]), gone: api(100, 5, 5, 5) },
    pgbouncer: { transactions: 500, queries: 500, transactionUs: 1_000_000, queryUs: 900_000, waitUs: 0 },
    statements: [{ queryId: '1', query: 'select page', calls: 500, totalMs: 400 }],
    haproxy: proxy(600, 0, 0, 0, 4),
  },
  end: {
    atMs: 10_000,
    api: { replica1: api(1500, 30, 9, 7, [1100, 2.1]), started: api(50, 50, 50, 50) },
    pgbouncer: { transactions: 1500, queries: 1500, transactionUs: 6_000_000, queryUs: 4_000_000, waitUs: 1_000_000 },
    statements: [{ queryId: '1', query: 'select page', calls: 1500, totalMs: 3400 }],
    haproxy: proxy(1600, 30, 0.5, 2, 40, 23),
  },
  seconds: [
    { atMs: 1000, haproxy: proxy(1100, 30, 0.5, 25, 40, 23), pgbouncer: { clientsWaiting: 3, serversActive: 10 }, postgresActive: 4 },
    { atMs: 2000, pgbouncer: { clientsWaiting: 1, serversActive: 8 }, postgresActive: 2 },
  ],
  errors: [],
};

describe('the breakdown of a run', () => {
  const { breakdown, evidence } = breakDown(readings, 55);

  it('gives each part per request, nested inside the API and the round trip (the API from the replicas up throughout)', () => {
    expect(breakdown).toMatchObject({ clientMeanMs: 55, haproxyQueueMs: 30, haproxyConnectMs: 0.5, apiQueueMs: 3, apiMs: 20, poolWaitMs: 8, roundTripMs: 6, pgbouncerWaitMs: 1, postgresExecMs: 3 });
  });

  it("gives the API's own time and the remainder the parts do not explain", () => {
    expect(breakdown.apiOwnMs).toBeCloseTo(6);
    expect(breakdown.haproxyTransferMs).toBeCloseTo(0.5);
    expect(breakdown.remainderMs).toBeCloseTo(1);
    const parts = ['haproxyQueueMs', 'haproxyConnectMs', 'apiQueueMs', 'poolWaitMs', 'roundTripMs', 'apiOwnMs', 'haproxyTransferMs', 'remainderMs'] as const;
    expect(parts.reduce((sum, key) => sum + breakdown[key], 0)).toBeCloseTo(55);
  });

  it("leaves the sending part out when HAProxy's total time holds more idle time than the client waited (open model)", () => {
    // Users that idle 450 ms between requests on kept-alive connections: HAProxy's total is 500 ms a request.
    const idleReading = (reading: HaproxyReading): HaproxyReading => ({ ...reading, totalMs: 500 });
    const idleEnd = { ...readings.end, haproxy: idleReading(proxy(1600, 30, 0.5, 2, 40, 23)) };
    const idleSeconds = [{ ...readings.seconds[0], atMs: 1000, haproxy: idleReading(proxy(1100, 30, 0.5, 25, 40, 23)) }, ...readings.seconds.slice(1)];
    const { breakdown: idle } = breakDown({ ...readings, end: idleEnd, seconds: idleSeconds }, 55);
    expect(idle.haproxyTransferMs).toBeNaN();
    // The client's 55 ms less HAProxy's queue, connect and response times (30 + 0.5 + 23).
    expect(idle.remainderMs).toBeCloseTo(1.5);
    expect(idle.poolWaitMs).toBe(8);
  });

  it('counts the time before the handler as not explained when HAProxy could not be read', () => {
    const { breakdown: blind } = breakDown({ ...readings, start: { ...readings.start, haproxy: undefined }, end: { ...readings.end, haproxy: undefined }, seconds: [] } as TierReadings, 55);
    expect(blind.apiQueueMs).toBeNaN();
    expect(blind.haproxyQueueMs).toBeNaN();
    expect(blind.remainderMs).toBe(35);
    expect(blind.poolWaitMs).toBe(8);
  });

  it('gives the evidence: peaks of the queues, PgBouncer per transaction, the late event loop', () => {
    expect(evidence).toMatchObject({ apiRequests: 1000, haproxyResponseMs: 23, haproxyQueuePeak: 40, pgbouncerWaitingPeak: 3, pgbouncerServersActivePeak: 10, postgresActivePeak: 4, postgresActiveMean: 3, pgbouncerTransactions: 1000 });
    expect(evidence.pgbouncerWaitPerTransactionMs).toBeCloseTo(1);
    expect(evidence.pgbouncerTransactionMs).toBeCloseTo(5);
    expect(evidence.eventLoopDelayMs).toBeCloseTo(2);
    expect(evidence.haproxyServers).toEqual([{ server: 'app1', queueMs: 30, connectMs: 0.5, responseMs: 23, totalMs: 54, queuePeak: 25 }]);
    expect(evidence.statements).toEqual([{ query: 'select page', calls: 1000, totalMs: 3000, meanMs: 3 }]);
  });

  it('leaves a part not a number when its tier could not be read, and keeps the others', () => {
    const { breakdown: partial } = breakDown({ ...readings, start: { ...readings.start, pgbouncer: undefined } as TierReadings['start'] }, 52);
    expect(partial.pgbouncerWaitMs).toBeNaN();
    expect(partial.poolWaitMs).toBe(8);
  });

  it("leaves PgBouncer's parts not a number when it restarted during the run (its totals start again from zero)", () => {
    const restarted = { ...readings.end, pgbouncer: { transactions: 10, queries: 10, transactionUs: 1000, queryUs: 1000, waitUs: 0 } };
    const { breakdown: after, evidence } = breakDown({ ...readings, end: restarted }, 55);
    expect(after.pgbouncerWaitMs).toBeNaN();
    expect(evidence.pgbouncerTransactions).toBeNaN();
  });

  it('takes the median of each part over runs, ignoring a run that could not read it', () => {
    const other = { ...breakdown, poolWaitMs: 2, pgbouncerWaitMs: Number.NaN };
    const third = { ...breakdown, poolWaitMs: 4 };
    const median = medianBreakdown([breakdown, other, third]);
    expect(median.poolWaitMs).toBe(4);
    expect(median.pgbouncerWaitMs).toBe(1);
  });
});
