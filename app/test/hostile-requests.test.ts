import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from './support/database.js';
import { abandonedRequest, rawRequest, serveApp, type RawResponse, type TestServer } from './support/server.js';

const db = useTestDatabase();
let server: TestServer;

beforeAll(async () => {
  server = await serveApp(db.sql);
});

afterAll(async () => {
  await server?.close();
});

function expectProblem(response: RawResponse, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.headers['x-served-by']).toBe('test-replica');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(JSON.parse(response.body)).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
}

describe('a Host header the URL parser refuses', () => {
  // 999.0.0.1 looks like an IPv4 address but is none, so it is no valid host name either.
  it.each([
    ['GET /api/v1/recipes', 'GET /api/v1/recipes HTTP/1.1\r\nHost: 999.0.0.1\r\nConnection: close\r\n\r\n'],
    ['GET /healthz', 'GET /healthz HTTP/1.1\r\nHost: 1.2.3.256:8080\r\nConnection: close\r\n\r\n'],
    [
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: 999.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    ],
  ])('%s is a 400 problem naming the host, not a 500', async (_, request) => {
    const response = await rawRequest(server.port, request);
    expectProblem(response, 400);
    expect(JSON.parse(response.body)).toMatchObject({ invalid_params: [{ name: 'header.host' }] });
  });
});

describe("requests Node's HTTP parser or the adapter refuse", () => {
  it.each([
    ['an unknown method', 400, 'FOO / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a control character in the request line', 400, 'GET /\u0001 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['headers over 16 KiB', 431, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`],
    [
      'Content-Length together with Transfer-Encoding',
      400,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['no Host header', 400, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['a Host with a space', 400, 'GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'],
  ])('%s is a %i problem, not an empty body', async (_, status, request) => {
    expectProblem(await rawRequest(server.port, request), status);
  });
});

describe('a client that hangs up before its body arrived', () => {
  function metric(text: string, name: string): number {
    return text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  it('is counted as a client abort, never as the database being unavailable', async () => {
    // A server of its own, so its metrics count only these requests.
    const server = await serveApp(db.sql);
    const login = 'POST /api/v1/auth/login HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n';
    const partialJson = `${login}Content-Length: 100\r\n\r\n{"email":"demo@`;
    const partialChunked = `${login}Transfer-Encoding: chunked\r\n\r\n40\r\n{"email":"demo@`;
    await abandonedRequest(server.port, partialJson, 'end');
    await abandonedRequest(server.port, partialJson, 'reset');
    await abandonedRequest(server.port, partialChunked, 'end');

    // The app answers each abandoned request (to nobody) soon after the socket closes; wait until it has.
    let text = '';
    for (let i = 0; i < 100; i += 1) {
      text = await server.metrics();
      if (metric(text, 'http_requests_total{method="POST",route="/api/v1/auth/login"') === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(metric(text, 'http_requests_total{method="POST",route="/api/v1/auth/login"')).toBe(3);
    expect(metric(text, 'db_unavailable_errors_total')).toBe(0);
    expect(metric(text, 'http_client_aborts_total')).toBe(3);
    expect(text).toContain('http_requests_total{method="POST",route="/api/v1/auth/login",status="400"} 3');
    await server.close();
  });
});
