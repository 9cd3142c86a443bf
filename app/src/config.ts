/** Typed configuration, read once from the environment at start-up. */
export interface Config {
  port: number;
  /** Unset means "no database configured": `npm run dev` then starts an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  dbPoolMax: number;
  dbPrepare: boolean;
  dbConnectTimeoutSeconds: number;
  sessionTtlSeconds: number;
  cookieSecure: boolean;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  shutdownDelayMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
}

function readDatabaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
}

function readLogLevel(env: Env): LogLevel {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return raw as LogLevel;
}

/** Parses and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  return {
    port: readInt(env, 'PORT', 3000, 0, 65535),
    databaseUrl: readDatabaseUrl(env),
    // 10 per replica: with 4 replicas that is 40 client connections, multiplexed by PgBouncer onto 25 server ones.
    dbPoolMax: readInt(env, 'DB_POOL_MAX', 10, 1, 1000),
    // Off by default: PgBouncer 1.18 in transaction mode cannot carry named prepared statements.
    dbPrepare: readBool(env, 'DB_PREPARE', false),
    // 2 s: when the database is gone, clients get a quick 503 instead of waiting postgres.js's default 30 s.
    dbConnectTimeoutSeconds: readInt(env, 'DB_CONNECT_TIMEOUT_SECONDS', 2, 1, 300),
    sessionTtlSeconds: readInt(env, 'SESSION_TTL_SECONDS', 14 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    cookieSecure: readBool(env, 'COOKIE_SECURE', false),
    logLevel: readLogLevel(env),
    // 8 s: inside Docker's 10 s stop grace period, so the process exits on its own before SIGKILL.
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_MS', 8_000, 0, 600_000),
    // 0 outside a load balancer; behind one, long enough for its health checks to see /readyz fail (part of the
    // shutdown timeout), so it stops routing here before the listener closes.
    shutdownDelayMs: readInt(env, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
  };
}

/** loadConfig for entry points: prints the problem and exits 1 instead of throwing. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
