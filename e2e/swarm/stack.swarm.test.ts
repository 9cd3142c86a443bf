import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CONVERGE_TIMEOUT_MS,
  DEFAULT_APP_IMAGE,
  SECRET_NAMES,
  SwarmStack,
  choosePostgresNode,
  demoUserSeededWith,
  docker,
  ensureApiImage,
  ensureSwarm,
  findOnPath,
  forgetPostgresNode,
  inspectContainer,
  leaveSwarm,
  listRecipes,
  login,
  pinnedK6Image,
  projectContainers,
  projectPublishingPort,
  runCommand,
  serviceOf,
  swarmActive,
  tail,
  waitForRouting,
  writeSecrets,
  backendRows,
  readHaproxyStats,
} from '../../tools/stack/index.js';
import { backgroundTraffic } from '../support/api.js';
import { reachFrom } from '../support/network.js';
import { environmentsHolding } from '../support/secrets.js';

// deploy/swarm/stack.yaml on a single-node swarm, reached only through HAProxy's published port on 127.0.0.1. The
// engine is left as it was found: a swarm this suite initialised is left again, even when a test fails.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STACK = `recipes-swarm-${randomBytes(3).toString('hex')}`;
const REPLICAS = 2;
// HAProxy's per-replica limit (haproxy/haproxy.cfg: server-template ... maxconn 25).
const MAXCONN = 25;
// A rescale or an update is done in seconds; HAProxy then needs 2 checks 1 s apart per new replica.
const ROUTING_TIMEOUT_MS = 90_000;
// Sequential requests during a scale or an update: one at a time, bounded in count whatever the timing.
const MAX_TRAFFIC_REQUESTS = 100_000;

const engine = { wasSwarm: false, labelledPostgresNode: false, swarmNetworks: [] as string[] };
// The networks Docker creates for swarm mode; docker_gwbridge outlives `swarm leave` unless removed.
const SWARM_NETWORKS = ['docker_gwbridge', 'ingress'];
let secretsDir = '';
let updateImage = '';
let stack: SwarmStack;
let baseUrl = '';
let port = 0;
let demo = demoUserSeededWith('');
let statsPassword = '';

const announce = (commandLine: string): void => console.log(`swarm e2e: ${commandLine}`);

/** Hostnames of the running API tasks: what they report in X-Served-By. */
async function appHostnames(): Promise<Set<string>> {
  const containers = await projectContainers(STACK, { service: 'app' });
  const details = await Promise.all(containers.map((c) => inspectContainer(c.Id)));
  return new Set(details.map((d) => d.Config.Hostname));
}

async function routedTo(replicas: number): Promise<Set<string>> {
  return new Set((await waitForRouting(baseUrl, replicas, { timeoutMs: ROUTING_TIMEOUT_MS })).servedBy);
}

