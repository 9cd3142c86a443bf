import { describe, expect, it } from 'vitest';
import { PoolModel } from '../src/db/pool-timing.js';
import { createMetrics } from '../src/metrics.js';
import { buildApp, login } from './support/app.js';
import { useTestDatabase } from './support/database.js';

/** A model on a clock the test moves, recording every observation in milliseconds. */
function model(max: number) {
  let now = 0;
  const waits: number[] = [];
  const trips: number[] = [];
  const pool = new PoolModel(max, { poolWait: { observe: (s: number) => waits.push(s * 1000) }, roundTrip: { observe: (s: number) => trips.push(s * 1000) } }, () => now);
  return { pool, waits, trips, at: (ms: number) => (now = ms) };
}

describe('the pool model', () => {
  it('waits nothing while fewer statements than connections are outstanding', () => {
    const { pool, waits, trips, at } = model(2);
    const a = pool.issue();
    const b = pool.issue();
    at(3);
    pool.settle(a);
    pool.settle(b);
    expect(waits).toEqual([0, 0]);
    expect(trips).toEqual([3, 3]);
  });

  it('makes a statement beyond the pool wait until one settles, first come first served', () => {
    const { pool, waits, trips, at } = model(1);
    const a = pool.issue();
    at(1);
    const b = pool.issue();
    at(2);
    const c = pool.issue();
    at(5);
    pool.settle(a); // b starts at 5, after waiting 4
    at(7);
    pool.settle(b); // c starts at 7, after waiting 5
    at(10);
    pool.settle(c);
    expect(waits).toEqual([0, 4, 5]);
    expect(trips).toEqual([5, 2, 3]);
  });

  it('keeps the total wait exact when a waiting statement is answered first', () => {
    const { pool, waits, trips, at } = model(1);
    const a = pool.issue();
    const b = pool.issue();
    const c = pool.issue();
    at(4);
    pool.settle(c); // c overtook b: all of its 4 ms count as wait
    at(6);
    pool.settle(a); // b starts now
    at(8);
    pool.settle(b);
    // Two statements beyond the pool for 4 ms, then one for 2 ms: 10 ms waited in all.
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(10);
    expect(trips.reduce((sum, ms) => sum + ms, 0) + 10).toBe(8 + 6 + 4);
  });
});

const db = useTestDatabase();

/** One histogram's _count and _sum from the app's /metrics text. */
function histogram(text: string, name: string): { count: number; sum: number } {
  const read = (suffix: string): number => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { count: read('count'), sum: read('sum') };
}

describe('GET /metrics: the pool timing', () => {
  it("counts each list page's one statement, its pool wait and its round trip", async () => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const before = await (await app.request('/metrics')).text();
    for (let page = 0; page < 3; page += 1) expect((await app.request('/api/v1/recipes', { headers: { cookie } })).status).toBe(200);
    const after = await (await app.request('/metrics')).text();
    for (const name of ['db_pool_wait_seconds', 'db_round_trip_seconds']) {
      expect(histogram(after, name).count - histogram(before, name).count).toBe(3);
    }
    expect(histogram(after, 'db_round_trip_seconds').sum).toBeGreaterThan(histogram(before, 'db_round_trip_seconds').sum);
  });
});

describe('GET /metrics: the event loop', () => {
  it('observes how late a 10 ms timer fires, with process metrics on', async () => {
    const metrics = createMetrics({ dbPoolMax: 1, collectProcessMetrics: true });
    // Block the loop for 60 ms: the probe due meanwhile fires about that late.
    const until = performance.now() + 60;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { count, sum } = histogram(await metrics.registry.metrics(), 'nodejs_event_loop_delay_seconds');
    expect(count).toBeGreaterThanOrEqual(2);
    expect(sum).toBeGreaterThan(0.03);
  });
});
