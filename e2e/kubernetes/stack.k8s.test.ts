import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  KubernetesStack,
  backendRows,
  demoUserSeededWith,
  kubectl,
  listRecipes,
  login,
  readHaproxyStats,
  waitForRouting,
  type PortForward,
} from '../../tools/stack/index.js';
import { backgroundTraffic, missingRecipes, mixedTraffic, pollUntil, type MixedTrafficSeen } from '../support/api.js';

// deploy/kubernetes/overlays/dev in a namespace of this suite's own, on the cluster KUBECONFIG names, reached only
// through the `haproxy` Service (kubectl port-forward). The namespace is deleted at the end, failures included.
const NAMESPACE = `recipes-k8s-${randomBytes(3).toString('hex')}`;
// The dev overlay's Secrets (overlays/dev/kustomization.yaml).
const DEMO = demoUserSeededWith('demo-password');
const STATS = { user: 'admin', password: 'haproxy-dev-only' };
const API = 'app.kubernetes.io/name=recipes-api';
// The HPA's minReplicas: what the Deployment runs after the first apply.
const REPLICAS = 2;
// HAProxy's per-pod limit (haproxy.cfg: server-template ... maxconn 25).
const MAXCONN = 25;
// A new pod reaches HAProxy through DNS: the pod's readiness, then the cluster DNS's cache (30 s with kubeadm's and
// kind's CoreDNS), then HAProxy's next resolution and 2 checks 1 s apart.
const ROUTING_TIMEOUT_MS = 120_000;
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;
// Requests during a scale, an update or a fault: bounded in count whatever the timing.
const MAX_TRAFFIC_REQUESTS = 100_000;
// A fault may fail at most 1% of the requests around it: the k6 scripts' threshold, which the bench holds the
// compose fault runs to; an acknowledged write is never lost.
const MAX_FAULT_FAILURE_RATE = 0.01;
// Requests before a fault, and after the stack is back at full strength, as the compose fault runs place it in a run.
const FAULT_MARGIN_MS = 5_000;
// The k6 Job's load: short, as every load run here (k6.yaml's default is 50 users for 1 minute).
const K6_ENV = { VUS: '10', DURATION: '15s' };
// K8S_HAPROXY_PORT: a fixed local port for the port-forward; 0 (the default) lets kubectl pick a free one.
const LOCAL_PORT = Number(process.env.K8S_HAPROXY_PORT ?? 0);

const stack = new KubernetesStack({ namespace: NAMESPACE, announce: (line) => console.log(`k8s e2e: ${line}`) });
let forward: PortForward | undefined;
let baseUrl = '';
let appliedAt = 0;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function routedTo(replicas: number): Promise<string[]> {
  return (await waitForRouting(baseUrl, replicas, { timeoutMs: ROUTING_TIMEOUT_MS })).servedBy;
}

/**
 * HAProxy routes to exactly the ready API pods: their names, as X-Served-By reports them. HAProxy's checks and the
 * kubelet's probes are two observers of /readyz; right after a database hiccup one may see a pod ready a second
 * before the other, so they are compared until they agree.
 */
