import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { beforeAll, describe, expect, test } from 'vitest';
import { APP_SERVICE, backendRows, inspectContainer, listRecipes, login, readHaproxyStats, request, waitForSettledService } from '../tools/stack/index.js';
import { backgroundTraffic, sampleServedBy } from './support/api.js';
import { pgbouncerShow, postgresQuery } from './support/database.js';
import { reachFrom } from './support/network.js';
import { environmentsHolding } from './support/secrets.js';
import { appContainers, attachStack, containerName, stackInfo } from './support/stack.js';

// The whole stack from compose.yaml (brought up by e2e/global-setup.ts), reached only through HAProxy's port; the
// containers are the ones testcontainers' environment hands out (attachStack), and the global setup takes them down.
const stack = stackInfo();
const REPLICAS = stack.replicas;
// HAProxy's per-replica limit (haproxy/haproxy.cfg: server-template ... maxconn 25).
const MAXCONN = 25;
// A replica restarted by its restart policy passes its first health check within one interval (5 s).
const SETTLE_TIMEOUT_MS = 60_000;

let environment: StartedDockerComposeEnvironment;
beforeAll(async () => {
  environment = await attachStack(stack);
});

/** Hostnames of the API containers of an environment with `replicas` of them: what they report in X-Served-By. */
function appHostnames(replicas: number): Set<string> {
  return new Set(appContainers(environment, replicas).map((container) => container.getHostname()));
}

/** Rescales the API to `replicas`; returns once HAProxy routes to every one of them (attachStack's wait strategies). */
async function scaleTo(replicas: number): Promise<void> {
  // compose refuses to start anything while a replica that its restart policy is bringing back is not healthy yet.
  await waitForSettledService(stack.project, APP_SERVICE, SETTLE_TIMEOUT_MS);
  environment = await attachStack(stack, replicas);
}

