// Reads k6's end-of-test summary (`k6 run --summary-export FILE`): each metric's figures sit under its name, a
// sub-metric (e.g. `http_req_duration{op:write}`) under its own key, and `thresholds` maps each threshold to
// whether it was crossed.

/** The figures of one k6 run. */
export interface K6Figures {
  requests: number;
  durationS: number;
  requestsPerSecond: number;
  latencyMs: LatencyMs;
  /** Failed requests (http_req_failed): non-2xx/3xx answers, connection errors and timeouts. */
  errors: number;
  errorRate: number;
  checks: { passes: number; fails: number };
  /** Iterations an arrival-rate executor could not start on time (open model); 0 for a closed model. */
  droppedIterations: number;
  /** The thresholds that were crossed, as "metric: expression". */
  crossedThresholds: string[];
  /** Latency per kind of operation, for scripts that tag requests with `op` (mixed load). */
  operations: Array<{ op: string; requests: number; latencyMs: LatencyMs }>;
}

export interface LatencyMs {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function numberOf(object: Json, key: string): number {
  const value = object[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
}

function latency(trend: Json): LatencyMs {
  return {
    mean: numberOf(trend, 'avg'),
    p50: numberOf(trend, 'p(50)'),
    p90: numberOf(trend, 'p(90)'),
    p99: numberOf(trend, 'p(99)'),
    max: numberOf(trend, 'max'),
  };
}

/** Parses a `--summary-export` document; throws when it holds no requests (the script never ran its load). */
export function parseK6Summary(summary: unknown): K6Figures {
  const metrics = asObject(asObject(summary).metrics);
  const metric = (name: string): Json => asObject(metrics[name]);
  const reqs = metric('http_reqs');
  const requests = numberOf(reqs, 'count');
  const requestsPerSecond = numberOf(reqs, 'rate');
  if (!Number.isFinite(requests) || !Number.isFinite(requestsPerSecond)) {
    throw new Error('the k6 summary has no http_reqs count and rate: the script made no requests');
  }
  // For a rate metric `passes` counts samples that were true: for http_req_failed, the failed requests.
  const failed = metric('http_req_failed');
  const checks = metric('checks');
  const crossedThresholds = Object.entries(metrics).flatMap(([name, value]) =>
    Object.entries(asObject(asObject(value).thresholds)).flatMap(([expression, crossed]) => (crossed === true ? [`${name}: ${expression}`] : [])),
  );
  const operations = Object.keys(metrics).flatMap((name) => {
    const op = /^http_req_duration\{op:([^}]+)\}$/.exec(name)?.[1];
    if (op === undefined) return [];
    const trend = metric(name);
    return [{ op, requests: numberOf(trend, 'count'), latencyMs: latency(trend) }];
  });
  const dropped = numberOf(metric('dropped_iterations'), 'count');
  return {
    requests,
    durationS: requestsPerSecond > 0 ? requests / requestsPerSecond : 0,
    requestsPerSecond,
    latencyMs: latency(metric('http_req_duration')),
    errors: numberOf(failed, 'passes') || 0,
    errorRate: numberOf(failed, 'value'),
    checks: { passes: numberOf(checks, 'passes') || 0, fails: numberOf(checks, 'fails') || 0 },
    droppedIterations: Number.isFinite(dropped) ? dropped : 0,
    crossedThresholds,
    operations: operations.sort((a, b) => a.op.localeCompare(b.op)),
  };
}
