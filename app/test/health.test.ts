import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createSql, type Sql } from '../src/db/client.js';
import { buildApp, login } from './support/app.js';
import { useTestDatabase } from './support/database.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const db = useTestDatabase();

describe('GET /healthz and /readyz', () => {
  it('healthz answers 200 without touching the database', async () => {
    const unreachable = createSql(loadConfig({ DATABASE_URL: 'postgres://x:y@127.0.0.1:1/none' }));
    const { app } = buildApp(unreachable);
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    await unreachable.end();
  });

  it('readyz answers 200 while the database answers, and 503 once shutdown begins', async () => {
    const { app, lifecycle } = buildApp(db.sql);
    expect((await app.request('/readyz')).status).toBe(200);
    lifecycle.beginShutdown();
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('connection')).toBe('close');
    expect((await app.request('/healthz')).status).toBe(200);
  });
});

describe('when the database goes away', () => {
  let proxy: TcpProxy;
  let sql: Sql;

  beforeAll(async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy(Number(target.port));
    target.port = String(proxy.port);
    sql = createSql(loadConfig({ DATABASE_URL: target.toString(), DB_CONNECT_TIMEOUT_SECONDS: '1' }));
  });

  afterAll(async () => {
    await sql.end({ timeout: 1 });
    await proxy.close();
  });

  it('answers 503 problems, stays up, and recovers by itself when the database returns', async () => {
    const { app } = buildApp(sql);
    const cookie = await login(app);
    expect((await app.request('/readyz')).status).toBe(200);

    await proxy.cut();
    const notReady = await app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('content-type')).toBe('application/problem+json');
    const asked = performance.now();
    const list = await app.request('/api/v1/recipes', { headers: { cookie } });
    expect(list.status).toBe(503);
    // Held until a second after it arrived, and it says when to come back: no 503 storm for clients retrying at once.
    expect(list.headers.get('retry-after')).toBe('1');
    expect(performance.now() - asked).toBeGreaterThanOrEqual(990);
    expect(await list.json()).toMatchObject({ status: 503, title: 'Service unavailable' });
    expect((await app.request('/healthz')).status).toBe(200);

    await proxy.restore();
    expect((await app.request('/readyz')).status).toBe(200);
    const again = await app.request('/api/v1/recipes?limit=1', { headers: { cookie } });
    expect(again.status).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, with latency histograms and the pool size', async () => {
    const { app } = buildApp(db.sql, { DB_POOL_MAX: '7' });
    await app.request('/api/v1/recipes/123');
    await app.request('/api/v1/recipes/456');
    await app.request('/no/such/path');
    const response = await app.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/recipes/:id",status="401"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/v1\/recipes\/:id",status="401"\} 2/);
    expect(text).toContain('db_pool_max_connections 7');
  });

  it('answers unknown paths with a 404 problem that says which replica answered', async () => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-served-by')).toBe('test-replica');
  });
});