async function routedToReadyPods(replicas: number): Promise<string[]> {
  const deadline = Date.now() + ROUTING_TIMEOUT_MS;
  for (;;) {
    const served = await routedTo(replicas);
    const ready = await stack.readyPodNames(API);
    if (JSON.stringify(served) === JSON.stringify(ready) || Date.now() > deadline) {
      expect(served).toEqual(ready);
      return served;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Runs `operation` under sequential background traffic through HAProxy; prints and returns what the traffic saw. */
async function underTraffic(what: string, operation: () => Promise<void>): Promise<{ sent: number; failures: string[] }> {
  const started = Date.now();
  const traffic = backgroundTraffic(baseUrl, { maxRequests: MAX_TRAFFIC_REQUESTS });
  const [outcome] = await Promise.allSettled([operation()]);
  const seen = await traffic.stop();
  console.log(`k8s e2e: ${what}: ${seen.sent} requests, ${seen.failures.length} failed, ${seconds(Date.now() - started)}`);
  if (seen.failures.length > 0) console.log(`k8s e2e: first failures: ${seen.failures.slice(0, 5).join('; ')}`);
  if (outcome.status === 'rejected') throw outcome.reason;
  expect(seen.sent, 'requests sent (raise MAX_TRAFFIC_REQUESTS if it is reached)').toBeLessThan(MAX_TRAFFIC_REQUESTS);
  return seen;
}

/**
 * Runs `fault` under reads and writes as the demo user, from FAULT_MARGIN_MS before it until FAULT_MARGIN_MS after
 * the stack is back (`recovered`); then checks every acknowledged create is still there.
 */
async function underFault(what: string, fault: () => Promise<void>, recovered: () => Promise<void>): Promise<MixedTrafficSeen & { lost: number[] }> {
  const cookie = await login(baseUrl, DEMO);
  const started = Date.now();
  const traffic = mixedTraffic(baseUrl, cookie, { workers: 4, maxRequests: MAX_TRAFFIC_REQUESTS, label: `k8s e2e ${NAMESPACE} ${what}` });
  const [outcome] = await Promise.allSettled([
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, FAULT_MARGIN_MS));
      const injected = Date.now();
      await fault();
      const done = Date.now();
      await recovered();
      console.log(`k8s e2e: ${what}: gone after ${seconds(done - injected)}, back at full strength after ${seconds(Date.now() - injected)}`);
      await new Promise((resolve) => setTimeout(resolve, FAULT_MARGIN_MS));
    })(),
  ]);
  const seen = await traffic.stop();
  const lost = await missingRecipes(baseUrl, cookie, seen.acknowledgedCreates);
  console.log(
    `k8s e2e: ${what}: ${seen.sent} requests, ${seen.failures.length} failed (${((100 * seen.failures.length) / Math.max(1, seen.sent)).toFixed(2)}%), ` +
      `${seen.acknowledgedCreates.length} acknowledged creates, ${lost.length} lost, ${seconds(Date.now() - started)}`,
  );
  if (seen.failures.length > 0) console.log(`k8s e2e: first failures: ${seen.failures.slice(0, 5).join('; ')}`);
  if (outcome.status === 'rejected') throw outcome.reason;
  return { ...seen, lost };
}

async function cleanUp(): Promise<void> {
  await forward?.stop();
  forward = undefined;
  await stack.deleteNamespace();
}

beforeAll(async () => {
  // The cluster answers, or the suite stops here with kubectl's own words.
  console.log(`k8s e2e: cluster ${(await kubectl(['config', 'current-context'])).trim()}, server ${(await kubectl(['version', '-o', 'json']).then((out) => (JSON.parse(out) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion))}`);
  try {
    appliedAt = Date.now();
    await stack.applyOverlay('dev');
    await stack.waitFor('job/migrate', 'condition=complete', ROLLOUT_TIMEOUT_MS);
    for (const workload of ['statefulset/postgres', 'deployment/pgbouncer', 'deployment/app', 'deployment/haproxy']) {
      await stack.rolloutStatus(workload, ROLLOUT_TIMEOUT_MS);
    }
    forward = await stack.portForward('haproxy', 8080, LOCAL_PORT);
    baseUrl = `http://127.0.0.1:${forward.port}`;
    await routedTo(REPLICAS);
    console.log(`k8s e2e: applied overlays/dev in ${NAMESPACE}, ${REPLICAS} API pods routed in ${seconds(Date.now() - appliedAt)}, HAProxy on ${baseUrl}`);
  } catch (error) {
    await cleanUp().catch((cleanUpError: unknown) => console.error(String(cleanUpError)));
    throw error;
  }
}, 20 * 60_000);

afterAll(async () => {
  await cleanUp();
}, 10 * 60_000);

