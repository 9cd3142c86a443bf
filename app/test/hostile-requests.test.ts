import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from './support/database.js';
import { rawRequest, serveApp, type RawResponse, type TestServer } from './support/server.js';

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