/** Runs `operation` under sequential background traffic through HAProxy; prints and returns what the traffic saw. */
async function underTraffic(what: string, operation: () => Promise<void>): Promise<{ sent: number; failures: string[] }> {
  const started = Date.now();
  const traffic = backgroundTraffic(baseUrl, { maxRequests: MAX_TRAFFIC_REQUESTS });
  const [outcome] = await Promise.allSettled([operation()]);
  const seen = await traffic.stop();
  console.log(`swarm e2e: ${what}: ${seen.sent} requests, ${seen.failures.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (seen.failures.length > 0) console.log(`swarm e2e: first failures: ${seen.failures.slice(0, 5).join('; ')}`);
  if (outcome.status === 'rejected') throw outcome.reason;
  // Traffic that hit its cap stopped before the operation ended, and would vouch for less than all of it.
  expect(seen.sent, 'requests sent (raise MAX_TRAFFIC_REQUESTS if it is reached)').toBeLessThan(MAX_TRAFFIC_REQUESTS);
  return seen;
}

/** A new API image to roll to: the stack's image with one label more, so the update really changes the image. */
async function buildUpdateImage(tag: string): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), 'recipes-swarm-update-'));
  try {
    await writeFile(join(context, 'Dockerfile'), `FROM ${DEFAULT_APP_IMAGE}\nLABEL org.recipes-stack.swarm-update="${tag}"\n`);
    const built = await runCommand('docker', ['build', '-t', tag, context], { timeoutMs: 5 * 60_000 });
    if (built.code !== 0) throw new Error(`docker build -t ${tag} failed:\n${tail(built.output)}`);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Takes everything this suite created away again; safe to run twice. */
async function cleanUp(): Promise<void> {
  if (await swarmActive()) {
    if ((await stack.leftovers()).length > 0) await stack.remove({ volumes: true });
    if (!engine.wasSwarm) await leaveSwarm(announce, { keepGatewayBridge: engine.swarmNetworks.includes('docker_gwbridge') });
    else if (engine.labelledPostgresNode) await forgetPostgresNode(announce);
    engine.labelledPostgresNode = false;
  }
  if (updateImage !== '') await docker().getImage(updateImage).remove().catch(() => undefined);
  if (secretsDir !== '') await rm(secretsDir, { recursive: true, force: true });
  updateImage = '';
  secretsDir = '';
}

async function swarmNetworks(): Promise<string[]> {
  const networks = await docker().listNetworks();
  return networks.map((network) => network.Name).filter((name) => SWARM_NETWORKS.includes(name)).sort();
}

beforeAll(async () => {
  engine.wasSwarm = await swarmActive();
  engine.swarmNetworks = await swarmNetworks();
  stack = new SwarmStack({ name: STACK, announce });
  try {
    await ensureSwarm(announce);
    engine.labelledPostgresNode = (await choosePostgresNode(announce)).labelled;
    await ensureApiImage(DEFAULT_APP_IMAGE, announce);
    secretsDir = await mkdtemp(join(tmpdir(), 'recipes-swarm-secrets-'));
    const secret = randomBytes(6).toString('hex');
    const secrets = await writeSecrets(secretsDir, {
      db_password: `db${secret}`,
      seed_password: `demo-${secret}`,
      haproxy_stats_password: `stats-${secret}`,
    });
    demo = demoUserSeededWith(secrets.seed_password);
    statsPassword = secrets.haproxy_stats_password;
    // Port 0: Docker picks a free host port for HAProxy, so the suite never collides with a stack started by hand.
    stack = new SwarmStack({ name: STACK, env: { HAPROXY_PORT: '0', SECRETS_DIR: secretsDir }, announce });
    const started = Date.now();
    await stack.deploy(REPLICAS);
    port = await stack.publishedPort();
    baseUrl = `http://127.0.0.1:${port}`;
    await routedTo(REPLICAS);
    console.log(`swarm e2e: deployed ${STACK} with ${REPLICAS} API replicas in ${((Date.now() - started) / 1000).toFixed(1)} s, HAProxy on ${baseUrl}`);
  } catch (error) {
    await cleanUp().catch((cleanUpError: unknown) => console.error(String(cleanUpError)));
    throw error;
  }
}, 20 * 60_000);

afterAll(async () => {
  await cleanUp();
}, 5 * 60_000);

