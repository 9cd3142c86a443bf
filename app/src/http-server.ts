import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { ServableApp } from './app.js';
import type { Config } from './config.js';
import type { Sql } from './db/client.js';
import type { Logger } from './logger.js';

// 61 s: longer than HAProxy keeps an idle server connection, so the proxy, not Node, closes idle keep-alive
// connections and never sends a request onto a socket Node is closing.
const KEEP_ALIVE_TIMEOUT_MS = 61_000;

export interface RunningServer {
  server: Server;
  port: number;
  /** Drains and stops: readiness 503, stop accepting, finish in-flight requests, close the pool. */
  shutdown(): Promise<void>;
}

type ServerConfig = Pick<Config, 'port' | 'shutdownTimeoutMs' | 'shutdownDelayMs'>;

/** Serves the app on config.port; resolves once listening. Shutting down ends the app's pool too. */
export function startServer(
  { app, lifecycle }: ServableApp,
  sql: Sql,
  config: ServerConfig,
  logger: Logger,
): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
      logger.info({ port: info.port }, 'listening');
      resolve({ server, port: info.port, shutdown });
    }) as Server;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

    let stopping: Promise<void> | undefined;
    function shutdown(): Promise<void> {
      stopping ??= (async () => {
        const deadline = Date.now() + config.shutdownTimeoutMs;
        lifecycle.beginShutdown();
        logger.info({ delayMs: config.shutdownDelayMs }, 'shutting down: readiness is 503');
        await new Promise((done) => setTimeout(done, Math.min(config.shutdownDelayMs, config.shutdownTimeoutMs)));
        logger.info('closing the listener, draining requests');
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now() - 500));
        await closed;
        clearTimeout(timer);
        await sql.end({ timeout: Math.max(0, (deadline - Date.now()) / 1000) });
        logger.info('shut down');
      })();
      return stopping;
    }
  });
}

/** Shuts the server down on SIGTERM or SIGINT and exits 0 when drained, 1 if draining failed. */
export function exitOnSignal(running: RunningServer, logger: Logger, beforeExit: () => Promise<void> = async () => {}): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      running
        .shutdown()
        .then(beforeExit)
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
}
