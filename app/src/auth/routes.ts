import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config.js';
import { clientAddress } from '../connection.js';
import type { Sql } from '../db/client.js';
import * as operations from '../operations.js';
import { unauthorized } from '../problem.js';
import { pathUnder, validated } from '../validation.js';
import type { LoginLimits } from './login-limits.js';
import { decoyPasswordHash, verifyPassword } from './passwords.js';
import { SESSION_COOKIE, isWellFormedToken } from './session-token.js';
import { createSession, deleteSession, findLoginUser } from './sessions.js';

/** Where the auth routes are mounted (app.ts). */
export const AUTH_BASE = '/api/v1/auth';

const { login, logout } = operations;

/** POST /login and POST /logout; methods, paths and the body's schema from their operations (operations.ts). */
export function authRoutes(sql: Sql, config: Pick<Config, 'sessionTtlSeconds' | 'cookieSecure'>, limits: LoginLimits) {
  return new Hono()
    .on(login.method, pathUnder(AUTH_BASE, login), validated(login), async (c) => {
      const { email, password } = c.req.valid('json');
      limits.admit(clientAddress(c), email);
      const user = await findLoginUser(sql, email);
      // Unknown emails still pay for one scrypt, so response time does not reveal which emails exist.
      const valid = await verifyPassword(password, user?.password_hash ?? (await decoyPasswordHash()));
      if (!user || !valid) throw unauthorized('Email or password is incorrect.');
      limits.succeeded(email);

      const token = await createSession(sql, user.id, config.sessionTtlSeconds);
      setCookie(c, SESSION_COOKIE, token, {
        httpOnly: true,
        path: '/',
        sameSite: 'Lax',
        maxAge: config.sessionTtlSeconds,
        secure: config.cookieSecure,
      });
      return c.json({ user: { id: user.id, email: user.email, name: user.name } });
    })
    .on(logout.method, pathUnder(AUTH_BASE, logout), async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined && isWellFormedToken(token)) await deleteSession(sql, token);
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: config.cookieSecure });
      return c.body(null, 204);
    });
}
