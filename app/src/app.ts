import { hostname } from 'node:os';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { LoginLimits } from './auth/login-limits.js';
import { AUTH_BASE, authRoutes } from './auth/routes.js';
import type { Config } from './config.js';
import { clientAborted } from './connection.js';
import { isDatabaseUnavailable, type Sql } from './db/client.js';
import { healthRoutes } from './health.js';
import { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { timedPool } from './db/pool-timing.js';
import { createMetrics } from './metrics.js';
import { Problem, badRequest, incompleteRequest, internalError, notFound, problemResponse, serviceUnavailable } from './problem.js';
import { buildOpenApiDocument } from './openapi.js';
import { metrics as metricsOperation, openApiDocument } from './operations.js';
import { RECIPES_BASE, recipeRoutes } from './recipes/routes.js';
import { commonHeaders } from './response-headers.js';
import { sameOriginWrites } from './same-origin.js';

export interface AppDeps {
  sql: Sql;
  config: Pick<
    Config,
    | 'sessionTtlSeconds'
    | 'cookieSecure'
    | 'dbPoolMax'
    | 'allowedOrigins'
    | 'loginAccountFailures'
    | 'loginAccountWindowSeconds'
    | 'loginAddressAttempts'
    | 'loginAddressWindowSeconds'
  >;
  logger: Logger;
  /** Reported in X-Served-By; the container's hostname by default. */
  servedBy?: string;
  /** Node's own metrics (CPU, memory, event loop) on /metrics; tests leave them out, many apps sharing one process. */
  processMetrics?: boolean;
}

export type App = Hono;

/** The app and the shutdown state it reports: the server begins the shutdown, readiness and every response see it. */
export interface ServableApp {
  app: App;
  lifecycle: Lifecycle;
  /** X-Served-By on every response, the server's own answers included. */
  servedBy: string;
}

// 64 KiB: a recipe with 100 ingredients and 100 long steps fits; anything larger is not a recipe.
const MAX_BODY_BYTES = 64 * 1024;
// 1 s: while the database is away a request's 503 leaves no sooner than this after it arrived (with Retry-After: 1),
// so a client that retries at once gets one answer a second per connection instead of thousands.
const UNAVAILABLE_ANSWER_MS = 1000;

function routeLabel(c: Context): string {
  const route = routePath(c, -1);
  // Unmatched paths would otherwise each become a label value of their own.
  return route === '/*' || route === '*' ? 'unmatched' : route;
}

/** Builds the HTTP application with its metrics and lifecycle; serving it on a port is the entry point's job. */
export function createApp({ sql: pool, config, logger, servedBy = hostname(), processMetrics = true }: AppDeps): ServableApp {
  const lifecycle = new Lifecycle();
  const metrics = createMetrics({ dbPoolMax: config.dbPoolMax, collectProcessMetrics: processMetrics });
  // Every route's statements through the pool's timing (db_pool_wait_seconds, db_round_trip_seconds).
  const sql = timedPool(pool, config.dbPoolMax, { poolWait: metrics.dbPoolWait, roundTrip: metrics.dbRoundTrip });

  // When each request arrived, for answers that must not leave too early.
  const arrivals = new WeakMap<Request, number>();

  const toResponse = async (error: unknown, c: Context): Promise<Response> => {
    if (error instanceof Problem) return problemResponse(c, error);
    if (error instanceof HTTPException) {
      return problemResponse(c, new Problem(error.status as 400, error.message || 'Request rejected', error.message));
    }
    // Before the database check: a cut-off body fails with ECONNRESET too, which is no database trouble.
    if (clientAborted(c)) {
      metrics.clientAborts.inc();
      logger.debug({ err: error, path: c.req.path }, 'client hung up before its request arrived');
      return problemResponse(c, incompleteRequest());
    }
    if (isDatabaseUnavailable(error)) {
      metrics.dbUnavailable.inc();
      logger.warn({ err: error, path: c.req.path }, 'database unavailable');
      const wait = (arrivals.get(c.req.raw) ?? performance.now()) + UNAVAILABLE_ANSWER_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return problemResponse(c, serviceUnavailable('The database is unreachable; try again shortly.', UNAVAILABLE_ANSWER_MS / 1000));
    }
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(c, internalError());
  };

  const app = new Hono();
  const headers = Object.entries(commonHeaders(servedBy));

  app.use(async (c, next) => {
    const started = performance.now();
    arrivals.set(c.req.raw, started);
    metrics.requestsInFlight.inc();
    for (const [name, value] of headers) c.header(name, value);
    // While draining, ask keep-alive clients (HAProxy included) to reconnect, so they land on another replica.
    if (lifecycle.shuttingDown) c.header('Connection', 'close');
    try {
      await next();
    } finally {
      metrics.requestsInFlight.dec();
      const seconds = (performance.now() - started) / 1000;
      const labels = { method: c.req.method, route: routeLabel(c), status: String(c.res.status) };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, seconds);
      if (logger.isLevelEnabled('info')) {
        logger.info({ ...labels, path: c.req.path, ms: Math.round(seconds * 1000 * 10) / 10 }, 'request');
      }
    }
  });

  app.use(async (c, next) => {
    // The Node adapter builds the URL from the Host header and passes on hosts the URL parser refuses (999.0.0.1 looks
    // like an IPv4 address but is none); anything that parses the URL later would throw, so refuse them here.
    if (!URL.canParse(c.req.url)) throw badRequest([{ name: 'header.host', reason: 'is not a valid host name or address' }]);
    await next();
  });

  app.use('/api/*', async (c, next) => {
    // Sessions, users and recipes: no browser or proxy cache may keep any of it.
    c.header('Cache-Control', 'no-store');
    await next();
  });
  app.use('/api/*', sameOriginWrites(config));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => problemResponse(c, new Problem(413, 'Payload too large', `Bodies are limited to ${MAX_BODY_BYTES} bytes.`)),
  });
  // A GET or HEAD body is never read, and asking for it made the Node adapter build a full Fetch Request (with a
  // stream and an abort signal) for every list page.
  app.use('/api/*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  app.route('/', healthRoutes(sql, lifecycle));
  app.on(metricsOperation.method, metricsOperation.path, async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  app.route(AUTH_BASE, authRoutes(sql, config, new LoginLimits(config)));
  app.route(RECIPES_BASE, recipeRoutes(sql));
  // Built once: the document changes only with the code.
  const document = JSON.stringify(buildOpenApiDocument());
  app.on(openApiDocument.method, openApiDocument.path, (c) => c.body(document, 200, { 'Content-Type': 'application/json' }));

  app.notFound((c) => problemResponse(c, notFound(`No route for ${c.req.method} ${c.req.path}.`)));
  app.onError(toResponse);
  return { app, lifecycle, servedBy };
}
