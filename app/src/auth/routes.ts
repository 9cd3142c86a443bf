import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Config } from '../config.js';
import { clientAddress } from '../connection.js';
import type { Sql } from '../db/client.js';
import { unauthorized } from '../problem.js';
import { validJson } from '../validation.js';
import type { LoginLimits } from './login-limits.js';
import { decoyPasswordHash, verifyPassword } from './passwords.js';
import { SESSION_COOKIE, isWellFormedToken } from './session-token.js';
import { createSession, deleteSession, findLoginUser } from './sessions.js';

const loginBody = z.object({
  email: z.string().trim().min(3).max(254).pipe(z.email()),
  password: z.string().min(1).max(1024),
});

/** POST /login and POST /logout. */
export function authRoutes(sql: Sql, config: Pick<Config, 'sessionTtlSeconds' | 'cookieSecure'>, limits: LoginLimits) {
  return new Hono()
    .post('/login', validJson(loginBody), async (c) => {
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
    .post('/logout', async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined && isWellFormedToken(token)) await deleteSession(sql, token);
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: config.cookieSecure });
      return c.body(null, 204);
    });
}
