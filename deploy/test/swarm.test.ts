// deploy/swarm/stack.yaml without a swarm: the docker CLI renders it with its own schema (unknown keys refused), and
// the numbers, files, images and commands that shape the stack are those of compose.yaml. npm run test:swarm deploys it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  composeServices,
  composeTopLevel,
  haproxySections,
  passwordLeaks,
  readRepoFile,
  repoRoot,
  serviceNetworks,
  type ComposeService,
} from './support/config-files.js';

const STACK_FILE = 'deploy/swarm/stack.yaml';

interface StackService extends ComposeService {
  init?: boolean;
  secrets?: Array<{ source: string; uid?: string; mode?: number }>;
  configs?: Array<{ source: string; target: string }>;
  ports?: Array<{ target: number; published: number | string; mode: string }>;
  deploy?: {
    mode?: string;
    endpoint_mode?: string;
    replicas?: number;
    placement?: { constraints?: string[] };
    update_config?: { order?: string };
    restart_policy?: { condition?: string };
    resources?: { limits?: { memory?: string } };
  };
}

interface RenderedStack {
  services: Record<string, StackService>;
  networks: Record<string, { driver?: string; attachable?: boolean }>;
  configs: Record<string, { file: string }>;
  secrets: Record<string, { file: string }>;
}

