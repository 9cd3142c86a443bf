import type { Sql } from '../db/client.js';
import { hashSessionToken, newSessionToken } from './session-token.js';

export interface SessionUser {
  id: number;
  email: string;
  name: string;
}

/** A user as login sees it: with the password hash to verify against. */
export interface LoginUser extends SessionUser {
  password_hash: string;
}

/** The user with this email, compared case-insensitively, or undefined. */
export async function findLoginUser(sql: Sql, email: string): Promise<LoginUser | undefined> {
  const [user] = await sql<LoginUser[]>`
    select id, email, name, password_hash from users where lower(email) = lower(${email})
  `;
  return user;
}

// Each login adds one session and deletes up to 100 expired ones, so expired rows cannot pile up while people log in,
// and no login waits on a large delete.
const EXPIRED_SESSIONS_PER_LOGIN = 100;

/** Stores a new session for the user and returns the token for the cookie; clears away some expired sessions too. */
export async function createSession(sql: Sql, userId: number, ttlSeconds: number): Promise<string> {
  const token = newSessionToken();
  // One statement, one round trip; SKIP LOCKED: logins on other replicas take other expired rows instead of waiting.
  await sql`
    with expired as (
      delete from sessions where token_hash in (
        select token_hash from sessions where expires <= now()
        order by expires limit ${EXPIRED_SESSIONS_PER_LOGIN} for update skip locked
      )
    )
    insert into sessions (token_hash, user_id, expires)
    values (${hashSessionToken(token)}, ${userId}, now() + make_interval(secs => ${ttlSeconds}))
  `;
  return token;
}

/** The condition that the session `s` is the live one with this token; every session check uses it. */
export function isLiveSession(sql: Sql, token: string) {
  return sql`s.token_hash = ${hashSessionToken(token)} and s.expires > now()`;
}

/** The user behind a live session token, or undefined for an unknown or expired one. */
export async function findSessionUser(sql: Sql, token: string): Promise<SessionUser | undefined> {
  const [user] = await sql<SessionUser[]>`
    select u.id, u.email, u.name
    from sessions s
    join users u on u.id = s.user_id
    where ${isLiveSession(sql, token)}
  `;
  return user;
}

/** Deletes the session row, so the token never authenticates again. */
export async function deleteSession(sql: Sql, token: string): Promise<void> {
  await sql`delete from sessions where token_hash = ${hashSessionToken(token)}`;
}