describe('the stack on a single-node swarm', () => {
  test('the migrate job completed before the first API task was created', async () => {
    const tasks = (await docker().listTasks({ filters: { service: [stack.service('migrate')] } })) as Array<{ Status: { State: string; Timestamp: string } }>;
    const completed = tasks.filter((task) => task.Status.State === 'complete').map((task) => Date.parse(task.Status.Timestamp));
    expect(completed.length).toBeGreaterThan(0);
    const apiTasks = (await docker().listTasks({ filters: { service: [stack.service('app')] } })) as Array<{ CreatedAt: string }>;
    const firstApiTask = Math.min(...apiTasks.map((task) => Date.parse(task.CreatedAt)));
    expect(firstApiTask).toBeGreaterThan(Math.min(...completed));
  });

  test('the demo user logs in and lists 100 recipes through HAProxy; without a cookie, 401', async () => {
    const cookie = await login(baseUrl, demo);
    const page = await listRecipes(baseUrl, cookie);
    expect(page.status).toBe(200);
    expect(page.body.recipes).toHaveLength(100);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    expect(await appHostnames()).toContain(page.servedBy);

    const refused = await listRecipes(baseUrl, undefined);
    expect(refused.status).toBe(401);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.servedBy).toBeTruthy();
  });

  test(`HAProxy finds the API tasks through tasks.app, each with maxconn ${MAXCONN}, stats behind the secret password`, async () => {
    const { servers } = backendRows(await readHaproxyStats(baseUrl, 'admin', statsPassword), 'app');
    const live = servers.filter((server) => !server.status.startsWith('MAINT'));
    expect(live.map((server) => server.status)).toEqual(Array.from({ length: REPLICAS }, () => 'UP'));
    for (const server of servers) expect(server.sessionsLimit).toBe(MAXCONN);
    await expect(readHaproxyStats(baseUrl, 'admin', 'wrong-password')).rejects.toThrow(/401/);
  });

  test('no password is in any container environment: they are Swarm secrets under /run/secrets', async () => {
    const secretValues = await Promise.all(SECRET_NAMES.map((name) => readFile(join(secretsDir, name), 'utf8')));
    expect(await environmentsHolding(STACK, secretValues)).toEqual([]);
  });

  test('HAProxy can neither resolve nor connect to PgBouncer or Postgres; the API reaches both', async () => {
    const [haproxy] = await projectContainers(STACK, { service: 'haproxy' });
    const [app] = await projectContainers(STACK, { service: 'app' });
    expect(await reachFrom(haproxy?.Id ?? '', 'tasks.app', 3000)).toEqual({ resolves: true, connects: true });
    for (const [service, port] of [['pgbouncer', 6432], ['postgres', 5432]] as const) {
      expect(await reachFrom(haproxy?.Id ?? '', service, port), service).toEqual({ resolves: false, connects: false });
      expect(await reachFrom(app?.Id ?? '', service, port), `${service} from the API`).toEqual({ resolves: true, connects: true });
    }
  });

  test("the bench's discovery finds the stack by its port and names its tiers", async () => {
    expect(await projectPublishingPort(port)).toBe(STACK);
    expect(await projectContainers(STACK, { service: 'app' })).toHaveLength(REPLICAS);
    const tiers = new Set((await projectContainers(STACK)).map((container) => serviceOf(container)));
    expect([...tiers].sort()).toEqual(['app', 'haproxy', 'pgbouncer', 'postgres']);
  });
});

