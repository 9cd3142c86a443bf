import http from 'k6/http';
import { fail } from 'k6';

/** Name of the cookie the API sets on login (POST /api/v1/auth/login). */
export const SESSION_COOKIE = 'sessionid';

/**
 * What setup() hands every VU: the session cookie of one logged-in user.
 * @typedef {{ cookie: string }} Session
 */

/**
 * Logs in once and returns the session; stops the test when login fails, since every later request would be a 401.
 * @param {{ baseUrl: string, email: string, password: string }} target
 * @returns {Session}
 */
export function login(target) {
  const res = http.post(`${target.baseUrl}/api/v1/auth/login`, JSON.stringify({ email: target.email, password: target.password }), {
    headers: { 'Content-Type': 'application/json' },
    tags: { name: 'POST /api/v1/auth/login' },
  });
  const cookies = res.cookies[SESSION_COOKIE];
  const first = cookies === undefined ? undefined : cookies[0];
  if (res.status !== 200 || first === undefined || first.value === '') {
    fail(`login as ${target.email} at ${target.baseUrl} failed: status ${res.status}, body ${String(res.body).slice(0, 200)}`);
  }
  return { cookie: `${SESSION_COOKIE}=${first.value}` };
}

/**
 * Request parameters carrying the session cookie and a stable metric name for the URL.
 * @param {Session} session
 * @param {string} name metric tag, e.g. "GET /api/v1/recipes/:id", so per-id URLs share one series
 * @param {{ headers?: Record<string, string>, tags?: Record<string, string> }} [extra]
 * @returns {import('k6/http').Params}
 */
export function authParams(session, name, extra = {}) {
  return {
    headers: { Cookie: session.cookie, ...extra.headers },
    tags: { name, ...extra.tags },
  };
}
