import { describe, expect, it } from 'vitest';
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