function dockerCliAvailable(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `docker stack config`: the stack as `docker stack deploy` reads it, defaults filled in and paths made absolute. */
function renderStack(input?: string): RenderedStack {
  const args = ['stack', 'config', '-c', input === undefined ? join(repoRoot, STACK_FILE) : '-'];
  const output = execFileSync('docker', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  return parse(output) as RenderedStack;
}

/** host:port of the first postgres:// URL in a text (a command building DATABASE_URL, or the URL itself). */
function databaseHost(text: string | null | undefined): string | undefined {
  return /postgres:\/\/[^@\s]+@([\w.-]+:\d+)\//.exec(text ?? '')?.[1];
}

const docker = dockerCliAvailable();
if (!docker) console.warn('deploy/test/swarm.test.ts: the docker CLI is not on PATH, so stack.yaml is not rendered');

describe.skipIf(!docker)(docker ? 'deploy/swarm/stack.yaml' : 'deploy/swarm/stack.yaml (skipped: no docker CLI)', () => {
  const stack = docker ? renderStack() : ({ services: {}, networks: {}, configs: {}, secrets: {} } as RenderedStack);
  const compose = composeServices();
  const service = (name: string): StackService => stack.services[name] ?? {};
  const script = (name: string): string => service(name).command?.join(' ') ?? '';

  it('the docker CLI refuses a key its stack schema does not know', () => {
    const misspelled = readRepoFile(STACK_FILE).replace(/^(\s+)endpoint_mode: dnsrr$/m, '$1endpoint_modee: dnsrr');
    expect(() => renderStack(misspelled)).toThrow(/endpoint_modee is not allowed/);
  });

  it("runs compose.yaml's services (k6 aside) with its images; the API and migrate job run the image compose builds", () => {
    expect(Object.keys(stack.services).sort()).toEqual(Object.keys(compose).filter((name) => name !== 'k6').sort());
    for (const name of ['postgres', 'pgbouncer', 'haproxy']) expect(service(name).image, name).toBe(compose[name]?.image);
    expect(service('app').image).toBe(compose.app?.image);
    expect(service('migrate').image).toBe(compose.app?.image);
  });

  it('shares the config files compose.yaml mounts, at the same paths', () => {
    for (const name of ['haproxy', 'pgbouncer']) {
      const mounted = (compose[name]?.volumes ?? []).map((volume) => volume.split(':').slice(0, 2));
      const configs = (service(name).configs ?? []).map((config) => [stack.configs[config.source]?.file, config.target]);
      expect(configs.sort(), name).toEqual(mounted.map(([file = '', target]) => [join(repoRoot, file), target]).sort());
    }
    expect(service('pgbouncer').entrypoint).toEqual(compose.pgbouncer?.entrypoint);
  });

  it('HAProxy resolves tasks.app through the server-template of haproxy/haproxy.cfg, where compose resolves app', () => {
    const template = haproxySections(readRepoFile('haproxy/haproxy.cfg')).get('backend app')?.find((line) => line.startsWith('server-template'));
    expect(template).toContain('"${APP_DNS_NAME-app}:3000" maxconn 25');
    expect(service('haproxy').environment?.APP_DNS_NAME).toBe('tasks.app');
    expect(compose.haproxy?.environment?.APP_DNS_NAME).toBeUndefined();
  });

  it("publishes HAProxy's port 8080 in host mode, on compose's default port", () => {
    const [containerPort, published] = (compose.haproxy as { ports?: string[] }).ports?.[0]?.split(':').reverse() ?? [];
    expect(service('haproxy').ports).toEqual([{ target: Number(containerPort), published: Number(published), protocol: 'tcp', mode: 'host' }]);
  });

  it("the API has compose's settings, drain timing and healthcheck; Postgres and PgBouncer compose's healthchecks", () => {
    const settings = ['PORT', 'DB_POOL_MAX', 'LOG_LEVEL', 'COOKIE_SECURE', 'SHUTDOWN_DELAY_MS'];
    const pick = (environment: Record<string, string | null> | undefined) => settings.map((name) => [name, String(environment?.[name] ?? '')]);
    expect(pick(service('app').environment)).toEqual(pick(compose.app?.environment));
    expect(service('app').stop_grace_period).toBe(compose.app?.stop_grace_period);
    for (const name of ['app', 'postgres', 'pgbouncer']) {
      const healthcheck = compose[name]?.healthcheck;
      // The rendered stack shows a shell command's `$$` as the `$` the container runs.
      const unescaped = healthcheck && { ...healthcheck, test: healthcheck.test.map((word) => word.replaceAll('$$', '$')) };
      expect(service(name).healthcheck, name).toEqual(unescaped);
    }
  });

  it('the API reaches PgBouncer and the migrate job Postgres, and HAProxy reads its stats password, with the commands of compose.yaml', () => {
    expect(databaseHost(script('app'))).toBe('pgbouncer:6432');
    expect(databaseHost(script('migrate'))).toBe('postgres:5432');
    expect(script('app')).toMatch(/exec node dist\/main\/server\.js$/);
    // The rendered stack shows a shell command's `$$` as the `$` the container runs.
    for (const name of ['app', 'migrate', 'haproxy', 'postgres']) {
      expect(service(name).command, name).toEqual(compose[name]?.command?.map((word) => word.replaceAll('$$', '$')));
    }
  });

  it('no password is in an environment: each comes from a secret file the service mounts, the secrets of compose.yaml', () => {
    for (const [name, spec] of Object.entries(stack.services)) expect(passwordLeaks(spec), name).toEqual([]);
    expect(Object.keys(stack.secrets).sort()).toEqual(Object.keys(composeTopLevel().secrets).sort());
    for (const [name, spec] of Object.entries(stack.services)) {
      const sources = (spec.secrets ?? []).map((secret) => secret.source).sort();
      expect(sources, name).toEqual((compose[name]?.secrets ?? []).map((secret) => (typeof secret === 'string' ? secret : secret.source)).sort());
    }
  });

  it("every service is on compose.yaml's networks", () => {
    for (const [name, spec] of Object.entries(stack.services)) expect(serviceNetworks(spec), name).toEqual(serviceNetworks(compose[name] ?? {}));
  });

  it('every service: DNS round robin (no IPVS), an init process, a restart policy and a memory limit', () => {
    for (const [name, spec] of Object.entries(stack.services)) {
      expect([spec.deploy?.endpoint_mode, spec.init, spec.deploy?.restart_policy?.condition !== undefined], name).toEqual(['dnsrr', true, true]);
      expect(spec.deploy?.resources?.limits?.memory, name).toBeDefined();
    }
  });

  it('the migrate step is a one-shot job; the API rolls start-first; Postgres and HAProxy stop-first', () => {
    expect(service('migrate').deploy?.mode).toBe('replicated-job');
    expect(service('app').deploy?.update_config?.order).toBe('start-first');
    expect(service('postgres').deploy?.update_config?.order).toBe('stop-first');
    expect(service('haproxy').deploy?.update_config?.order).toBe('stop-first');
    expect(service('postgres').deploy?.placement?.constraints).toEqual(['node.labels.recipes-postgres == true']);
  });

  it("HAProxy is on one network, attachable, so the bench's k6 container can join it", () => {
    const networks = serviceNetworks(service('haproxy'));
    expect(networks).toHaveLength(1);
    expect(stack.networks[networks[0] ?? '']).toEqual({ driver: 'overlay', attachable: true });
    expect(serviceNetworks(service('postgres'))).not.toContain(networks[0]);
  });
});
