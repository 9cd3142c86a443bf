import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/** The Node request behind a Hono context; undefined under app.request() in tests, where there is no socket. */
function incoming(c: Context): HttpBindings['incoming'] | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/**
 * True when the client closed the connection before its request arrived in full (a body cut off mid-way): whatever
 * failed afterwards, reading that body first, is the client's doing, not the server's or the database's.
 */
export function clientAborted(c: Context): boolean {
  const request = incoming(c);
  return request !== undefined && !request.complete && request.errored !== null;
}

/**
 * The client's address: the right-most X-Forwarded-For value, the one HAProxy appends to whatever the client sent,
 * else the socket's peer when nothing is in front. Cut to the length of an IPv6 address with room to spare.
 */
export function clientAddress(c: Context): string {
  const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
  return (forwarded || incoming(c)?.socket.remoteAddress || 'unknown').slice(0, 64);
}