describe('the stack on Kubernetes', () => {
  test('the migrate Job completed before any API pod was ready to serve', async () => {
    const job = await stack.json<{ status: { succeeded?: number; completionTime?: string } }>(['get', 'job/migrate']);
    expect(job.status.succeeded).toBe(1);
    const completed = Date.parse(job.status.completionTime ?? '');
    const readySince = (await stack.pods(API)).map((pod) => pod.readySince).filter((since): since is number => since !== null);
    expect(readySince.length).toBeGreaterThanOrEqual(REPLICAS);
    // Both are whole seconds in the API.
    expect(Math.min(...readySince)).toBeGreaterThanOrEqual(completed);
  });

  test('every pod was admitted under Pod Security "restricted", and none would be refused by it now', async () => {
    const namespace = await stack.json<{ metadata: { labels?: Record<string, string> } }>(['get', 'namespace', NAMESPACE]);
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    // The API server checks the running pods against the level (a server-side dry run warns about each violation).
    const check = await kubectl(['label', '--dry-run=server', '--overwrite', 'namespace', NAMESPACE, 'pod-security.kubernetes.io/enforce=restricted']);
    expect(check).not.toMatch(/violate|Warning/i);
    const pods = (await stack.json<{ items: Array<{ metadata: { labels?: Record<string, string> } }> }>(['get', 'pods'])).items;
    const tiers = new Set(pods.map((pod) => pod.metadata.labels?.['app.kubernetes.io/name']));
    expect([...tiers].sort()).toEqual(['haproxy', 'pgbouncer', 'postgres', 'recipes-api', 'recipes-migrate']);
  });

  test('the demo user logs in and lists 100 recipes through HAProxy; without a session, 401', async () => {
    const cookie = await login(baseUrl, DEMO);
    const page = await listRecipes(baseUrl, cookie);
    expect(page.status).toBe(200);
    expect(page.body.recipes).toHaveLength(100);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    expect(await stack.readyPodNames(API)).toContain(page.servedBy);

    const refused = await listRecipes(baseUrl, undefined);
    expect(refused.status).toBe(401);
    expect(refused.contentType).toContain('application/problem+json');
  });

  test(`HAProxy routes to exactly the ready API pods, found through cluster DNS, each with maxconn ${MAXCONN}`, async () => {
    await routedToReadyPods(REPLICAS);
    const { servers } = backendRows(await readHaproxyStats(baseUrl, STATS.user, STATS.password), 'app');
    const live = servers.filter((server) => !server.status.startsWith('MAINT'));
    expect(live.map((server) => server.status)).toEqual(Array.from({ length: REPLICAS }, () => 'UP'));
    for (const server of servers) expect(server.sessionsLimit).toBe(MAXCONN);
  });
});

describe('the API under traffic', () => {
  test(`kubectl scale deployment/app ${REPLICAS} -> 4 -> ${REPLICAS} fails no request`, async () => {
    const seen = await underTraffic(`scale ${REPLICAS} -> 4 -> ${REPLICAS}`, async () => {
      let started = Date.now();
      await stack.scale('app', 4);
      await routedToReadyPods(4);
      console.log(`k8s e2e: 4 pods routed ${seconds(Date.now() - started)} after the scale`);
      started = Date.now();
      await stack.scale('app', REPLICAS);
      await routedToReadyPods(REPLICAS);
      console.log(`k8s e2e: ${REPLICAS} pods routed ${seconds(Date.now() - started)} after the scale`);
    });
    expect(seen.sent).toBeGreaterThan(10);
    expect(seen.failures).toEqual([]);
  }, ROLLOUT_TIMEOUT_MS);

  test('a rolling update replaces every API pod and fails no request', async () => {
    const before = await stack.readyPodNames(API);
    const seen = await underTraffic(`rolling update of ${REPLICAS} API pods`, async () => {
      const started = Date.now();
      await stack.restart('app');
      await stack.rolloutStatus('deployment/app', ROLLOUT_TIMEOUT_MS);
      const after = await routedToReadyPods(REPLICAS);
      console.log(`k8s e2e: rollout done and routed in ${seconds(Date.now() - started)}`);
      expect(after.filter((pod) => before.includes(pod))).toEqual([]);
    });
    expect(seen.sent).toBeGreaterThan(10);
    expect(seen.failures).toEqual([]);
  }, ROLLOUT_TIMEOUT_MS + 60_000);

  test('deleting an API pod fails at most 1% of requests and loses no acknowledged write', async () => {
    const [victim] = await stack.readyPodNames(API);
    if (victim === undefined) throw new Error('no ready API pod');
    const seen = await underFault(
      `delete API pod ${victim}`,
      () => stack.deletePod(victim),
      async () => {
        await stack.rolloutStatus('deployment/app', ROLLOUT_TIMEOUT_MS);
        await routedToReadyPods(REPLICAS);
      },
    );
    expect(seen.acknowledgedCreates.length).toBeGreaterThan(0);
    expect(seen.lost).toEqual([]);
    expect(seen.failures.length).toBeLessThanOrEqual(MAX_FAULT_FAILURE_RATE * seen.sent);
  }, ROLLOUT_TIMEOUT_MS + 60_000);

  test('deleting the PgBouncer pod fails at most 1% of requests and loses no acknowledged write', async () => {
    const [victim] = (await stack.pods('app.kubernetes.io/name=pgbouncer')).map((pod) => pod.name);
    if (victim === undefined) throw new Error('no PgBouncer pod');
    const seen = await underFault(
      `delete PgBouncer pod ${victim}`,
      () => stack.deletePod(victim),
      async () => {
        await stack.rolloutStatus('deployment/pgbouncer', ROLLOUT_TIMEOUT_MS);
        await routedToReadyPods(REPLICAS);
      },
    );
    expect(seen.acknowledgedCreates.length).toBeGreaterThan(0);
    expect(seen.lost).toEqual([]);
    expect(seen.failures.length).toBeLessThanOrEqual(MAX_FAULT_FAILURE_RATE * seen.sent);
  }, ROLLOUT_TIMEOUT_MS + 60_000);
});

