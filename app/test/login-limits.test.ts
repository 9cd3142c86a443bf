import { describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { buildApp, postJson } from './support/app.js';
import { DEMO_EMAIL, OTHER_EMAIL, TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();

function attempt(app: App, email: string, password: string, address = '10.0.0.1') {
  // As HAProxy forwards it: whatever the client sent, then the address HAProxy saw.
  return postJson(app, '/api/v1/auth/login', { email, password }, { 'x-forwarded-for': address });
}

async function expectTooMany(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(await response.json()).toMatchObject({ status: 429, title: 'Too many requests' });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  return retryAfter;
}

describe('failed logins per account', () => {
  // 3 failures per 3 s: one attempt comes back every second.
  const env = { LOGIN_ACCOUNT_FAILURES: '3', LOGIN_ACCOUNT_WINDOW_SECONDS: '3' };

  it('after the allowed failures, answer 429 with Retry-After, even for the right password', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 3; i += 1) expect((await attempt(app, DEMO_EMAIL, 'wrong', `10.0.1.${i}`)).status).toBe(401);
    const retryAfter = await expectTooMany(await attempt(app, DEMO_EMAIL, TEST_PASSWORD, '10.0.1.9'));
    expect(retryAfter).toBeLessThanOrEqual(1);
    // Another account is not affected.
    expect((await attempt(app, OTHER_EMAIL, TEST_PASSWORD)).status).toBe(200);
  });

  it('locks out only briefly: after Retry-After the right password works again', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 3; i += 1) await attempt(app, DEMO_EMAIL, 'wrong');
    const retryAfter = await expectTooMany(await attempt(app, DEMO_EMAIL, TEST_PASSWORD));
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await attempt(app, DEMO_EMAIL, TEST_PASSWORD)).status).toBe(200);
  });

  it('gives the account its full budget back after a successful login', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 2; i += 1) await attempt(app, DEMO_EMAIL, 'wrong');
    expect((await attempt(app, DEMO_EMAIL, TEST_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await attempt(app, DEMO_EMAIL, 'wrong')).status).toBe(401);
  });

  it('limits unknown emails the same way, so a 429 does not tell which accounts exist', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 3; i += 1) expect((await attempt(app, 'Nobody@Example.com', 'wrong')).status).toBe(401);
    await expectTooMany(await attempt(app, 'nobody@example.com', 'wrong'));
  });
});

describe('login attempts per client address', () => {
  const env = { LOGIN_ADDRESS_ATTEMPTS: '3', LOGIN_ADDRESS_WINDOW_SECONDS: '60' };

  it('counts every attempt from the address HAProxy saw, and answers 429 beyond the limit', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 3; i += 1) expect((await attempt(app, DEMO_EMAIL, TEST_PASSWORD, '10.0.2.1')).status).toBe(200);
    const retryAfter = await expectTooMany(await attempt(app, OTHER_EMAIL, TEST_PASSWORD, '10.0.2.1'));
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect((await attempt(app, DEMO_EMAIL, TEST_PASSWORD, '10.0.2.2')).status).toBe(200);
  });

  it('takes the right-most X-Forwarded-For value: what a client sends before it does not count', async () => {
    const { app } = buildApp(db.sql, env);
    for (let i = 0; i < 3; i += 1) await attempt(app, DEMO_EMAIL, 'wrong', `192.0.2.${i}, 10.0.3.1`);
    await expectTooMany(await attempt(app, DEMO_EMAIL, TEST_PASSWORD, '192.0.2.200, 10.0.3.1'));
  });
});

describe('the default limits', () => {
  it('let the tools and tests log in 20 times in a row from one address', async () => {
    const { app } = buildApp(db.sql);
    for (let i = 0; i < 20; i += 1) expect((await attempt(app, DEMO_EMAIL, TEST_PASSWORD, '127.0.0.1')).status).toBe(200);
  });
});