describe('replicas under traffic', () => {
  test('docker service scale app 2 -> 4 -> 2 fails no request, and HAProxy routes to exactly the running tasks', async () => {
    const haproxy = (await projectContainers(STACK, { service: 'haproxy' }))[0];
    const before = await inspectContainer(haproxy?.Id ?? '');
    const seen = await underTraffic(`scale ${REPLICAS} -> 4 -> ${REPLICAS}`, async () => {
      await stack.scale(4);
      const four = await routedTo(4);
      expect(four).toEqual(await appHostnames());
      await stack.scale(REPLICAS);
      const two = await routedTo(REPLICAS);
      expect(two).toEqual(await appHostnames());
    });
    expect(seen.sent).toBeGreaterThan(10);
    expect(seen.failures).toEqual([]);
    // HAProxy followed the DNS answers; it was neither restarted nor reloaded.
    const after = await inspectContainer(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  test('a rolling update to a new API image replaces every task and fails no request', async () => {
    updateImage = `recipes-api:swarm-update-${randomBytes(3).toString('hex')}`;
    await buildUpdateImage(updateImage);
    const oldTasks = await appHostnames();
    const seen = await underTraffic(`rolling update of ${REPLICAS} API tasks to ${updateImage}`, () => stack.updateImage(updateImage));
    expect(seen.sent).toBeGreaterThan(10);
    expect(seen.failures).toEqual([]);

    const newTasks = await routedTo(REPLICAS);
    expect(newTasks).toEqual(await appHostnames());
    expect([...newTasks].filter((task) => oldTasks.has(task))).toEqual([]);
    const images = (await projectContainers(STACK, { service: 'app' })).map((container) => container.Image);
    expect(images).toEqual(Array.from({ length: REPLICAS }, () => updateImage));
    expect((await listRecipes(baseUrl, await login(baseUrl, demo))).body.recipes).toHaveLength(100);
  }, CONVERGE_TIMEOUT_MS + 5 * 60_000);
});

const k6OnPath = await findOnPath('k6');
const k6Image = await pinnedK6Image();
const k6ImagePresent = await docker()
  .getImage(k6Image)
  .inspect()
  .then(() => true, () => false);
// The bench runs k6 from its image when none is on PATH.
const pathWithoutK6 = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => k6OnPath === undefined || join(dir, 'k6') !== k6OnPath)
  .join(delimiter);

describe('the bench against the running stack', () => {
  /** `npm run bench -- --use-running` for 5 s; returns the tiers it sampled. */
  async function bench(path: string): Promise<{ replicas: number[]; tiers: string[]; loadGenerator: string }> {
    const out = await mkdtemp(join(tmpdir(), 'recipes-swarm-bench-'));
    try {
      const args = ['run', 'bench', '--', '--use-running', '--port', String(port), '--duration', '5s', '--warmup', '0s', '--open', 'none', '--out', out];
      const run = await runCommand('npm', args, { cwd: ROOT, env: { ...process.env, PATH: path, PASSWORD: demo.password }, timeoutMs: 5 * 60_000 });
      if (run.code !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${run.code}):\n${tail(run.output, 30)}`);
      const summary = run.output.split('\n').filter((line) => /load generator:|run 1:/.test(line));
      console.log(`swarm e2e: npm run bench -- --use-running:\n${summary.join('\n')}`);
      const [folder = ''] = await readdir(out);
      const results = JSON.parse(await readFile(join(out, folder, 'results.json'), 'utf8')) as {
        settings: { replicas: number[]; loadGenerator: string };
        results: Array<{ runs: Array<{ tiers: Array<{ service: string }> }> }>;
      };
      const tiers = results.results.flatMap((r) => r.runs.flatMap((run) => run.tiers.map((tier) => tier.service)));
      return { replicas: results.settings.replicas, tiers: [...new Set(tiers)].sort(), loadGenerator: results.settings.loadGenerator };
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }

  test.runIf(k6OnPath !== undefined)('measures it with k6 from PATH, sampling every tier', async () => {
    const measured = await bench(process.env.PATH ?? '');
    expect(measured.replicas).toEqual([REPLICAS]);
    expect(measured.tiers).toEqual(['app', 'haproxy', 'k6', 'pgbouncer', 'postgres']);
  });

  test.runIf(k6ImagePresent)(`measures it with k6 from ${k6Image} on the stack's attachable network`, async () => {
    const measured = await bench(pathWithoutK6);
    expect(measured.loadGenerator).toContain(`image ${k6Image}`);
    expect(measured.tiers).toEqual(['app', 'haproxy', 'k6', 'pgbouncer', 'postgres']);
  });
});

describe('removing the stack', () => {
  test('docker stack rm leaves no service, container, network, secret, config or volume of the stack', async () => {
    await stack.remove({ volumes: true });
    expect(await stack.leftovers()).toEqual([]);
  });

  test('the engine is left as it was found: in swarm mode or not, with the same swarm networks', async () => {
    await cleanUp();
    expect(await swarmActive()).toBe(engine.wasSwarm);
    expect(await swarmNetworks()).toEqual(engine.swarmNetworks);
  });
});
