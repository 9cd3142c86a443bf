// The Kubernetes manifests in deploy/kubernetes: every kustomization renders, every object is valid against the
// Kubernetes schema with unknown fields refused, and the numbers that shape the stack are those of the compose stack.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/src/config.js';
import {
  composeHealthcheckShell,
  composeSeconds,
  composeServices,
  haproxyArgument,
  haproxySections,
  iniSettings,
  readRepoFile,
  repoRoot,
} from './support/config-files.js';
import { kubectlAvailable, renderKustomization, type KubernetesObject } from './support/kustomize.js';
import { schemaErrors, unknownFieldErrors } from './support/kubernetes-schema.js';
import { baseName, envValue, findObject, mainContainer, podSpec, podSpecs, WORKLOAD_KINDS } from './support/workloads.js';

const KUBERNETES_DIR = 'deploy/kubernetes';
/** Every kustomization a user renders; the load test reads the k6 scripts from outside its folder. */
const KUSTOMIZATIONS: Record<string, { loadFilesOutsideRoot?: boolean }> = {
  'overlays/dev': {},
  'overlays/production': {},
  loadtest: { loadFilesOutsideRoot: true },
};
const ALL = Object.keys(KUSTOMIZATIONS);
const OVERLAYS = ['overlays/dev', 'overlays/production'];

const compose = composeServices();
const apiDefaults = loadConfig({});
const composeIni = iniSettings(readRepoFile('pgbouncer/pgbouncer.ini'));
const composeHaproxy = haproxySections(readRepoFile('haproxy/haproxy.cfg'));
const kubernetesHaproxy = haproxySections(readRepoFile(`${KUBERNETES_DIR}/base/haproxy/haproxy.cfg`));

/** The `server-template` line of HAProxy's `backend app`. */
function serverTemplate(sections: Map<string, string[]>): string {
  const line = sections.get('backend app')?.find((l) => l.startsWith('server-template '));
  if (line === undefined) throw new Error('no server-template in backend app');
  return line;
}

/** Host and port of a postgres:// URL whose user, password and database may be $(VAR) references. */
function databaseHost(url: string | null | undefined): string {
  return new URL((url ?? '').replace(/\$\(\w+\)/g, 'x')).host;
}

describe('config files the Kubernetes manifests share with the compose stack', () => {
  it('pgbouncer.ini and entrypoint.sh are copies of pgbouncer/, byte for byte', () => {
    for (const file of ['pgbouncer.ini', 'entrypoint.sh']) {
      expect(readRepoFile(`${KUBERNETES_DIR}/base/pgbouncer/${file}`), file).toBe(readRepoFile(`pgbouncer/${file}`));
    }
  });

  it('haproxy.cfg has the directives of haproxy/haproxy.cfg; only DNS discovery differs', () => {
    // Docker's or the cluster's: the resolvers section's name and name servers, and the name server-template resolves.
    const comparable = (sections: Map<string, string[]>) =>
      [...sections].map(([section, lines]) => [
        section.replace(/^resolvers \S+$/, 'resolvers <dns>'),
        lines
          .filter((line) => !line.startsWith('nameserver ') && line !== 'parse-resolv-conf')
          .map((line) => line.replace(/ resolvers \S+/, ' resolvers <dns>'))
          .map((line) => line.replace(/^(server-template \S+ \S+) "?\S+:(\d+)"?/, '$1 <app>:$2')),
      ]);
    expect(comparable(kubernetesHaproxy)).toEqual(comparable(composeHaproxy));
  });

  it('HAProxy caps each API pod at the maxconn of the compose stack', () => {
    const maxconn = haproxyArgument(serverTemplate(kubernetesHaproxy), 'maxconn');
    expect(maxconn).toBe(haproxyArgument(serverTemplate(composeHaproxy), 'maxconn'));
    expect(maxconn).toBe('25');
  });
});

const kubectl = kubectlAvailable();
if (!kubectl) console.warn('deploy/test/kubernetes.test.ts: kubectl is not on PATH, so no kustomization is rendered or validated');

