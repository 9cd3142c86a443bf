import { describe, expect, it } from 'vitest';
import { Problem } from '../src/problem.js';
import { decodeCursor, encodeCursor } from '../src/recipes/cursor.js';

describe('pagination cursor', () => {
  it('round-trips an id through an opaque string', () => {
    for (const id of [0, 1, 100, 2_000, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeCursor(id);
      expect(cursor).not.toContain(String(id));
      expect(decodeCursor(cursor)).toBe(id);
    }
  });

  it.each([
    ['empty', ''],
    ['not base64url', '!!!'],
    ['a bare number', '100'],
    ['wrong prefix', Buffer.from('x1:100').toString('base64url')],
    ['negative id', Buffer.from('r1:-5').toString('base64url')],
    ['non-numeric id', Buffer.from('r1:abc').toString('base64url')],
    ['leading zero', Buffer.from('r1:007').toString('base64url')],
    ['beyond 2^53', Buffer.from('r1:9999999999999999').toString('base64url')],
    ['far too long', 'A'.repeat(500)],
  ])('rejects %s with a 400 naming the cursor', (_, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Problem);
    expect((thrown as Problem).status).toBe(400);
    expect((thrown as Problem).invalidParams?.[0]?.name).toBe('cursor');
  });
});