describe('the API through HAProxy', () => {
  test('the demo user logs in and pages through 100 recipes at a time', async () => {
    const { baseUrl, demo } = stack;
    const cookie = await login(baseUrl, demo);

    const first = await listRecipes(baseUrl, cookie);
    expect(first.status).toBe(200);
    expect(first.body.recipes).toHaveLength(100);
    expect(first.body.next_cursor).toEqual(expect.any(String));

    const second = await listRecipes(baseUrl, cookie, `?cursor=${encodeURIComponent(first.body.next_cursor ?? '')}`);
    expect(second.status).toBe(200);
    expect(second.body.recipes).toHaveLength(100);
    const firstIds = new Set(first.body.recipes.map((r) => r.id));
    expect(second.body.recipes.filter((r) => firstIds.has(r.id))).toEqual([]);
  });

  test('GET /api/v1/openapi.json through HAProxy returns the OpenAPI 3.1 document, which a standard validator accepts', async () => {
    const reply = await request<{ openapi: string; paths: Record<string, unknown> }>(stack.baseUrl, '/api/v1/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toContain('application/json');
    expect(reply.body.openapi).toBe('3.1.0');
    expect(Object.keys(reply.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/recipes', '/api/v1/recipes/{id}']));
    expect(await new Validator().validate(reply.body)).toEqual({ valid: true });
  });

  test('without a session cookie the recipes are refused with 401 problem+json', async () => {
    const reply = await listRecipes(stack.baseUrl, undefined);
    expect(reply.status).toBe(401);
    expect(reply.contentType).toContain('application/problem+json');
    expect(reply.servedBy).toBeTruthy();
  });

  test('answers travel app -> PgBouncer -> Postgres', async () => {
    const { baseUrl, demo, db } = stack;
    const cookie = await login(baseUrl, demo);
    const queries = async () => {
      const stats = (await pgbouncerShow(environment, 'STATS')).find((row) => row.database === db.name);
      return Number(stats?.total_query_count ?? 0);
    };

    const before = await queries();
    const requests = 20;
    for (let i = 0; i < requests; i += 1) expect((await listRecipes(baseUrl, cookie)).status).toBe(200);
    // Each list request runs at least one query through PgBouncer's pool for this database.
    expect((await queries()) - before).toBeGreaterThanOrEqual(requests);

    const pools = await pgbouncerShow(environment, 'POOLS');
    const pool = pools.find((row) => row.database === db.name && row.user === db.user);
    expect(pool, 'PgBouncer pool for the API database').toBeDefined();
    const serverConnections = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce(
      (sum, column) => sum + Number(pool?.[column] ?? 0),
      0,
    );
    expect(serverConnections).toBeGreaterThan(0);
    expect(serverConnections).toBeLessThanOrEqual(25);

    // Every client of the API database that Postgres sees (other than this query itself) is PgBouncer.
    const pgbouncer = environment.getContainer(containerName('pgbouncer'));
    const postgresNetworks = environment.getContainer(containerName('postgres')).getNetworkNames();
    const shared = pgbouncer.getNetworkNames().filter((network) => postgresNetworks.includes(network));
    expect(shared, 'networks PgBouncer and Postgres share').toHaveLength(1);
    const pgbouncerAddress = pgbouncer.getIpAddress(shared[0] ?? '');
    const clients = await postgresQuery(
      environment,
      `select distinct host(client_addr) as address from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    expect(clients.map((row) => row.address)).toEqual([pgbouncerAddress]);
  });

  test('concurrent reads and writes through the transaction pool all succeed and land in Postgres', async () => {
    const { baseUrl, demo } = stack;
    const cookie = await login(baseUrl, demo);
    const json = { cookie, 'content-type': 'application/json' };
    const tag = `e2e-${randomBytes(3).toString('hex')}`;
    const writers = 30;

    // Each writer creates (a transaction), updates, reads back and deletes its own recipe, while list requests
    // share the same pooled connections: mixed statements must never be answered out of turn.
    const outcomes = await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        const created = await request<{ id: number }>(baseUrl, '/api/v1/recipes', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: `${tag} ${i}`, tags: [tag], ingredients: [{ name: 'salt' }], steps: ['Stir.'] }),
        });
        const id = created.body.id;
        const [updated, listed, fetched] = await Promise.all([
          request(baseUrl, `/api/v1/recipes/${id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ servings: 2 }) }),
          listRecipes(baseUrl, cookie, '?limit=20'),
          request(baseUrl, `/api/v1/recipes/${id}`, { headers: { cookie } }),
        ]);
        const keep = i % 2 === 0;
        const deleted = keep ? undefined : await request(baseUrl, `/api/v1/recipes/${id}`, { method: 'DELETE', headers: { cookie } });
        return [created.status, updated.status, listed.status, fetched.status, deleted?.status ?? 204];
      }),
    );
    expect(outcomes.filter((codes) => codes.join() !== '201,200,200,200,204')).toEqual([]);

    const [row] = await postgresQuery(
      environment,
      `select count(*) as kept, count(*) filter (where servings = 2) as updated from recipes where '${tag}' = any(tags)`,
    );
    expect(row).toEqual({ kept: String(writers / 2), updated: String(writers / 2) });
  });
});

