import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** A variable read without surrounding spaces, where blank counts as unset, so `NAME=` in an env file means the default. */
function setting<T extends z.ZodType>(schema: T) {
  return z.preprocess((raw) => (typeof raw === 'string' ? raw.trim() || undefined : raw), schema);
}

function wholeNumber(fallback: number, min: number, max: number) {
  const outOfRange = { error: (issue: { input?: unknown }) => `must be between ${min} and ${max}, got ${String(issue.input)}` };
  return setting(
    z
      .string()
      .regex(/^\d+$/, { error: (issue) => `must be a whole number, got "${String(issue.input)}"` })
      .transform(Number)
      .pipe(z.number().min(min, outOfRange).max(max, outOfRange))
      .default(fallback),
  );
}

function flag(fallback: boolean) {
  return setting(
    z
      .stringbool({
        truthy: ['true', '1', 'yes', 'on'],
        falsy: ['false', '0', 'no', 'off'],
        error: (issue) => `must be true or false, got "${String(issue.input)}"`,
      })
      .default(fallback),
  );
}

const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: (issue) =>
    URL.canParse(String(issue.input).trim())
      ? `must start with postgres:// or postgresql://, got "${new URL(String(issue.input).trim()).protocol}//"`
      : 'is not a URL (expected postgres://user:password@host:port/database)',
});

/** A comma-separated list of origins (scheme://host[:port]), each normalised as browsers send it in Origin. */
const originList = z.string().transform((raw, ctx) => {
  const origins: string[] = [];
  for (const item of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    const url = URL.parse(item);
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.href !== `${url.origin}/`) {
      ctx.addIssue({ code: 'custom', message: `must be origins such as https://app.example.com, separated by commas, got "${item}"` });
      return z.NEVER;
    }
    origins.push(url.origin);
  }
  return origins;
});

const logLevel = z
  .string()
  .toLowerCase()
  .pipe(z.enum(LOG_LEVELS, { error: (issue) => `must be one of ${LOG_LEVELS.join(', ')}, got "${String(issue.input)}"` }));

/** The environment the API reads, in the order problems are reported, mapped to the typed configuration. */
const configSchema = z
  .object({
    PORT: wholeNumber(3000, 0, 65535),
    DATABASE_URL: setting(postgresUrl.optional()),
    // 10 per replica: with 4 replicas that is 40 client connections, multiplexed by PgBouncer onto 25 server ones.
    DB_POOL_MAX: wholeNumber(10, 1, 1000),
    // Off by default: PgBouncer 1.18 in transaction mode cannot carry named prepared statements.
    DB_PREPARE: flag(false),
    // 2 s: when the database is gone, clients get a quick 503 instead of waiting postgres.js's default 30 s.
    DB_CONNECT_TIMEOUT_SECONDS: wholeNumber(2, 1, 300),
    SESSION_TTL_SECONDS: wholeNumber(14 * 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    // 10 failed logins per account per 15 min, one more back every 90 s: far more than typos, far fewer than guesses,
    // and an owner locked out by someone else's guesses waits 90 s at most once they stop.
    LOGIN_ACCOUNT_FAILURES: wholeNumber(10, 1, 10_000),
    LOGIN_ACCOUNT_WINDOW_SECONDS: wholeNumber(15 * 60, 1, 24 * 60 * 60),
    // 30 login attempts per client address per minute: the bench and e2e log in ~20 times in a few minutes; one address
    // costs a replica at most ~1 s of scrypt CPU per minute.
    LOGIN_ADDRESS_ATTEMPTS: wholeNumber(30, 1, 100_000),
    LOGIN_ADDRESS_WINDOW_SECONDS: wholeNumber(60, 1, 24 * 60 * 60),
    COOKIE_SECURE: flag(false),
    // None: browsers may change data only from the API's own origin. List a front end served from elsewhere.
    ALLOWED_ORIGINS: setting(originList.default([])),
    LOG_LEVEL: setting(logLevel.default('info')),
    // 8 s: inside Docker's 10 s stop grace period, so the process exits on its own before SIGKILL.
    SHUTDOWN_TIMEOUT_MS: wholeNumber(8_000, 0, 600_000),
    // 0 outside a load balancer; behind one, long enough for its health checks to see /readyz fail (part of the
    // shutdown timeout), so it stops routing here before the listener closes.
    SHUTDOWN_DELAY_MS: wholeNumber(0, 0, 600_000),
    // Taken as given (no trimming): it is a password. Unset or empty means the seeder's development default.
    SEED_PASSWORD: z.string().optional(),
  })
  .transform((env) => ({
    port: env.PORT,
    /** Unset means "no database configured": `npm run dev` then starts an embedded PostgreSQL. */
    databaseUrl: env.DATABASE_URL,
    dbPoolMax: env.DB_POOL_MAX,
    dbPrepare: env.DB_PREPARE,
    dbConnectTimeoutSeconds: env.DB_CONNECT_TIMEOUT_SECONDS,
    sessionTtlSeconds: env.SESSION_TTL_SECONDS,
    loginAccountFailures: env.LOGIN_ACCOUNT_FAILURES,
    loginAccountWindowSeconds: env.LOGIN_ACCOUNT_WINDOW_SECONDS,
    loginAddressAttempts: env.LOGIN_ADDRESS_ATTEMPTS,
    loginAddressWindowSeconds: env.LOGIN_ADDRESS_WINDOW_SECONDS,
    cookieSecure: env.COOKIE_SECURE,
    allowedOrigins: env.ALLOWED_ORIGINS,
    logLevel: env.LOG_LEVEL,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    shutdownDelayMs: env.SHUTDOWN_DELAY_MS,
    seedPassword: env.SEED_PASSWORD || undefined,
  }));

/** Typed configuration, read once from the environment at start-up. */
export type Config = z.output<typeof configSchema>;

/** Parses and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  throw new ConfigError(String(issue?.path[0]), issue?.message ?? 'is invalid');
}

/** loadConfig for entry points: prints the problem and exits 1 instead of throwing. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