describe('inside the cluster', () => {
  test('the loadtest k6 Job runs to completion with every threshold passing', async () => {
    await stack.applyLoadtest(K6_ENV);
    const [outcome] = await Promise.allSettled([stack.waitFor('job/k6', 'condition=complete', 4 * 60_000)]);
    const logs = await stack.kubectl(['logs', 'job/k6']);
    console.log(`k8s e2e: k6 Job (${K6_ENV.VUS} users, ${K6_ENV.DURATION}):\n${logs.split('\n').filter((line) => /✓|✗|http_reqs|http_req_failed|http_req_duration\b|iterations\.\./.test(line)).join('\n')}`);
    if (outcome.status === 'rejected') throw new Error(`the k6 Job did not complete: ${String(outcome.reason)}\n${logs.slice(-3000)}`);
    expect(logs).not.toMatch(/thresholds on metrics .* have been crossed/);
    expect(logs).toMatch(/✓ 'rate<0\.01'/);
  }, 6 * 60_000);

  test('where NetworkPolicy is enforced, HAProxy cannot open a connection to Postgres or PgBouncer', async (context) => {
    const [haproxy] = (await stack.pods('app.kubernetes.io/name=haproxy')).map((pod) => pod.name);
    if (haproxy === undefined) throw new Error('no HAProxy pod');
    /** True when a TCP connection from the HAProxy pod to host:port opens within 3 s. */
    const opens = async (host: string, port: number): Promise<boolean> =>
      (await stack.exec(haproxy, ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`])).code === 0;

    // A canary behind a deny-all NetworkPolicy tells whether the cluster's network plugin enforces policies at all.
    await stack.apply(CANARY_MANIFESTS);
    await stack.waitFor('pod/np-canary', 'condition=Ready', 2 * 60_000);
    const [canary] = await stack.pods('app.kubernetes.io/name=np-canary');
    if (canary === undefined) throw new Error('no canary pod');
    const enforced = !(await opens(canary.ip, 8080));
    if (!enforced) {
      console.log("k8s e2e: this cluster's network plugin does not enforce NetworkPolicy (a connection to a pod behind a deny-all policy opened): skipping the check");
      context.skip();
    }
    expect(await opens('postgres', 5432)).toBe(false);
    expect(await opens('pgbouncer', 6432)).toBe(false);
    // The API still reaches PgBouncer: the policies let through what the stack needs.
    expect((await routedToReadyPods(REPLICAS)).length).toBe(REPLICAS);
  }, 4 * 60_000);
});

describe('removing the stack', () => {
  test('deleting the namespace leaves nothing of it', async () => {
    await cleanUp();
    expect(await stack.namespaceExists()).toBe(false);
    // Postgres's volume goes with its claim, as the StorageClass's reclaim policy says, a moment after the claim.
    const claimedHere = async (): Promise<string[]> =>
      (await kubectl(['get', 'pv', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\\n"}{end}']))
        .split('\n')
        .filter((line) => line.endsWith(` ${NAMESPACE}`));
    await pollUntil('the volumes of the namespace to go', async () => ((await claimedHere()).length === 0 ? true : undefined), { timeoutMs: 2 * 60_000 }).catch(() => undefined);
    expect(await claimedHere()).toEqual([]);
  }, 10 * 60_000);
});

// A pod that accepts TCP connections on 8080, behind a NetworkPolicy that lets nothing in.
const CANARY_MANIFESTS = `
apiVersion: v1
kind: Pod
metadata:
  name: np-canary
  labels: { app.kubernetes.io/name: np-canary }
spec:
  automountServiceAccountToken: false
  securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: canary
      image: recipes-api:local
      imagePullPolicy: IfNotPresent
      command: [node, -e, "require('node:net').createServer((socket) => socket.end()).listen(8080)"]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
      resources: { requests: { cpu: 10m, memory: 32Mi }, limits: { cpu: 100m, memory: 64Mi } }
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np-canary
spec:
  podSelector: { matchLabels: { app.kubernetes.io/name: np-canary } }
  policyTypes: [Ingress]
`;
