import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's Prometheus metrics on a registry of its own, so several apps can live in one process (tests). */
export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  requestsInFlight: Gauge;
  dbUnavailable: Counter;
  clientAborts: Counter;
}

export function createMetrics(options: { dbPoolMax: number; collectProcessMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.collectProcessMetrics) collectDefaultMetrics({ register: registry });
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
  };
}
