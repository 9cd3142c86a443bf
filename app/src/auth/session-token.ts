import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'sessionid';
// 256 bits of randomness, base64url without padding: 43 characters.
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new random session token, as sent in the cookie. */
export function newSessionToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when a cookie value has the shape of a token this app issues; anything else is rejected before the database. */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** The SHA-256 of a token: what the sessions table stores and looks up. */
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
