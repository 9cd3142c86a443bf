import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Sql } from '../db/client.js';
import { unauthorized } from '../problem.js';
import { SESSION_COOKIE, isWellFormedToken } from './session-token.js';
import { findSessionUser, type SessionUser } from './sessions.js';

export interface SessionVariables {
  user: SessionUser;
}

/** Rejects the request with 401 unless its session cookie names a live session; exposes the user as `c.var.user`. */
export function requireSession(sql: Sql) {
  return createMiddleware<{ Variables: SessionVariables }>(async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token === undefined) throw unauthorized('No session cookie; log in at POST /api/v1/auth/login.');
    if (!isWellFormedToken(token)) throw unauthorized('The session cookie is malformed.');
    const user = await findSessionUser(sql, token);
    if (!user) throw unauthorized('The session has expired or does not exist; log in again.');
    c.set('user', user);
    await next();
  });
}
