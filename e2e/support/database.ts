import type { StartedDockerComposeEnvironment } from 'testcontainers';
import type { Row } from '../../tools/stack/index.js';
import { query } from './stack.js';

/** A PgBouncer admin console command (SHOW POOLS, SHOW STATS, ...) as the database user, an admin_users member. */
export function pgbouncerShow(environment: StartedDockerComposeEnvironment, what: 'POOLS' | 'STATS' | 'CLIENTS' | 'SERVERS'): Promise<Row[]> {
  return query(environment, `SHOW ${what}`, { via: 'pgbouncer', database: 'pgbouncer' });
}

/** A query straight to PostgreSQL over its Unix socket (not through PgBouncer). */
export function postgresQuery(environment: StartedDockerComposeEnvironment, sql: string): Promise<Row[]> {
  return query(environment, sql);
}
