import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's Prometheus metrics on a registry of its own, so several apps can live in one process (tests). */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  requestsInFlight: Gauge;
  dbUnavailable: Counter;
  clientAborts: Counter;
  /** A statement's wait for a connection of this replica's own pool (db/pool-timing.ts). */
  dbPoolWait: Histogram;
  /** A statement's round trip on its connection: PgBouncer's wait for a server connection and Postgres included. */
  dbRoundTrip: Histogram;
}

// 0.1 ms to 10 s: a statement on an idle pool waits nothing and answers in a millisecond; a saturated one, seconds.
const DB_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// 10 ms between probes of the event loop: 100 timer callbacks a second, nothing next to a request's cost.
const EVENT_LOOP_PROBE_MS = 10;

/**
 * Event-loop delay as a histogram: how late a timer due every 10 ms fires. A replica whose CPU is saturated runs
 * every callback late, requests included, so this rises with the time requests wait for the API's own CPU.
 */
function probeEventLoop(registry: Registry): void {
  const histogram = new Histogram({
    name: 'nodejs_event_loop_delay_seconds',
    help: 'How late a timer due every 10 ms fired: time callbacks (requests included) waited for the event loop.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  let due = performance.now() + EVENT_LOOP_PROBE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - due) / 1000);
    due = now + EVENT_LOOP_PROBE_MS;
  }, EVENT_LOOP_PROBE_MS);
  // The probe lives as long as the process and never keeps it alive.
  timer.unref();
}

export function createMetrics(options: { dbPoolMax: number; collectProcessMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry });
  if (options.collectProcessMetrics) probeEventLoop(registry);
  const poolMax = new Gauge({
    name: 'db_pool_max_connections',
    help: 'Connections this replica may open to the database (DB_POOL_MAX).',
    registers: [registry],
  });
  poolMax.set(options.dbPoolMax);
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response, by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      // 1 ms to 10 s: covers a cached list page on an idle stack through a saturated queue.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    requestsInFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'Requests being handled right now; with pool waits, the pool is the bottleneck.',
      registers: [registry],
    }),
    dbUnavailable: new Counter({
      name: 'db_unavailable_errors_total',
      help: 'Requests answered 503 because the database could not be reached.',
      registers: [registry],
    }),
    clientAborts: new Counter({
      name: 'http_client_aborts_total',
      help: 'Requests whose client hung up before the request arrived in full; answered 400, to nobody.',
      registers: [registry],
    }),
    dbPoolWait: new Histogram({
      name: 'db_pool_wait_seconds',
      help: "Time a statement waited for a free connection of this replica's own pool (DB_POOL_MAX); a transaction counts once.",
      buckets: DB_BUCKETS,
      registers: [registry],
    }),
    dbRoundTrip: new Histogram({
      name: 'db_round_trip_seconds',
      help: 'Time from a statement getting a connection to its answer: PgBouncer, Postgres and the network; a transaction counts once, whole.',
      buckets: DB_BUCKETS,
      registers: [registry],
    }),
  };
}
