import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/auth/passwords.js';
import { hashSessionToken, isWellFormedToken, newSessionToken } from '../src/auth/session-token.js';

describe('session tokens', () => {
  it('are 256 random bits in 43 base64url characters, different every time', () => {
    const tokens = new Set(Array.from({ length: 100 }, newSessionToken));
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(isWellFormedToken(token)).toBe(true);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it.each(['', 'abc', 'x'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}/`, `${'a'.repeat(42)} `])(
    'rejects the malformed value %j',
    (value) => expect(isWellFormedToken(value)).toBe(false),
  );

  it('is stored as its SHA-256', () => {
    const token = newSessionToken();
    expect(hashSessionToken(token)).toEqual(createHash('sha256').update(token).digest());
  });
});

describe('passwords', () => {
  it('verify against their own hash only, with a fresh salt each time', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse', first)).toBe(true);
    expect(await verifyPassword('correct horse', second)).toBe(true);
    expect(await verifyPassword('correct horsE', first)).toBe(false);
  });

  it('reject stored values that are not scrypt hashes', async () => {
    for (const stored of ['', 'plain-text', 'bcrypt$x$y', 'scrypt$16384$8$1$salt$']) {
      expect(await verifyPassword('anything', stored)).toBe(false);
    }
  });
});
