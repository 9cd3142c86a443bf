import { badRequest } from '../problem.js';

const PREFIX = 'r1:';

/** An opaque pagination cursor pointing after the given recipe id. */
export function encodeCursor(afterId: number): string {
  return Buffer.from(`${PREFIX}${afterId}`).toString('base64url');
}

/** The recipe id a cursor points after; a 400 problem naming `cursor` for anything this app did not issue. */
export function decodeCursor(cursor: string): number {
  const invalid = badRequest([{ name: 'cursor', reason: 'is not a cursor returned by this API' }]);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(PREFIX)) throw invalid;
  const digits = decoded.slice(PREFIX.length);
  if (!/^(0|[1-9]\d{0,15})$/.test(digits)) throw invalid;
  const id = Number(digits);
  if (!Number.isSafeInteger(id)) throw invalid;
  return id;
}
