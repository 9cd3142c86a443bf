import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backgroundTraffic, listRecipes, login, pollUntil, request, sampleServedBy } from './support/api.js';
import { pgbouncerShow, postgresQuery } from './support/database.js';
import { containerAddress, inspectContainer, projectContainers, serviceContainer } from './support/docker.js';
import { backendRows, readHaproxyStats } from './support/haproxy-stats.js';
import { prepareStack, scaleApp, startStack, stopStack, type Stack } from './support/stack.js';

// The whole stack from compose.yaml, reached only through HAProxy's published port:
//   127.0.0.1:<random port> -> haproxy -> app x3 -> pgbouncer -> postgres

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPLICAS = 3;
// HAProxy's per-replica limit (haproxy/haproxy.cfg: server-template ... maxconn 25).
const MAXCONN = 25;

let stack: Stack | undefined;

function running(): Stack {
  if (!stack) throw new Error('the stack did not start (see beforeAll)');
  return stack;
}

/** Hostnames of the running API containers: what they report in X-Served-By. */
async function appHostnames(): Promise<Set<string>> {
  const containers = await projectContainers(running().project.name, { service: 'app' });
  const details = await Promise.all(containers.map((c) => inspectContainer(c.Id)));
  return new Set(details.map((d) => d.Config.Hostname));
}

/** Waits until HAProxy spreads requests over exactly the running API containers, all of them. */
async function waitForRouting(replicas: number): Promise<Set<string>> {
  const { baseUrl } = running();
  return pollUntil(
    `HAProxy to route to ${replicas} replica(s)`,
    async () => {
      const expected = await appHostnames();
      if (expected.size !== replicas) return undefined;
      // Round robin over `replicas` servers: 4 rounds reach each of them several times.
      const { servedBy, failures } = await sampleServedBy(baseUrl, replicas * 4);
      const same = servedBy.size === expected.size && [...servedBy].every((name) => expected.has(name));
      return failures === 0 && same ? servedBy : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

beforeAll(async () => {
  stack = await prepareStack(ROOT, `recipes-e2e-${randomBytes(4).toString('hex')}`);
  await startStack(stack, REPLICAS);
  await waitForRouting(REPLICAS);
});

afterAll(async () => {
  // Runs after failures too: nothing of the project (containers, network, data volume) may outlive the suite.
  if (stack) await stopStack(stack.project);
});

describe('the API through HAProxy', () => {
  test('the demo user logs in and pages through 100 recipes at a time', async () => {
    const { baseUrl, demo } = running();
    const cookie = await login(baseUrl, demo.email, demo.password);

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

  test('without a session cookie the recipes are refused with 401 problem+json', async () => {
    const reply = await request(running().baseUrl, '/api/v1/recipes');
    expect(reply.status).toBe(401);
    expect(reply.contentType).toContain('application/problem+json');
    expect(reply.servedBy).toBeTruthy();
  });

  test('answers travel app -> PgBouncer -> Postgres', async () => {
    const current = running();
    const { baseUrl, demo, db } = current;
    const cookie = await login(baseUrl, demo.email, demo.password);
    const queries = async () => {
      const stats = (await pgbouncerShow(current, 'STATS')).find((row) => row.database === db.name);
      return Number(stats?.total_query_count ?? 0);
    };

    const before = await queries();
    const requests = 20;
    for (let i = 0; i < requests; i += 1) expect((await listRecipes(baseUrl, cookie)).status).toBe(200);
    // Each list request runs at least one query through PgBouncer's pool for this database.
    expect((await queries()) - before).toBeGreaterThanOrEqual(requests);

    const pools = await pgbouncerShow(current, 'POOLS');
    const pool = pools.find((row) => row.database === db.name && row.user === db.user);
    expect(pool, 'PgBouncer pool for the API database').toBeDefined();
    const serverConnections = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce(
      (sum, column) => sum + Number(pool?.[column] ?? 0),
      0,
    );
    expect(serverConnections).toBeGreaterThan(0);
    expect(serverConnections).toBeLessThanOrEqual(25);

    // Every client of the API database that Postgres sees (other than this query itself) is PgBouncer.
    const pgbouncerAddress = await containerAddress((await serviceContainer(current.project.name, 'pgbouncer')).Id);
    const clients = await postgresQuery(
      current,
      `select distinct host(client_addr) as address from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    expect(clients.map((row) => row.address)).toEqual([pgbouncerAddress]);
  });

  test('concurrent reads and writes through the transaction pool all succeed and land in Postgres', async () => {
    const current = running();
    const { baseUrl, demo } = current;
    const cookie = await login(baseUrl, demo.email, demo.password);
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
      current,
      `select count(*) as kept, count(*) filter (where servings = 2) as updated from recipes where '${tag}' = any(tags)`,
    );
    expect(row).toEqual({ kept: String(writers / 2), updated: String(writers / 2) });
  });
});

describe('replicas behind HAProxy', () => {
  test(`all ${REPLICAS} replicas answer (X-Served-By)`, async () => {
    const { servedBy, failures } = await sampleServedBy(running().baseUrl, REPLICAS * 4);
    expect(failures).toBe(0);
    expect(servedBy).toEqual(await appHostnames());
    expect(servedBy.size).toBe(REPLICAS);
  });

  test('scaling to 1 and back to 3 reroutes traffic, loses no request and does not restart HAProxy', async () => {
    const current = running();
    const haproxyId = (await serviceContainer(current.project.name, 'haproxy')).Id;
    const before = await inspectContainer(haproxyId);
    // Requests keep flowing while replicas stop and start: HAProxy must retry or reroute every one of them.
    const traffic = backgroundTraffic(current.baseUrl, { maxRequests: 20_000 });

    await scaleApp(current, 1);
    const one = await waitForRouting(1);
    expect(one.size).toBe(1);

    await scaleApp(current, REPLICAS);
    const three = await waitForRouting(REPLICAS);
    expect(three).toEqual(await appHostnames());

    const { sent, failures } = await traffic.stop();
    expect(sent).toBeGreaterThan(10);
    expect(failures).toEqual([]);

    const after = await inspectContainer(haproxyId);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(after.RestartCount).toBe(before.RestartCount);
    expect(after.State.Running).toBe(true);
  });

  test(`200 concurrent requests, over ${REPLICAS} x maxconn ${MAXCONN}, queue in HAProxy and all succeed`, async () => {
    const { baseUrl, demo, stats } = running();
    const cookie = await login(baseUrl, demo.email, demo.password);
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