describe('replicas behind HAProxy', () => {
  test(`all ${REPLICAS} replicas answer (X-Served-By)`, async () => {
    const { servedBy, failures } = await sampleServedBy(stack.baseUrl, REPLICAS * 4);
    expect(failures).toBe(0);
    expect(servedBy).toEqual(appHostnames(REPLICAS));
    expect(servedBy.size).toBe(REPLICAS);
  });

  test('scaling to 1 and back to 3 reroutes traffic, loses no request and does not restart HAProxy', async () => {
    const haproxy = environment.getContainer(containerName('haproxy'));
    const before = await inspectContainer(haproxy.getId());
    // Requests keep flowing while replicas stop and start: HAProxy must retry or reroute every one of them.
    const traffic = backgroundTraffic(stack.baseUrl, { maxRequests: 20_000 });

    await scaleTo(1);
    const one = await sampleServedBy(stack.baseUrl, 8);
    expect(one).toEqual({ servedBy: appHostnames(1), failures: 0 });

    await scaleTo(REPLICAS);
    const three = await sampleServedBy(stack.baseUrl, REPLICAS * 4);
    expect(three).toEqual({ servedBy: appHostnames(REPLICAS), failures: 0 });

    const { sent, failures } = await traffic.stop();
    expect(sent).toBeGreaterThan(10);
    expect(failures).toEqual([]);

    expect(environment.getContainer(containerName('haproxy')).getId()).toBe(haproxy.getId());
    const after = await inspectContainer(haproxy.getId());
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.RestartCount).toBe(before.RestartCount);
    expect(after.State.Running).toBe(true);
  });

  test(`200 concurrent requests, over ${REPLICAS} x maxconn ${MAXCONN}, queue in HAProxy and all succeed`, async () => {
    const { baseUrl, demo, stats } = stack;
    const cookie = await login(baseUrl, demo);
    const concurrent = 200;

    const replies = await Promise.all(Array.from({ length: concurrent }, () => listRecipes(baseUrl, cookie)));

    expect(replies.filter((reply) => reply.status !== 200).map((reply) => reply.status)).toEqual([]);
    expect(replies.every((reply) => reply.body.recipes.length === 100)).toBe(true);
    expect(new Set(replies.map((reply) => reply.servedBy)).size).toBe(REPLICAS);

    const { servers, summary } = backendRows(await readHaproxyStats(baseUrl, stats.user, stats.password), 'app');
    // Requests beyond 3 x 25 waited in HAProxy's queue; no replica ever had more than 25 at once.
    expect(summary.queueMax).toBeGreaterThan(0);
    const live = servers.filter((server) => !server.status.startsWith('MAINT'));
    expect(live.length).toBeGreaterThanOrEqual(REPLICAS);
    for (const server of live) {
      expect(server.sessionsLimit).toBe(MAXCONN);
      expect(server.sessionsMax).toBeLessThanOrEqual(MAXCONN);
    }
  });
});

describe('networks and secrets', () => {
  test('HAProxy can neither resolve nor connect to PgBouncer or Postgres; it reaches the API, and the API reaches PgBouncer', async () => {
    const haproxy = environment.getContainer(containerName('haproxy')).getId();
    const app = environment.getContainer(containerName(APP_SERVICE)).getId();
    // The probe works from HAProxy's container: the API, on the network they share, answers by name.
    expect(await reachFrom(haproxy, 'app', 3000)).toEqual({ resolves: true, connects: true });
    for (const [service, port] of [['pgbouncer', 6432], ['postgres', 5432]] as const) {
      const container = environment.getContainer(containerName(service));
      const data = container.getNetworkNames().find((network) => network.endsWith('_data'));
      expect(data, `${service} is on the data network`).toBeDefined();
      const address = container.getIpAddress(data ?? '');
      expect(await reachFrom(haproxy, service, port), `${service} by name`).toEqual({ resolves: false, connects: false });
      expect((await reachFrom(haproxy, address, port)).connects, `${service} at ${address}`).toBe(false);
      // ...while the API, on both networks, reaches either by name and by address.
      expect(await reachFrom(app, service, port), `${service} from the API`).toEqual({ resolves: true, connects: true });
      expect((await reachFrom(app, address, port)).connects, `${service} at ${address} from the API`).toBe(true);
    }
  });

  test('no password is in any container environment: they are secret files under /run/secrets', async () => {
    const { db, stats, demo } = stack;
    expect(await environmentsHolding(stack.project, [db.password, stats.password, demo.password])).toEqual([]);
    // The passwords did reach the tiers: Postgres was initialised with the file's, the seed and the stats page too.
    const postgres = await inspectContainer(environment.getContainer(containerName('postgres')).getId());
    expect(postgres.Config.Env).toContain('POSTGRES_PASSWORD_FILE=/run/secrets/db_password');
    expect((await login(stack.baseUrl, demo)).length).toBeGreaterThan(0);
    expect(backendRows(await readHaproxyStats(stack.baseUrl, stats.user, stats.password), 'app').servers.length).toBeGreaterThan(0);
    await expect(readHaproxyStats(stack.baseUrl, stats.user, `${stats.password}-wrong`)).rejects.toThrow(/401/);
  });
});
