import { describe, expect, it } from 'vitest';
import { parseK6Summary } from '../stack/k6-summary.js';

// The shape of `k6 run --summary-export` from k6 1.0.0 to 1.8.1 (a mixed open-model run): each metric's figures sit
// under its name, a threshold maps to whether it was crossed, sub-metrics with thresholds get their own key.
const SUMMARY = {
  metrics: {
    http_reqs: { count: 1_600, rate: 80 },
    http_req_duration: { avg: 61.2, min: 3.1, 'p(50)': 55.5, 'p(90)': 98.4, 'p(95)': 120.1, 'p(99)': 201.7, max: 480.3, count: 1_600, thresholds: { 'p(99)<1000': false } },
    'http_req_duration{op:write}': { avg: 90, 'p(50)': 80, 'p(90)': 150, 'p(99)': 300, max: 310, count: 320, thresholds: { 'max>=0': false } },
    'http_req_duration{op:read}': { avg: 50, 'p(50)': 45, 'p(90)': 80, 'p(99)': 150, max: 200, count: 1_200, thresholds: { 'max>=0': false } },
    // For http_req_failed a "pass" is a failed request: the metric is true when the request failed.
    http_req_failed: { passes: 16, fails: 1_584, value: 0.01, thresholds: { 'rate<0.01': true } },
    checks: { passes: 3_190, fails: 10, value: 0.997 },
    dropped_iterations: { count: 7, rate: 0.35, thresholds: { 'count==0': true } },
  },
};

describe('parseK6Summary', () => {
  const figures = parseK6Summary(SUMMARY);

  it('reads requests, rate, duration, latency percentiles, failures and checks', () => {
    expect(figures).toMatchObject({
      requests: 1_600,
      durationS: 20,
      requestsPerSecond: 80,
      latencyMs: { mean: 61.2, p50: 55.5, p90: 98.4, p99: 201.7, max: 480.3 },
      errors: 16,
      errorRate: 0.01,
      checks: { passes: 3_190, fails: 10 },
      droppedIterations: 7,
    });
  });

  it('lists the crossed thresholds only', () => {
    expect(figures.crossedThresholds).toEqual(['http_req_failed: rate<0.01', 'dropped_iterations: count==0']);
  });

  it('reads latency per kind of operation, sorted by name', () => {
    expect(figures.operations).toEqual([
      { op: 'read', requests: 1_200, latencyMs: { mean: 50, p50: 45, p90: 80, p99: 150, max: 200 } },
      { op: 'write', requests: 320, latencyMs: { mean: 90, p50: 80, p90: 150, p99: 300, max: 310 } },
    ]);
  });

  it('gives a closed-model run no dropped iterations and no operations', () => {
    const closed = parseK6Summary({ metrics: { http_reqs: { count: 10, rate: 5 }, http_req_duration: {} } });
    expect(closed.droppedIterations).toBe(0);
    expect(closed.operations).toEqual([]);
    expect(closed.latencyMs.p99).toBeNaN();
  });

  it('refuses a summary without requests', () => {
    expect(() => parseK6Summary({ metrics: {} })).toThrow(/no http_reqs/);
    expect(() => parseK6Summary('not json')).toThrow(/no http_reqs/);
  });
});
