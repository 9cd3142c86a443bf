import postgres from 'postgres';
import { ConfigError, type Config } from '../config.js';

export type Sql = postgres.Sql;

type DbConfig = Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dbPrepare' | 'dbConnectTimeoutSeconds'>;

/**
 * Opens a postgres.js pool shaped for running behind PgBouncer in transaction mode.
 *
 * With `prepare: false` postgres.js sends a statement that has parameters in two steps (describe, then execute) and
 * queues other statements until it is done; a statement without parameters it pipelines: the next statement goes
 * out on the same connection before the answer arrives. PgBouncer 1.18 in transaction mode hands the server
 * connection back as soon as the first statement ends, and the pipelined one is lost or answered out of turn.
 * So every statement the API runs through this pool carries at least one parameter (`/readyz` included).
 */
export function createSql(config: DbConfig, databaseUrl = config.databaseUrl): Sql {
  if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'is not set (`npm run dev` starts an embedded PostgreSQL instead)');
  return postgres(databaseUrl, {
    max: config.dbPoolMax,
    prepare: config.dbPrepare,
    connect_timeout: config.dbConnectTimeoutSeconds,
    // 30 s: idle connections return to PgBouncer soon enough after a burst, yet survive the gaps between requests.
    idle_timeout: 30,
    // 30 min: connections are recycled now and then, so a PgBouncer or Postgres restart is absorbed gradually.
    max_lifetime: 30 * 60,
    connection: { application_name: 'recipes-api' },
    onnotice: () => {},
    // An optional field left out of an insert is stored as NULL, rather than every caller writing `?? null`.
    transform: { undefined: null },
    types: {
      // int8 ids arrive as JavaScript numbers (exact up to 2^53) instead of strings.
      bigint: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (value: string) => Number(value) },
    },
  });
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // SQLSTATE: too many connections, admin/crash shutdown, cannot connect now.
  '53300',
  '57P01',
  '57P02',
  '57P03',
]);

/** True when an error means "the database is unreachable right now" rather than a bug in a query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  // Class 08: connection exceptions, which is also what PgBouncer reports when it cannot reach Postgres.
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
}
