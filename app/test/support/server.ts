import { connect } from 'node:net';
import type { Sql } from '../../src/db/client.js';
import { startServer } from '../../src/http-server.js';
import { createLogger } from '../../src/logger.js';
import { buildApp } from './app.js';

export interface TestServer {
  port: number;
  /** GET /metrics, straight from the server. */
  metrics(): Promise<string>;
  /** Stops listening and drops every connection; the pool stays open for the rest of the file. */
  close(): Promise<void>;
}

/** The app behind the real HTTP server on a free port: for what only a socket shows (hosts, parser errors, aborts). */
export async function serveApp(sql: Sql, env: Record<string, string> = {}): Promise<TestServer> {
  const config = { port: 0, shutdownTimeoutMs: 0, shutdownDelayMs: 0 };
  const { server, port } = await startServer(buildApp(sql, env), sql, config, createLogger('silent'));
  return {
    port,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the first HTTP/1.1 response in what a socket received. */
function parseResponse(raw: string): RawResponse {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

/** Writes `request` as bytes to the server and resolves with its answer once the server closes the connection. */
export function rawRequest(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(received)));
  });
}

/** Sends the start of a request, then hangs up: with a FIN (`end`) or a TCP reset (`reset`). */
export function abandonedRequest(port: number, start: string, hangUp: 'end' | 'reset'): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(start, () => {
        // A moment for the server to start reading the body before the client goes.
        setTimeout(() => (hangUp === 'end' ? socket.end() : socket.resetAndDestroy()), 50);
      });
    });
    // Read (and drop) whatever comes back, or the socket never sees the server's FIN and never closes.
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}
