import { describe, expect, it } from 'vitest';
import { apiSaturated, verdict } from '../verdict.js';
import { syntheticBreakdown } from './fixtures.js';

const idle = { meanPercent: 40, replicas: 2, hostCores: 2 };
const busy = { meanPercent: 190, replicas: 2, hostCores: 2 };

/** The verdict on a breakdown with these parts (the rest small) and this CPU. */
function judge(parts: Parameters<typeof syntheticBreakdown>[2], cpu = idle, eventLoopDelayMs = 1) {
  const { breakdown, evidence } = syntheticBreakdown(2, 100, { haproxyQueueMs: 5, ...parts });
  return verdict(breakdown, { ...evidence, eventLoopDelayMs }, cpu);
}

describe('the verdict', () => {
  it("names the API's own pool when requests wait for it, even with HAProxy's queue full as its echo", () => {
    const result = judge({ poolWaitMs: 40, haproxyQueueMs: 45 }, busy);
    expect(result.limit).toBe('api-pool');
    expect(result.sentence).toMatch(/DB_POOL_MAX/);
    expect(result.sentence).toMatch(/40\.0 ms of the client's 100\.0 ms/);
    expect(result.sentence).toMatch(/is its echo/);
  });

  it("names PgBouncer's server connections before the API's pool that waits on them", () => {
    const result = judge({ pgbouncerWaitMs: 20, poolWaitMs: 30 });
    expect(result.limit).toBe('pgbouncer');
    expect(result.sentence).toMatch(/default_pool_size/);
  });

  it('names Postgres when execution dominates, before every queue in front of it', () => {
    const result = judge({ postgresExecMs: 30, pgbouncerWaitMs: 20, poolWaitMs: 20 });
    expect(result.limit).toBe('postgres');
    expect(result.sentence).toMatch(/the query or the database/);
  });

  it("names the replicas' CPU when HAProxy queues while the API is saturated", () => {
    const result = judge({ haproxyQueueMs: 60 }, busy);
    expect(result.limit).toBe('api-cpu');
    expect(result.sentence).toMatch(/more replicas or more CPU per replica/);
  });

  it("names HAProxy's maxconn when it queues while the replicas have CPU to spare", () => {
    const result = judge({ haproxyQueueMs: 60 }, idle);
    expect(result.limit).toBe('haproxy-maxconn');
    expect(result.sentence).toMatch(/maxconn/);
  });

  it("names the API's own work when no queue weighs and its own time dominates", () => {
    expect(judge({ remainderMs: 5, roundTripMs: 10, poolWaitMs: 0 }).limit).toBe('api-own');
  });

  it('names what is outside the counters when the remainder dominates', () => {
    const result = judge({ remainderMs: 70, roundTripMs: 5, poolWaitMs: 0 });
    expect(result.limit).toBe('outside');
  });

  it('says no tier holds requests up when every part is small', () => {
    const { breakdown, evidence } = syntheticBreakdown(2, 10, { haproxyQueueMs: 0.5, poolWaitMs: 0.1, roundTripMs: 2, remainderMs: 3, postgresExecMs: 1, pgbouncerWaitMs: 0 });
    expect(verdict({ ...breakdown, apiOwnMs: 3 }, evidence, idle).limit).toBe('none');
  });

  it('gives no verdict without a client latency', () => {
    const { breakdown, evidence } = syntheticBreakdown(1, 0);
    expect(verdict(breakdown, evidence, idle).limit).toBe('unknown');
  });
});

describe("the API's saturation", () => {
  it("holds when a replica's core, or the host's cores, are nearly full, or the event loop runs late", () => {
    expect(apiSaturated({ meanPercent: 85, replicas: 1, hostCores: 2 }, 0)).toBe(true);
    expect(apiSaturated({ meanPercent: 170, replicas: 4, hostCores: 2 }, 0)).toBe(true);
    expect(apiSaturated({ meanPercent: 100, replicas: 4, hostCores: 2 }, 0)).toBe(false);
    expect(apiSaturated({ meanPercent: 20, replicas: 1, hostCores: 2 }, 8)).toBe(true);
  });
});
