import { describe, expect, it } from 'vitest';
import { hashSessionToken } from '../src/auth/session-token.js';
import { buildApp, login, postJson } from './support/app.js';
import { DEMO_EMAIL, TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();

// Every route behind the session check, with a request that would otherwise succeed or fail validation.
const PROTECTED: [string, string, unknown?][] = [
  ['GET', '/api/v1/recipes'],
  ['GET', '/api/v1/recipes?limit=5'],
  ['GET', '/api/v1/recipes/1'],
  ['POST', '/api/v1/recipes', { name: 'Toast' }],
  ['PATCH', '/api/v1/recipes/1', { name: 'Toast' }],
  ['DELETE', '/api/v1/recipes/1'],
];

function request(method: string, path: string, body: unknown, cookie?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cookie !== undefined) headers.cookie = cookie;
  return buildApp(db.sql).app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status: 401, title: 'Unauthorized' });
  expect(problem.detail).toEqual(expect.any(String));
}

describe('POST /api/v1/auth/login', () => {
  it('returns the user and sets an HttpOnly session cookie whose hash is stored', async () => {
    const { app } = buildApp(db.sql);
    const response = await postJson(app, '/api/v1/auth/login', { email: DEMO_EMAIL, password: TEST_PASSWORD });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: { id: expect.any(Number), email: DEMO_EMAIL, name: 'Demo Cook' } });

    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sessionid=[\w-]{43}; Max-Age=1209600; Path=\/; HttpOnly; SameSite=Lax$/);
    const token = /^sessionid=([\w-]{43})/.exec(cookie)?.[1] ?? '';
    const rows = await db.sql`
      select row_to_json(s)::text as row, extract(epoch from expires - created)::int as ttl
      from sessions s where token_hash = ${hashSessionToken(token)}
    `;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.ttl).toBe(1209600);
    // Only the hash is stored: the token itself appears nowhere in the row.
    expect(rows[0]?.row).not.toContain(token);
  });

  it('matches the email case-insensitively', async () => {
    const { app } = buildApp(db.sql);
    const response = await postJson(app, '/api/v1/auth/login', { email: 'DEMO@Example.COM', password: TEST_PASSWORD });
    expect(response.status).toBe(200);
  });

  it('adds Secure to the cookie when COOKIE_SECURE is set', async () => {
    const { app } = buildApp(db.sql, { COOKIE_SECURE: 'true' });
    const response = await postJson(app, '/api/v1/auth/login', { email: DEMO_EMAIL, password: TEST_PASSWORD });
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('gives a wrong password and an unknown email the same 401', async () => {
    const { app } = buildApp(db.sql);
    const wrongPassword = await postJson(app, '/api/v1/auth/login', { email: DEMO_EMAIL, password: 'nope' });
    const unknownEmail = await postJson(app, '/api/v1/auth/login', { email: 'nobody@example.com', password: 'nope' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.headers.get('set-cookie')).toBeNull();
    expect(await wrongPassword.json()).toEqual(await unknownEmail.json());
  });

  it.each([
    ['no body', undefined, 'body'],
    ['not JSON', '{"email":', 'body'],
    ['an array', [], 'body'],
    ['no password', { email: DEMO_EMAIL }, 'password'],
    ['a bad email', { email: 'not-an-email', password: 'x' }, 'email'],
    ['a numeric password', { email: DEMO_EMAIL, password: 12345 }, 'password'],
  ])('answers 400 naming the field for %s', async (_, body, field) => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { invalid_params: { name: string }[] };
    expect(problem.invalid_params.map((p) => p.name)).toContain(field);
  });
});

describe('expired sessions', () => {
  it('are deleted as users log in, at most 100 per login, while live sessions stay', async () => {
    const { app } = buildApp(db.sql);
    const live = await login(app);
    await db.sql`
      insert into sessions (token_hash, user_id, created, expires)
      select sha256(convert_to('expired-' || n, 'UTF8')), (select id from users order by id limit 1),
             now() - interval '20 days', now() - make_interval(mins => n)
      from generate_series(1, 150) n
    `;
    const expired = () => db.sql`select 1 from sessions where expires <= now()`;
    expect(await expired()).toHaveLength(150);

    await login(app);
    expect(await expired()).toHaveLength(50);
    await login(app);
    expect(await expired()).toHaveLength(0);
    expect((await app.request('/api/v1/recipes?limit=1', { headers: { cookie: live } })).status).toBe(200);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('deletes the session row, clears the cookie, and the old cookie stops working', async () => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    expect((await app.request('/api/v1/recipes?limit=1', { headers: { cookie } })).status).toBe(200);

    const response = await app.request('/api/v1/auth/logout', { method: 'POST', headers: { cookie } });
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/^sessionid=; Max-Age=0; Path=\//);
    const token = cookie.slice('sessionid='.length);
    expect(await db.sql`select 1 from sessions where token_hash = ${hashSessionToken(token)}`).toHaveLength(0);
    await expectUnauthorized(await app.request('/api/v1/recipes', { headers: { cookie } }));
  });

  it('is a harmless 204 without a session', async () => {
    const { app } = buildApp(db.sql);
    expect((await app.request('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204);
  });
});

describe('session check on every recipe route', () => {
  it.each(PROTECTED)('%s %s without a cookie is 401', async (method, path, body) => {
    await expectUnauthorized(await request(method, path, body));
  });

  it.each(PROTECTED)('%s %s with a malformed cookie is 401', async (method, path, body) => {
    await expectUnauthorized(await request(method, path, body, 'sessionid=%%%not-a-token'));
  });

  it.each(PROTECTED)('%s %s with an unknown token is 401', async (method, path, body) => {
    await expectUnauthorized(await request(method, path, body, `sessionid=${'A'.repeat(43)}`));
  });

  it.each(PROTECTED)('%s %s with an expired session is 401', async (method, path, body) => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const token = cookie.slice('sessionid='.length);
    await db.sql`update sessions set expires = now() - interval '1 second' where token_hash = ${hashSessionToken(token)}`;
    await expectUnauthorized(await request(method, path, body, cookie));
  });

  it.each(PROTECTED)('%s %s after logout is 401', async (method, path, body) => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    await app.request('/api/v1/auth/logout', { method: 'POST', headers: { cookie } });
    await expectUnauthorized(await request(method, path, body, cookie));
  });

  it('leaves the data alone when the request is refused', async () => {
    await request('DELETE', '/api/v1/recipes/1', undefined, `sessionid=${'A'.repeat(43)}`);
    expect(await db.sql`select id from recipes where id = 1`).toHaveLength(1);
  });
});
