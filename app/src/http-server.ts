import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { ServableApp } from './app.js';
import type { Config } from './config.js';
import type { Sql } from './db/client.js';
import type { Logger } from './logger.js';
import { answerClientError, answerRequestError } from './rejected-requests.js';

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
  { app, lifecycle, servedBy }: ServableApp,
  sql: Sql,
  config: ServerConfig,
  logger: Logger,
): Promise<RunningServer> {
  return new Promise((resolve) => {
    // No Host header reaches the adapter, which refuses it with a problem like any other target it cannot use.
    const server = createServer(
      { requireHostHeader: false },
      getRequestListener(app.fetch, { errorHandler: answerRequestError(servedBy, logger) }),
    );
    server.on('clientError', answerClientError(servedBy));
    server.listen(config.port, () => {
      const { port } = server.address() as AddressInfo;
      logger.info({ port }, 'listening');
      resolve({ server, port, shutdown });
    });
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
