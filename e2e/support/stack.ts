import {
  DockerComposeEnvironment,
  Wait,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';
import { inject } from 'vitest';
import { APP_SERVICE, COMPOSE_DIR, COMPOSE_FILE, TimedWaitStrategy, parseCsv, psqlCommand, waitForRouting, type Credentials, type QueryTarget, type Row } from '../../tools/stack/index.js';

/** What the global setup started, as handed to every test file (plain data: it crosses into the test workers). */
export interface StackInfo {
  project: string;
  /** Variables compose.yaml interpolates (port, user names, the folder of its secret files), on top of the environment. */
  env: Record<string, string>;
  baseUrl: string;
  replicas: number;
  db: { user: string; password: string; name: string };
  stats: { user: string; password: string };
  demo: Credentials;
  /** The network HAProxy is on, for containers that reach it by service name (k6). */
  network: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The compose stack every e2e file talks to, brought up once for the run (e2e/global-setup.ts). */
    stack: StackInfo;
  }
}

// Each replica is healthy before compose starts HAProxy; HAProxy then needs 2 checks 1 s apart per replica, and a
// rescale first stops or starts replicas.
const ROUTING_TIMEOUT_MS = 2 * 60_000;

/**
 * "HAProxy routes to N ready replicas" (tools/stack/routing.ts) as a testcontainers wait strategy, for the haproxy
 * container: `up()` returns only once traffic through the published port reaches every replica.
 */
class RoutingWaitStrategy extends TimedWaitStrategy {
  readonly #baseUrl: string;
  readonly #replicas: number;

  constructor(baseUrl: string, replicas: number) {
    super(ROUTING_TIMEOUT_MS);
    this.#baseUrl = baseUrl;
    this.#replicas = replicas;
  }

  async waitUntilReady(): Promise<void> {
    await waitForRouting(this.#baseUrl, this.#replicas, { timeoutMs: this.startupTimeoutMs });
  }
}

/** Compose v2's name for the n-th container of a service, as getContainer() takes it. */
export function containerName(service: string, n = 1): string {
  return `${service}-${n}`;
}

/**
 * compose.yaml as the project `info.project` with `replicas` API containers, as testcontainers brings it up: the
 * services with a health check wait for it, and HAProxy waits until it routes to every replica. Ryuk (testcontainers'
 * reaper) is told the project, so a killed run leaves nothing behind.
 */
export function stackEnvironment(info: Pick<StackInfo, 'project' | 'env' | 'baseUrl'>, replicas: number): DockerComposeEnvironment {
  const environment = new DockerComposeEnvironment(COMPOSE_DIR, COMPOSE_FILE)
    .withProjectName(info.project)
    .withEnvironment({ ...info.env, APP_REPLICAS: String(replicas) })
    .withWaitStrategy(containerName('postgres'), Wait.forHealthCheck())
    .withWaitStrategy(containerName('pgbouncer'), Wait.forHealthCheck())
    .withWaitStrategy(containerName('haproxy'), new RoutingWaitStrategy(info.baseUrl, replicas));
  for (let n = 1; n <= replicas; n += 1) environment.withWaitStrategy(containerName(APP_SERVICE, n), Wait.forHealthCheck());
  return environment;
}

/**
 * The stack the global setup brought up, with `replicas` API containers (its own count unless given). vitest runs the
 * global setup in another process than the test files, and a started environment is live objects, not data: the
 * setup hands over the project's name and variables, and each file attaches to the running project the way
 * testcontainers reuses an environment (no-recreate), which runs the same wait strategies again. Given another
 * replica count, that `up` rescales the API the way an operator would, leaving every other container as it is.
 */
export async function attachStack(info: StackInfo, replicas = info.replicas): Promise<StartedDockerComposeEnvironment> {
  return stackEnvironment(info, replicas).withNoRecreate().withProjectName(info.project).up();
}

/** The stack the global setup started, as data. */
export function stackInfo(): StackInfo {
  return inject('stack');
}

/** The API containers of an environment brought up with `replicas` of them. */
export function appContainers(environment: StartedDockerComposeEnvironment, replicas: number): StartedTestContainer[] {
  return Array.from({ length: replicas }, (_, i) => environment.getContainer(containerName(APP_SERVICE, i + 1)));
}

/** Runs one statement with psql in the stack's postgres container (tools/stack psqlCommand) and parses its CSV. */
export async function query(environment: StartedDockerComposeEnvironment, sql: string, target: QueryTarget = {}): Promise<Row[]> {
  const { command, env } = psqlCommand(sql, target);
  const result = await environment.getContainer(containerName('postgres')).exec(command, { env });
  if (result.exitCode !== 0) throw new Error(`psql in postgres-1 exited ${result.exitCode}: ${result.stderr || result.stdout}`);
  return parseCsv(result.stdout);
}
