import { describe, expect, it } from 'vitest';
import { parseAutocannonResult, parseK6Summary } from '../load.js';

// Shape of `k6 run --summary-export` (k6 0.48 to 0.54): each metric's figures sit directly under its name.
const SUMMARY_EXPORT = {
  metrics: {
    http_reqs: { count: 16_000, rate: 800 },
    http_req_duration: { avg: 61.2, min: 3.1, 'p(50)': 55.5, 'p(90)': 98.4, 'p(95)': 120.1, 'p(99)': 201.7, max: 480.3, count: 16_000 },
    // For http_req_failed a "pass" is a failed request: the metric is true when the request failed.
    http_req_failed: { passes: 16, fails: 15_984, value: 0.001 },
    checks: { passes: 31_968, fails: 32, value: 0.999 },
  },
};

// Shape of handleSummary()'s data: the same figures under `values`, the rate as `rate`, no p(50) but med.
const HANDLE_SUMMARY = {
  metrics: {
    http_reqs: { type: 'counter', values: { count: 500, rate: 25 } },
    http_req_duration: { type: 'trend', values: { avg: 10, med: 9, 'p(90)': 15, 'p(99)': 30, max: 44 } },
    http_req_failed: { type: 'rate', values: { rate: 0, passes: 0, fails: 500 } },
  },
};

describe('parseK6Summary', () => {
  it('reads requests, rate, latency percentiles and failures from --summary-export', () => {
    const figures = parseK6Summary(SUMMARY_EXPORT, true);
    expect(figures).toEqual({
      generator: 'k6',
      requests: 16_000,
      durationS: 20,
      requestsPerSecond: 800,
      latencyMs: { mean: 61.2, p50: 55.5, p90: 98.4, p99: 201.7, max: 480.3 },
      errors: 16,
      errorRate: 0.001,
      thresholdsPassed: true,
      statusCodes: null,
    });
  });

  it('reads the handleSummary() shape too, taking med for p50', () => {
    const figures = parseK6Summary(HANDLE_SUMMARY, false);
    expect(figures.requests).toBe(500);
    expect(figures.latencyMs.p50).toBe(9);
    expect(figures.errorRate).toBe(0);
    expect(figures.thresholdsPassed).toBe(false);
  });

  it('refuses a summary without requests', () => {
    expect(() => parseK6Summary({ metrics: {} }, true)).toThrow(/no http_reqs/);
    expect(() => parseK6Summary('not json', true)).toThrow(/no http_reqs/);
  });
});

describe('parseAutocannonResult', () => {
  const latency = { average: 40.5, mean: 40.5, stddev: 3, min: 2, max: 300, total: 0, p50: 38, p90: 60, p97_5: 80, p99: 120, p99_9: 250 };
  const requests = { average: 1200, mean: 1200, stddev: 10, min: 1100, max: 1300, total: 24_000, p50: 1200, p90: 1250, p97_5: 1290, p99: 1300, p99_9: 1300 };

  it('counts non-2xx answers and connection errors as errors', () => {
    const figures = parseAutocannonResult({
      duration: 20.01,
      requests: { ...requests, sent: 24_050 },
      latency: { ...latency, totalCount: 24_000 },
      errors: 10,
      non2xx: 230,
      statusCodeStats: { '200': { count: 23_770 }, '503': { count: 230 } },
    });
    expect(figures.generator).toBe('autocannon');
    expect(figures.requests).toBe(24_000);
    expect(figures.requestsPerSecond).toBeCloseTo(24_000 / 20.01, 6);
    expect(figures.latencyMs).toEqual({ mean: 40.5, p50: 38, p90: 60, p99: 120, max: 300 });
    expect(figures.errors).toBe(240);
    expect(figures.errorRate).toBeCloseTo(240 / 24_010, 9);
    expect(figures.thresholdsPassed).toBeNull();
    expect(figures.statusCodes).toEqual({ '200': 23_770, '503': 230 });
  });

  it('reports a zero rate for a run that got no answer at all', () => {
    const figures = parseAutocannonResult({
      duration: 0,
      requests: { ...requests, total: 0, sent: 0 },
      latency: { ...latency, totalCount: 0 },
      errors: 0,
      non2xx: 0,
      statusCodeStats: {},
    });
    expect(figures.requestsPerSecond).toBe(0);
    expect(figures.errorRate).toBe(0);
  });
});
