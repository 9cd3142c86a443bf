import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Sql } from '../db/client.js';
import { unauthorized } from '../problem.js';
import { SESSION_COOKIE, isWellFormedToken } from './session-token.js';
import { findSessionUser, type SessionUser } from './sessions.js';

export interface SessionVariables {
  user: SessionUser;
}

export interface SessionTokenVariables {
  sessionToken: string;
}

/** The request's session token; a 401 when the cookie is missing or is no token this app issues. */
function sessionToken(c: Context): string {
  const token = getCookie(c, SESSION_COOKIE);
  if (token === undefined) throw unauthorized('No session cookie; log in at POST /api/v1/auth/login.');
  if (!isWellFormedToken(token)) throw unauthorized('The session cookie is malformed.');
  return token;
}

/** The 401 for a token that names no live session. */
export function sessionNotLive() {
  return unauthorized('The session has expired or does not exist; log in again.');
}

/**
 * Rejects the request with 401 unless it carries a well-formed session cookie, and exposes the token as
 * `c.var.sessionToken`, for a route that checks the session itself in its own statement; it answers
 * `sessionNotLive()` when that statement finds no live session.
 */
export const requireSessionCookie = createMiddleware<{ Variables: SessionTokenVariables }>(async (c, next) => {
  c.set('sessionToken', sessionToken(c));
  await next();
});

/** Rejects the request with 401 unless its session cookie names a live session; exposes the user as `c.var.user`. */
export function requireSession(sql: Sql) {
  return createMiddleware<{ Variables: SessionVariables }>(async (c, next) => {
    const user = await findSessionUser(sql, sessionToken(c));
    if (!user) throw sessionNotLive();
    c.set('user', user);
    await next();
  });
}
