import { queryStack, type Row } from '../../tools/stack/index.js';
import type { Stack } from './stack.js';

/** A PgBouncer admin console command (SHOW POOLS, SHOW STATS, ...) as the database user, an admin_users member. */
export function pgbouncerShow(stack: Stack, what: 'POOLS' | 'STATS' | 'CLIENTS' | 'SERVERS'): Promise<Row[]> {
  return queryStack(stack.project, `SHOW ${what}`, { via: 'pgbouncer', database: 'pgbouncer' });
}

/** A query straight to PostgreSQL over its Unix socket (not through PgBouncer). */
export function postgresQuery(stack: Stack, sql: string): Promise<Row[]> {
  return queryStack(stack.project, sql);
}
