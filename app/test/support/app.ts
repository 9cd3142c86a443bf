import { createApp, type App, type ServableApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Sql } from '../../src/db/client.js';
import { createLogger } from '../../src/logger.js';
import { DEMO_EMAIL, TEST_PASSWORD } from './constants.js';
import { expectDocumentedAnswer } from './openapi.js';

/**
 * The real app on the given pool, with logs silenced; call it with app.request() — no port needed. Every answer it
 * gives a test is checked against the OpenAPI document first (./openapi.ts): a test fails when the API answers
 * something the document does not describe.
 */
export function buildApp(sql: Sql, env: Record<string, string> = {}): ServableApp {
  const servable = createApp({
    sql,
    config: loadConfig(env),
    logger: createLogger('silent'),
    servedBy: 'test-replica',
    processMetrics: false,
  });
  const request = servable.app.request;
  servable.app.request = async (input, init, ...rest) => {
    const response = await request(input, init, ...rest);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    await expectDocumentedAnswer(method, input instanceof Request ? input.url : String(input), response);
    return response;
  };
  return servable;
}

/** POSTs JSON to the app. */
export function postJson(app: App, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Logs in and returns the `Cookie` header value carrying the new session. */
export async function login(app: App, email = DEMO_EMAIL, password = TEST_PASSWORD): Promise<string> {
  const response = await postJson(app, '/api/v1/auth/login', { email, password });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error('login set no cookie');
  return cookie;
}
