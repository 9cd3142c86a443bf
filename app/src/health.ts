import { Hono } from 'hono';
import { isDatabaseUnavailable, type Sql } from './db/client.js';
import type { Lifecycle } from './lifecycle.js';
import { health, readiness } from './operations.js';
import { serviceUnavailable } from './problem.js';

/** GET /healthz (process is up) and GET /readyz (database reachable and not shutting down). */
export function healthRoutes(sql: Sql, lifecycle: Lifecycle) {
  return new Hono()
    .on(health.method, health.path, (c) => c.json({ status: 'ok' }))
    .on(readiness.method, readiness.path, async (c) => {
      if (lifecycle.shuttingDown) throw serviceUnavailable('Shutting down.');
      try {
        // A parameter, so postgres.js never pipelines another statement behind this one (see db/client.ts).
        await sql`select ${1}::int as ok`;
      } catch (error) {
        // At once, unlike the API's held 503s: HAProxy's check wants its answer now.
        if (isDatabaseUnavailable(error)) throw serviceUnavailable('The database is unreachable.');
        throw error;
      }
      return c.json({ status: 'ready' });
    });
}
