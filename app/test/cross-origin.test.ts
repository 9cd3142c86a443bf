import { describe, expect, it } from 'vitest';
import { hashSessionToken } from '../src/auth/session-token.js';
import { buildApp, login } from './support/app.js';
import { DEMO_EMAIL, TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();
const credentials = JSON.stringify({ email: DEMO_EMAIL, password: TEST_PASSWORD });

async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ status, detail: expect.any(String) });
}

async function recipeCount(): Promise<number> {
  const [{ count }] = await db.sql<[{ count: number }]>`select count(*)::int as count from recipes`;
  return count;
}

// What a page on another site can send without a CORS preflight: these content types, a body, the victim's cookie.
const SIMPLE_CONTENT_TYPES = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'];

describe('bodies that are not declared application/json', () => {
  it.each(SIMPLE_CONTENT_TYPES)('login with %s is a 415 problem and sets no cookie', async (contentType) => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: credentials,
    });
    expect(response.headers.get('set-cookie')).toBeNull();
    await expectProblem(response, 415);
  });

  it('login without a Content-Type is a 415 problem', async () => {
    const { app } = buildApp(db.sql);
    await expectProblem(await app.request('/api/v1/auth/login', { method: 'POST', body: credentials }), 415);
  });

  it('login with application/json and a charset works', async () => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      body: credentials,
    });
    expect(response.status).toBe(200);
  });

  it.each(SIMPLE_CONTENT_TYPES)('create and update with %s are 415 problems and change nothing', async (contentType) => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const before = await recipeCount();
    const headers = { cookie, 'content-type': contentType };
    const body = JSON.stringify({ name: 'Cross-site toast' });
    await expectProblem(await app.request('/api/v1/recipes', { method: 'POST', headers, body }), 415);
    await expectProblem(await app.request('/api/v1/recipes/1', { method: 'PATCH', headers, body }), 415);
    expect(await recipeCount()).toBe(before);
    const [recipe] = await db.sql`select name from recipes where id = 1`;
    expect(recipe?.name).not.toBe('Cross-site toast');
  });
});

describe('the Origin header on requests that change data', () => {
  const json = { 'content-type': 'application/json' };

  it('refuses a login sent from another origin, with a 403 problem and no cookie', async () => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { ...json, origin: 'https://attacker.example' },
      body: credentials,
    });
    expect(response.headers.get('set-cookie')).toBeNull();
    await expectProblem(response, 403);
  });

  it.each(['http://localhost:8080', 'http://sub.localhost', 'https://localhost', 'null'])(
    'treats %s as another origin than http://localhost',
    async (origin) => {
      const { app } = buildApp(db.sql);
      const response = await app.request('/api/v1/auth/login', { method: 'POST', headers: { ...json, origin }, body: credentials });
      await expectProblem(response, 403);
    },
  );

  it("accepts the API's own origin (scheme and Host) and requests without an Origin", async () => {
    const { app } = buildApp(db.sql);
    // app.request() sends requests to http://localhost.
    const own = await app.request('/api/v1/auth/login', { method: 'POST', headers: { ...json, origin: 'http://localhost' }, body: credentials });
    expect(own.status).toBe(200);
    const none = await app.request('/api/v1/auth/login', { method: 'POST', headers: json, body: credentials });
    expect(none.status).toBe(200);
  });

  it('accepts the origins in ALLOWED_ORIGINS', async () => {
    const { app } = buildApp(db.sql, { ALLOWED_ORIGINS: 'https://recipes.example, http://127.0.0.1:5173' });
    for (const origin of ['https://recipes.example', 'http://127.0.0.1:5173']) {
      const response = await app.request('/api/v1/auth/login', { method: 'POST', headers: { ...json, origin }, body: credentials });
      expect(response.status, origin).toBe(200);
    }
  });

  it('takes the scheme as https when COOKIE_SECURE says TLS ends in front of the API', async () => {
    const { app } = buildApp(db.sql, { COOKIE_SECURE: 'true' });
    const https = await app.request('/api/v1/auth/login', { method: 'POST', headers: { ...json, origin: 'https://localhost' }, body: credentials });
    expect(https.status).toBe(200);
    const http = await app.request('/api/v1/auth/login', { method: 'POST', headers: { ...json, origin: 'http://localhost' }, body: credentials });
    await expectProblem(http, 403);
  });

  it('refuses create, update, delete and logout from another origin, and they change nothing', async () => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const headers = { ...json, cookie, origin: 'https://attacker.example' };
    const before = await recipeCount();
    await expectProblem(await app.request('/api/v1/recipes', { method: 'POST', headers, body: '{"name":"x"}' }), 403);
    await expectProblem(await app.request('/api/v1/recipes/1', { method: 'PATCH', headers, body: '{"name":"x"}' }), 403);
    await expectProblem(await app.request('/api/v1/recipes/1', { method: 'DELETE', headers }), 403);
    await expectProblem(await app.request('/api/v1/auth/logout', { method: 'POST', headers }), 403);
    expect(await recipeCount()).toBe(before);
    const token = cookie.slice('sessionid='.length);
    expect(await db.sql`select 1 from sessions where token_hash = ${hashSessionToken(token)}`).toHaveLength(1);
  });

  it('leaves reads alone: a GET with a foreign Origin is answered', async () => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const response = await app.request('/api/v1/recipes?limit=1', { headers: { cookie, origin: 'https://attacker.example' } });
    expect(response.status).toBe(200);
  });
});