describe.skipIf(!kubectl)(kubectl ? 'rendered kustomizations' : 'rendered kustomizations (skipped: kubectl is not on PATH)', () => {
  const rendered: Record<string, KubernetesObject[]> = {};
  const objects = (dir: string) => rendered[dir] ?? [];
  const servicePort = (dir: string, name: string) => findObject<IService>(objects(dir), 'Service', name).spec?.ports?.[0]?.port;

  beforeAll(() => {
    for (const [dir, options] of Object.entries(KUSTOMIZATIONS)) {
      rendered[dir] = renderKustomization(join(repoRoot, KUBERNETES_DIR, dir), options);
    }
  });

  describe('schema', () => {
    it.each(ALL)('%s: every object is valid against the Kubernetes schema', async (dir) => {
      expect(await schemaErrors(objects(dir))).toEqual([]);
    });

    it('no object has a field the Kubernetes API does not define', () => {
      expect(unknownFieldErrors(ALL.flatMap(objects))).toEqual([]);
    });

    it('the schema validators refuse a wrong type', async () => {
      const app = structuredClone(findObject<IDeployment>(objects('overlays/dev'), 'Deployment', 'app'));
      Object.assign(podSpec(app).containers[0]?.ports?.[0] ?? {}, { containerPort: 'http' });
      expect(await schemaErrors([app])).toEqual([expect.stringContaining('containerPort must be integer')]);
    });

    // Each misspelled field and the path of the object it is added to.
    const misspellings: Array<[string, Array<string | number>]> = [
      ['spce', []],
      ['readinessProbee', ['spec', 'template', 'spec', 'containers', 0]],
      ['paht', ['spec', 'template', 'spec', 'containers', 0, 'livenessProbe', 'httpGet']],
    ];
    it.each(misspellings)('a misspelled field is refused at any depth, though the schema allows it: %s', async (field, path) => {
      const app = structuredClone(findObject<IDeployment>(objects('overlays/dev'), 'Deployment', 'app'));
      type Node = Record<string | number, unknown>;
      const parent = path.reduce<Node>((node, key) => node[key] as Node, app as unknown as Node);
      parent[field] = 'misspelled';
      expect(await schemaErrors([app])).toEqual([]);
      expect(unknownFieldErrors([app])).toEqual([expect.stringMatching(new RegExp(`^Deployment/app: .*'"${field}"' does not exist`))]);
    });
  });

  describe('what each kustomization holds', () => {
    const stack = [
      'ConfigMap/haproxy-config',
      'ConfigMap/pgbouncer-config',
      'Deployment/app',
      'Deployment/haproxy',
      'Deployment/pgbouncer',
      'HorizontalPodAutoscaler/app',
      'Job/migrate',
      'NetworkPolicy/pgbouncer',
      'NetworkPolicy/postgres',
      'PodDisruptionBudget/app',
      'PodDisruptionBudget/haproxy',
      'Role/app-wait-for-migrate',
      'RoleBinding/app-wait-for-migrate',
      'Service/app',
      'Service/haproxy',
      'Service/pgbouncer',
      'Service/postgres',
      'ServiceAccount/app',
      'StatefulSet/postgres',
    ];
    const secrets = ['Secret/haproxy-stats', 'Secret/recipes-db', 'Secret/recipes-demo'];
    const names = (dir: string) => objects(dir).map((o) => `${o.kind}/${baseName(o)}`).sort();

    it('dev: the stack, its namespace and development Secrets', () => {
      expect(names('overlays/dev')).toEqual([...stack, 'Namespace/recipes-dev', ...secrets].sort());
    });

    it('production: the stack and its namespace, no Secret', () => {
      expect(names('overlays/production')).toEqual([...stack, 'Namespace/recipes'].sort());
    });

    it('loadtest: the k6 Job and its scripts', () => {
      expect(names('loadtest')).toEqual(['ConfigMap/k6-scripts', 'Job/k6']);
    });

    it.each(ALL)('%s: every Secret a pod reads is one of those dev renders', (dir) => {
      const read = podSpecs(objects(dir)).flatMap(({ spec }) =>
        spec.containers.flatMap((c) => (c.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? [])),
      );
      expect(secrets).toEqual(expect.arrayContaining(read.map((name) => `Secret/${name}`)));
    });

    it("dev's Secrets hold compose's development defaults", () => {
      const composeEnvironment: Record<string, string | null> = Object.assign({}, ...Object.values(compose).map((s) => s.environment));
      // compose.yaml's passwords are its development secret files; user names and the database name are variables.
      const composeSecrets: Record<string, string> = {
        POSTGRES_PASSWORD: readRepoFile('dev-secrets/db_password'),
        SEED_PASSWORD: readRepoFile('dev-secrets/seed_password'),
        HAPROXY_STATS_PASSWORD: readRepoFile('dev-secrets/haproxy_stats_password'),
      };
      for (const { data } of objects('overlays/dev').filter((o): o is ISecret & KubernetesObject => o.kind === 'Secret')) {
        for (const [key, value] of Object.entries(data ?? {})) {
          expect(Buffer.from(value, 'base64').toString(), key).toBe(composeSecrets[key] ?? composeEnvironment[key]);
        }
      }
    });

    it.each(ALL)('%s: every ConfigMap a pod mounts is rendered alongside it', (dir) => {
      const configMaps = objects(dir).filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
      for (const { spec } of podSpecs(objects(dir))) {
        for (const volume of spec.volumes ?? []) {
          if (volume.configMap) expect(configMaps).toContain(volume.configMap.name);
        }
      }
    });
  });

  describe('the images of compose.yaml', () => {
    it('each upstream image compose.yaml pins runs, with that tag, in the workload of the same name', () => {
      const upstream = Object.entries(compose).filter(([, service]) => service.image !== undefined && service.build === undefined);
      expect(upstream.map(([name]) => name).sort()).toEqual(['haproxy', 'k6', 'pgbouncer', 'postgres']);
      for (const [name, service] of upstream) {
        const workloads = ALL.flatMap(objects).filter((o) => WORKLOAD_KINDS.includes(o.kind) && o.metadata.name === name);
        expect(workloads.length, name).toBeGreaterThan(0);
        for (const workload of workloads) expect(mainContainer([workload], workload.kind, name).image, name).toBe(service.image);
      }
    });

    it.each(OVERLAYS)('%s: the API and the migrate Job run one image, with an explicit tag', (dir) => {
      const image = mainContainer(objects(dir), 'Deployment', 'app').image;
      expect(mainContainer(objects(dir), 'Job', 'migrate').image).toBe(image);
      expect(image).toMatch(/:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    });

    it('dev runs the image compose builds for the API; production one from a registry', () => {
      expect(mainContainer(objects('overlays/dev'), 'Deployment', 'app').image).toBe(compose.app?.image);
      expect(mainContainer(objects('overlays/production'), 'Deployment', 'app').image).toMatch(/^[\w-]+(\.[\w-]+)+\//);
    });
  });

  describe.each(OVERLAYS)('%s: the numbers of the compose stack', (dir) => {
    const app = () => mainContainer(objects(dir), 'Deployment', 'app');

    it('HAProxy reads its config where compose mounts it, and reaches the pods through the headless Service app', () => {
      const composeMount = compose.haproxy?.volumes?.find((v) => v.startsWith('./haproxy/haproxy.cfg:'))?.split(':')[1];
      const mount = mainContainer(objects(dir), 'Deployment', 'haproxy').volumeMounts?.find((m) => m.name === 'config');
      expect(`${mount?.mountPath}/haproxy.cfg`).toBe(composeMount);
      const [, service, port] = /^server-template \S+ \S+ "(\w+)\.\$\{POD_NAMESPACE\}\.svc\.\$\{CLUSTER_DOMAIN\}:(\d+)"/.exec(
        serverTemplate(kubernetesHaproxy),
      ) ?? [];
      expect(findObject<IService>(objects(dir), 'Service', service ?? '').spec?.clusterIP).toBe('None');
      expect(servicePort(dir, service ?? '')).toBe(Number(port));
      expect(envValue(app(), 'PORT')).toBe(port);
    });

    it('PgBouncer runs pgbouncer.ini with the pool mode and size of the compose stack, as one replica', () => {
      const ini = iniSettings(findObject<IConfigMap>(objects(dir), 'ConfigMap', 'pgbouncer-config').data?.['pgbouncer.ini'] ?? '');
      expect(ini.get('pool_mode')).toBe(composeIni.get('pool_mode'));
      expect(ini.get('default_pool_size')).toBe(composeIni.get('default_pool_size'));
      // default_pool_size is per PgBouncer process: a second replica would double the connections to Postgres.
      expect(findObject<IDeployment>(objects(dir), 'Deployment', 'pgbouncer').spec?.replicas).toBe(1);
      const pgbouncer = mainContainer(objects(dir), 'Deployment', 'pgbouncer');
      expect(pgbouncer.command).toEqual(compose.pgbouncer?.entrypoint);
      const mount = pgbouncer.volumeMounts?.find((m) => m.name === 'config')?.mountPath;
      expect(compose.pgbouncer?.volumes).toContain(`./pgbouncer/pgbouncer.ini:${mount}/pgbouncer.ini:ro`);
    });

    it("Postgres starts with compose's command (pg_stat_statements loaded)", () => {
      expect(mainContainer(objects(dir), 'StatefulSet', 'postgres').args).toEqual(compose.postgres?.command);
    });

    it("the HPA stays within HAProxy's server slots and PgBouncer's client connections", () => {
      const maxReplicas = findObject<IHorizontalPodAutoscaler>(objects(dir), 'HorizontalPodAutoscaler', 'app').spec?.maxReplicas;
      const slots = /^server-template \S+ \d+-(\d+) /.exec(serverTemplate(kubernetesHaproxy))?.[1];
      expect(maxReplicas).toBeLessThanOrEqual(Number(slots));
      // compose leaves DB_POOL_MAX empty, so its replicas run the API's default; the manifests state that number.
      expect(compose.app?.environment?.DB_POOL_MAX ?? '').toBe('');
      const poolMax = Number(envValue(app(), 'DB_POOL_MAX'));
      expect(poolMax).toBe(apiDefaults.dbPoolMax);
      expect((maxReplicas ?? Infinity) * poolMax).toBeLessThanOrEqual(Number(composeIni.get('max_client_conn')));
    });

    it("the API: readiness on HAProxy's check URI and timing, liveness on /healthz timed like compose's", () => {
      const backend = composeHaproxy.get('backend app') ?? [];
      const check = backend.find((l) => l.startsWith('default-server check')) ?? '';
      const checkTimeout = composeHaproxy.get('defaults')?.find((l) => l.startsWith('timeout check')) ?? '';
      expect(backend).toContain('http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host app');
      expect(app().readinessProbe).toMatchObject({
        httpGet: { path: '/readyz' },
        periodSeconds: composeSeconds(haproxyArgument(check, 'inter')),
        failureThreshold: Number(haproxyArgument(check, 'fall')),
        successThreshold: Number(haproxyArgument(check, 'rise')),
        timeoutSeconds: composeSeconds(haproxyArgument(checkTimeout, 'check')),
      });
      const healthcheck = compose.app?.healthcheck;
      expect(healthcheck?.test.join(' ')).toContain('GET /healthz');
      expect(app().livenessProbe).toMatchObject({
        httpGet: { path: '/healthz' },
        periodSeconds: composeSeconds(healthcheck?.interval),
        timeoutSeconds: composeSeconds(healthcheck?.timeout),
        failureThreshold: healthcheck?.retries,
      });
    });

    it('the API drains as in compose: SHUTDOWN_DELAY_MS, and a grace period its shutdown fits in', () => {
      expect(envValue(app(), 'SHUTDOWN_DELAY_MS')).toBe(compose.app?.environment?.SHUTDOWN_DELAY_MS);
      const grace = podSpec(findObject(objects(dir), 'Deployment', 'app')).terminationGracePeriodSeconds;
      expect(grace).toBe(composeSeconds(compose.app?.stop_grace_period));
      expect((grace ?? 0) * 1000).toBeGreaterThan(apiDefaults.shutdownTimeoutMs);
    });

    it('the API reaches PgBouncer, the migrate Job reaches Postgres and runs the same programs, as in compose', () => {
      // compose builds DATABASE_URL from its secret file in the service's start command, then runs the programs.
      const composeScript = (name: string): string => (compose[name]?.command?.at(-1) ?? '').replaceAll('$$', '$');
      const composeHost = (name: string): string | undefined => /@([\w.-]+:\d+)\//.exec(composeScript(name))?.[1];
      expect(databaseHost(envValue(app(), 'DATABASE_URL'))).toBe(composeHost('app'));
      const migrate = mainContainer(objects(dir), 'Job', 'migrate');
      expect(composeScript('migrate').endsWith(migrate.command?.at(-1) ?? 'no command')).toBe(true);
      expect(databaseHost(envValue(migrate, 'DATABASE_URL'))).toBe(composeHost('migrate'));
      expect(servicePort(dir, 'pgbouncer')).toBe(6432);
      expect(servicePort(dir, 'postgres')).toBe(5432);
    });

    it('the API starts once the migrate Job has completed, as compose starts it once migrate did', () => {
      expect(compose.app?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      const spec = podSpec(findObject(objects(dir), 'Deployment', 'app'));
      const wait = spec.initContainers?.find((c) => c.name === 'wait-for-migrate');
      expect(wait?.image).toBe(app().image);
      expect(wait?.command?.join(' ')).toContain('/jobs/migrate');
      // Its token may read that one Job and nothing else.
      const role = findObject<{ rules: unknown[] }>(objects(dir), 'Role', 'app-wait-for-migrate');
      expect(role.rules).toEqual([{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['migrate'], verbs: ['get'] }]);
      expect(spec.serviceAccountName).toBe('app');
    });

    it("PgBouncer stops on compose's stop signal, sent before Kubernetes' SIGTERM", () => {
      const signal = compose.pgbouncer?.stop_signal?.replace(/^SIG/, '');
      expect(signal).toBe('INT');
      const preStop = mainContainer(objects(dir), 'Deployment', 'pgbouncer').lifecycle?.preStop?.exec?.command?.join(' ');
      expect(preStop).toContain(`kill -${signal} 1;`);
    });

    it("Postgres and PgBouncer are probed with compose's healthcheck commands", () => {
      for (const [kind, name] of [['StatefulSet', 'postgres'], ['Deployment', 'pgbouncer']] as const) {
        const container = mainContainer(objects(dir), kind, name);
        const command = ['sh', '-c', composeHealthcheckShell(compose[name] ?? {})];
        expect(container.readinessProbe?.exec?.command, name).toEqual(command);
        expect(container.livenessProbe?.exec?.command, name).toEqual(command);
      }
    });
  });

  describe('the k6 Job', () => {
    const k6 = () => mainContainer(objects('loadtest'), 'Job', 'k6');

    it("runs compose's k6 command (k6/recipes.js) against the haproxy Service", () => {
      expect(k6().args).toEqual(compose.k6?.command);
      const baseUrl = envValue(k6(), 'BASE_URL');
      expect(baseUrl).toBe(compose.k6?.environment?.BASE_URL);
      const { hostname, port } = new URL(baseUrl ?? '');
      for (const dir of OVERLAYS) expect(servicePort(dir, hostname)).toBe(Number(port));
    });

    it('mounts every script of k6/ where the scripts import it from', () => {
      const scripts = readdirSync(join(repoRoot, 'k6'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.js'));
      const volume = podSpec(findObject(objects('loadtest'), 'Job', 'k6')).volumes?.find((v) => v.name === 'scripts');
      expect(volume?.configMap?.items?.map((item) => item.path).sort()).toEqual(scripts.sort());
      const mount = k6().volumeMounts?.find((m) => m.name === 'scripts')?.mountPath;
      expect(compose.k6?.volumes).toContain(`./k6:${mount}:ro`);
    });
  });

  describe('production defaults', () => {
    it.each(ALL)('%s: every container is non-root, unprivileged, read-only, with requests and limits', (dir) => {
      for (const { workload, spec } of podSpecs(objects(dir))) {
        expect(spec.securityContext, workload).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(spec.securityContext?.runAsUser, workload).toBeGreaterThan(0);
        expect(spec.automountServiceAccountToken, workload).toBe(false);
        for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
          expect(container.securityContext, workload).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          for (const bound of ['requests', 'limits'] as const) {
            expect(Object.keys(container.resources?.[bound] ?? {}).sort(), `${workload} ${bound}`).toEqual(['cpu', 'memory']);
          }
        }
      }
    });

    it.each(ALL)('%s: a $(VAR) in an environment value names a variable defined before it', (dir) => {
      for (const { workload, spec } of podSpecs(objects(dir))) {
        for (const container of spec.containers) {
          const defined: string[] = [];
          for (const variable of container.env ?? []) {
            for (const [, name] of (variable.value ?? '').matchAll(/\$\((\w+)\)/g)) {
              expect(defined, `${workload} ${variable.name}`).toContain(name);
            }
            defined.push(variable.name);
          }
        }
      }
    });

    it.each(OVERLAYS)('%s: the API autoscales on CPU and spreads over nodes', (dir) => {
      const hpa = findObject<IHorizontalPodAutoscaler>(objects(dir), 'HorizontalPodAutoscaler', 'app');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec?.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'app' });
      expect(hpa.spec?.metrics?.map((m) => m.resource?.name)).toEqual(['cpu']);
      const app = findObject<IDeployment>(objects(dir), 'Deployment', 'app');
      // The HPA owns the replica count: a Deployment that states one would reset it on every apply.
      expect(app.spec?.replicas).toBeUndefined();
      const spread = podSpec(app).topologySpreadConstraints ?? [];
      expect(spread.map((c) => c.topologyKey)).toContain('kubernetes.io/hostname');
      for (const c of spread) expect(app.spec?.template.metadata?.labels).toMatchObject(c.labelSelector?.matchLabels ?? {});
    });

    it.each(OVERLAYS)('%s: disruption budgets cover the API and HAProxy pods', (dir) => {
      for (const name of ['app', 'haproxy']) {
        const selector = findObject<IPodDisruptionBudget>(objects(dir), 'PodDisruptionBudget', name).spec?.selector?.matchLabels;
        const labels = findObject<IDeployment>(objects(dir), 'Deployment', name).spec?.template.metadata?.labels;
        expect(selector, name).toBeDefined();
        expect(labels, name).toMatchObject(selector ?? {});
      }
    });
  });
});
