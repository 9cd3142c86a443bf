import { describe, expect, it } from 'vitest';
import { buildApp, login, postJson } from './support/app.js';
import { DEMO_EMAIL, TEST_PASSWORD } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();

describe('headers on every response', () => {
  it('nosniff everywhere; no-store on everything under /api, answers and problems alike', async () => {
    const { app } = buildApp(db.sql);
    const cookie = await login(app);
    const api = {
      'login': await postJson(app, '/api/v1/auth/login', { email: DEMO_EMAIL, password: TEST_PASSWORD }),
      'failed login': await postJson(app, '/api/v1/auth/login', { email: DEMO_EMAIL, password: 'wrong' }),
      'list': await app.request('/api/v1/recipes?limit=1', { headers: { cookie } }),
      'detail': await app.request('/api/v1/recipes/1', { headers: { cookie } }),
      'no session': await app.request('/api/v1/recipes'),
      'logout': await app.request('/api/v1/auth/logout', { method: 'POST', headers: { cookie } }),
    };
    const other = {
      healthz: await app.request('/healthz'),
      metrics: await app.request('/metrics'),
      'unknown path': await app.request('/nope'),
    };
    for (const [name, response] of Object.entries({ ...api, ...other })) {
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff');
      expect(response.headers.get('x-served-by'), name).toBe('test-replica');
    }
    for (const [name, response] of Object.entries(api)) {
      expect(response.headers.get('cache-control'), name).toBe('no-store');
    }
  });
});
