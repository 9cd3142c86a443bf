// The stack on Docker Swarm (deploy/swarm/stack.yaml): joining a swarm, deploying with the migrate job first,
// scaling, a rolling image update, removing, leaving. What an operator would type runs through the docker CLI
// (stacks have no Engine API, and what runs reads like the README); state is read through the one Docker client.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_SERVICE } from './compose.js';
import { STACK_NAMESPACE_LABEL, docker, projectContainers } from './docker.js';
import { runCommand, tail } from './processes.js';
import { waitFor } from './waiting.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The stack file, and the folder its relative paths start from. */
export const STACK_FILE = join(REPO_ROOT, 'deploy/swarm/stack.yaml');
/** Where swarm:up keeps the secret files when SECRETS_DIR is not set (git ignores it). */
export const DEFAULT_SECRETS_DIR = join(REPO_ROOT, 'deploy/swarm/secrets');
/** The API image the stack runs unless APP_IMAGE says otherwise: the one compose builds. */
export const DEFAULT_APP_IMAGE = 'recipes-api:local';
/** API replicas of a new stack, as in compose.yaml (APP_REPLICAS). */
export const DEFAULT_APP_REPLICAS = 2;
/** The port HAProxy listens on inside the stack's network (its published port is HAPROXY_PORT). */
const HAPROXY_TARGET_PORT = 8080;
// Postgres's placement constraint: the node that holds its volume (stack.yaml, services.postgres).
const POSTGRES_NODE_LABEL = 'recipes-postgres';
// Set on the node when swarm:up initialised the swarm, so that swarm:down knows it may leave it again.
const INITIALISED_LABEL = 'recipes-stack.initialised-swarm';
// Docker creates this bridge for swarm tasks and keeps it after leaving; it is recreated on demand.
const GATEWAY_BRIDGE = 'docker_gwbridge';

// Building the API image takes minutes on a 2-core machine; deploys, scaling and updates take seconds each.
const BUILD_TIMEOUT_MS = 15 * 60_000;
const COMMAND_TIMEOUT_MS = 2 * 60_000;
/** How long a migrate job, a rescale or a rolling update may take before the tools give up. */
export const CONVERGE_TIMEOUT_MS = 5 * 60_000;

/** The config files the stack shares with compose.yaml, and the variable naming each one's digest (stack.yaml). */
const CONFIG_FILES: Record<string, string> = {
  HAPROXY_CFG_DIGEST: 'haproxy/haproxy.cfg',
  PGBOUNCER_INI_DIGEST: 'pgbouncer/pgbouncer.ini',
  PGBOUNCER_ENTRYPOINT_DIGEST: 'pgbouncer/entrypoint.sh',
};

// The subsets of the Engine API's task and node objects read here (dockerode types them as any).
interface SwarmTask {
  DesiredState: string;
  Status: { State: string; Err?: string };
  JobIteration?: { Index?: number };
}
interface SwarmNode {
  ID: string;
  Spec: { Labels?: Record<string, string> };
}

/** Told each command line before it runs, e.g. to print it. */
export type Announce = (commandLine: string) => void;

/** Runs a docker CLI command; returns its output, or throws with the last lines of it. */
async function dockerCli(args: readonly string[], announce?: Announce, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  announce?.(`docker ${args.join(' ')}`);
  const result = await runCommand('docker', args, { cwd: REPO_ROOT, env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`\`docker ${args.join(' ')}\` failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`);
  return result.output;
}

/** Calls `check` every second until it returns something other than undefined; throws after `timeoutMs`. */
async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, lastSeen: () => string): Promise<T> {
  return waitFor(what, async () => {
    const value = await check();
    if (value === undefined) throw new Error(lastSeen());
    return value;
  }, { timeoutMs });
}

/** True when this engine is a manager of an active swarm. */
export async function swarmActive(): Promise<boolean> {
  const info = (await docker().info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
}

async function localNode(): Promise<SwarmNode> {
  const info = (await docker().info()) as { Swarm: { NodeID: string } };
  return (await docker().getNode(info.Swarm.NodeID).inspect()) as SwarmNode;
}

async function addNodeLabel(node: SwarmNode, label: string, announce?: Announce): Promise<void> {
  await dockerCli(['node', 'update', '--label-add', `${label}=true`, node.ID], announce);
}

/**
 * Makes this engine a swarm manager. A new swarm listens on 127.0.0.1 only: a single node to try the stack on, with
 * no management port open to the network (initialise the swarm yourself to add nodes). Returns whether it initialised one.
 */
export async function ensureSwarm(announce?: Announce): Promise<{ initialised: boolean }> {
  if (await swarmActive()) return { initialised: false };
  await dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377'], announce);
  await addNodeLabel(await localNode(), INITIALISED_LABEL, announce);
  return { initialised: true };
}

/** Labels this node as Postgres's when no node is; returns whether it did. */
export async function choosePostgresNode(announce?: Announce): Promise<{ labelled: boolean }> {
  const nodes = (await docker().listNodes()) as SwarmNode[];
  if (nodes.some((node) => node.Spec.Labels?.[POSTGRES_NODE_LABEL] === 'true')) return { labelled: false };
  await addNodeLabel(await localNode(), POSTGRES_NODE_LABEL, announce);
  return { labelled: true };
}

/** Takes the Postgres label off this node (for a swarm this kit did not initialise). */
export async function forgetPostgresNode(announce?: Announce): Promise<void> {
  await dockerCli(['node', 'update', '--label-rm', POSTGRES_NODE_LABEL, (await localNode()).ID], announce);
}

/**
 * Leaves the swarm (removing whatever still runs in it) and, unless told to keep it, its gateway bridge, as before
 * `swarm init`.
 */
export async function leaveSwarm(announce?: Announce, options: { keepGatewayBridge?: boolean } = {}): Promise<void> {
  await dockerCli(['swarm', 'leave', '--force'], announce);
  if (options.keepGatewayBridge === true) return;
  await docker()
    .getNetwork(GATEWAY_BRIDGE)
    .remove()
    .catch(() => undefined);
}

/** Leaves the swarm when swarm:up initialised it and no service is left in it; returns whether it left. */
export async function leaveSwarmIfInitialisedHere(announce?: Announce): Promise<boolean> {
  if (!(await swarmActive())) return false;
  if ((await localNode()).Spec.Labels?.[INITIALISED_LABEL] !== 'true') return false;
  if ((await docker().listServices()).length > 0) return false;
  await leaveSwarm(announce);
  return true;
}

/** The API image exists locally; builds it from the Dockerfile when it is the kit's own tag and missing. */
export async function ensureApiImage(image: string, announce?: Announce): Promise<void> {
  const present = await docker()
    .getImage(image)
    .inspect()
    .then(() => true, () => false);
  if (present) return;
  if (image !== DEFAULT_APP_IMAGE) throw new Error(`image ${image} is not on this engine; build or pull it first`);
  // NPM_CA as in compose.yaml: an extra CA for npm behind an HTTPS-intercepting proxy, empty otherwise.
  await dockerCli(['build', '--build-arg', `NPM_CA=${process.env.NPM_CA ?? ''}`, '-t', image, '.'], announce, { timeoutMs: BUILD_TIMEOUT_MS });
}

/** sha256 of a file, 12 hex digits: names a Swarm config after its content. */
async function fileDigest(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(REPO_ROOT, path))).digest('hex').slice(0, 12);
}

/** One stack of deploy/swarm/stack.yaml on this engine's swarm. */
export class SwarmStack {
  readonly name: string;
  /** Variables stack.yaml interpolates (image, port, secrets folder...), on top of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly #announce: Announce | undefined;

  constructor(options: { name: string; env?: Record<string, string>; announce?: Announce }) {
    this.name = options.name;
    this.env = options.env ?? {};
    this.#announce = options.announce;
  }

  /** A service's full name in the swarm, e.g. "recipes_app". */
  service(service: string): string {
    return `${this.name}_${service}`;
  }

  async #docker(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
    return dockerCli(args, this.#announce, { env: { ...process.env, ...this.env, ...env } });
  }

  /** The `docker stack deploy` command line (images are local: no registry is asked for a digest). */
  static deployArgs(name: string): string[] {
    return ['stack', 'deploy', '--detach', '--resolve-image', 'never', '-c', STACK_FILE, name];
  }

  /**
   * Deploys the stack and waits until it serves: the migrate job completes before any API replica starts (on a
   * first deploy the API is deployed at 0 replicas and scaled up afterwards), then every service has its tasks.
   * The API runs `replicas`, else as many as it already ran, else DEFAULT_APP_REPLICAS; returns that number.
   */
  async deploy(replicas?: number): Promise<number> {
    const existing = await this.#replicas(APP_SERVICE).catch(() => undefined);
    const wanted = replicas ?? existing ?? DEFAULT_APP_REPLICAS;
    const digests = Object.fromEntries(await Promise.all(Object.entries(CONFIG_FILES).map(async ([name, path]) => [name, await fileDigest(path)])));
    // APP_REPLICAS is what `stack deploy` sets the API to: 0 until the job ran, or the running count (no rescale).
    await this.#docker(SwarmStack.deployArgs(this.name), { ...digests, STACK_NAME: this.name, APP_REPLICAS: String(existing ?? 0) });
    await this.waitForJob('migrate');
    if (existing !== wanted) await this.scale(wanted);
    await this.waitForServices();
    await this.#removeUnusedConfigs();
    return wanted;
  }

  /** `docker service scale <stack>_app=N`, then waits until N tasks run (each healthy). */
  async scale(replicas: number, service = APP_SERVICE): Promise<void> {
    await this.#docker(['service', 'scale', '--detach', `${this.service(service)}=${replicas}`]);
    await this.waitForServices();
  }

  /** A rolling update of the API to `image` (update_config in stack.yaml), waited for until it completed. */
  async updateImage(image: string, service = APP_SERVICE): Promise<void> {
    await this.#docker(['service', 'update', '--detach', '--no-resolve-image', '--image', image, this.service(service)]);
    const name = this.service(service);
    let state = 'not started';
    await waitUntil(`rolling update of ${name} to ${image}`, CONVERGE_TIMEOUT_MS, async () => {
      const inspected = await docker().getService(name).inspect();
      state = inspected.UpdateStatus?.State ?? 'not started';
      if (state.startsWith('rollback') || state === 'paused') throw new Error(`rolling update of ${name} to ${image}: ${state} (${inspected.UpdateStatus?.Message ?? ''})`);
      return state === 'completed' ? true : undefined;
    }, () => `update ${state}`);
    await this.waitForServices();
  }

  /** Waits until the current run of a job service (one per deploy) completed; throws with its error after the timeout. */
  async waitForJob(service: string): Promise<void> {
    const name = this.service(service);
    let seen = 'no task yet';
    await waitUntil(`job ${name}`, CONVERGE_TIMEOUT_MS, async () => {
      const iteration = (await docker().getService(name).inspect()).JobStatus?.JobIteration?.Index ?? 0;
      const tasks = (await this.#tasks(name)).filter((task) => (task.JobIteration?.Index ?? 0) === iteration);
      seen = tasks.map((task) => `${task.Status.State}${task.Status.Err ? `: ${task.Status.Err}` : ''}`).join(', ') || 'no task yet';
      return tasks.some((task) => task.Status.State === 'complete') ? true : undefined;
    }, () => `tasks: ${seen}`);
  }

  /**
   * Waits until every replicated service of the stack runs exactly as many tasks as it asks for (tasks being
   * stopped have exited, so counting containers agrees) and none is updating.
   */
  async waitForServices(): Promise<void> {
    let pending = 'nothing listed yet';
    await waitUntil(`services of stack ${this.name}`, CONVERGE_TIMEOUT_MS, async () => {
      const services = await docker().listServices({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${this.name}`] } });
      const waiting = await Promise.all(
        services.map(async (service) => {
          const wanted = service.Spec?.Mode?.Replicated?.Replicas;
          const name = service.Spec?.Name ?? service.ID;
          if (wanted === undefined) return [];
          const running = (await this.#tasks(name)).filter((task) => task.Status.State === 'running');
          const stopping = running.filter((task) => task.DesiredState !== 'running').length;
          const updating = service.UpdateStatus?.State === 'updating';
          if (running.length === wanted && stopping === 0 && !updating) return [];
          return [`${name} ${running.length - stopping}/${wanted}${stopping > 0 ? `, ${stopping} stopping` : ''}${updating ? ', updating' : ''}`];
        }),
      );
      pending = waiting.flat().join(', ');
      return services.length > 0 && pending === '' ? true : undefined;
    }, () => pending);
  }

  /** The host port HAProxy's task publishes on this node (HAPROXY_PORT, or the one Docker chose for 0). */
  async publishedPort(): Promise<number> {
    return waitUntil(`the published port of ${this.service('haproxy')} on this node`, COMMAND_TIMEOUT_MS, async () => {
      const [haproxy] = await projectContainers(this.name, { service: 'haproxy' });
      return haproxy?.Ports.find((port) => port.PrivatePort === HAPROXY_TARGET_PORT && port.PublicPort)?.PublicPort;
    }, () => 'no running haproxy container here');
  }

  /**
   * `docker stack rm`, then waits until its containers and networks are gone; with `volumes`, also deletes the
   * data volume (kept otherwise, like `docker compose down` without -v).
   */
  async remove(options: { volumes: boolean }): Promise<void> {
    await this.#docker(['stack', 'rm', this.name]);
    const filters = { label: [`${STACK_NAMESPACE_LABEL}=${this.name}`] };
    let left: string[] = [];
    await waitUntil(`removing stack ${this.name}`, COMMAND_TIMEOUT_MS, async () => {
      const [services, containers] = await Promise.all([docker().listServices({ filters }), docker().listContainers({ filters })]);
      left = [...services.map((s) => s.Spec?.Name ?? s.ID), ...containers.map((c) => c.Names.join(','))];
      return left.length === 0 ? true : undefined;
    }, () => `still running: ${left.join(', ')}`);
    // Swarm leaves the exited containers of a job's tasks behind once its service is gone.
    const exited = await docker().listContainers({ all: true, filters });
    await Promise.all(exited.map((container) => docker().getContainer(container.Id).remove({ force: true })));
    await waitUntil(`removing the networks of stack ${this.name}`, COMMAND_TIMEOUT_MS, async () => {
      const networks = await docker().listNetworks({ filters });
      left = networks.map((n) => n.Name);
      return left.length === 0 ? true : undefined;
    }, () => `left: ${left.join(', ')}`);
    if (!options.volumes) return;
    const { Volumes } = await docker().listVolumes({ filters });
    await Promise.all((Volumes ?? []).map((volume) => docker().getVolume(volume.Name).remove()));
  }

  /** Everything of the stack still on this engine: services, containers, networks, secrets, configs, volumes. */
  async leftovers(): Promise<string[]> {
    const filters = { label: [`${STACK_NAMESPACE_LABEL}=${this.name}`] };
    const swarm = await swarmActive();
    const [services, containers, networks, secrets, configs, volumes] = await Promise.all([
      swarm ? docker().listServices({ filters }) : [],
      docker().listContainers({ all: true, filters }),
      docker().listNetworks({ filters }),
      swarm ? docker().listSecrets({ filters }) : [],
      swarm ? docker().listConfigs({ filters }) : [],
      docker().listVolumes({ filters }),
    ]);
    return [
      ...services.map((s) => `service ${s.Spec?.Name ?? s.ID}`),
      ...containers.map((c) => `container ${c.Names.join(',')}`),
      ...networks.map((n) => `network ${n.Name}`),
      ...secrets.map((s) => `secret ${s.Spec?.Name ?? s.ID}`),
      ...configs.map((c) => `config ${c.Spec?.Name ?? c.ID}`),
      ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
    ];
  }

  async #replicas(service: string): Promise<number | undefined> {
    return (await docker().getService(this.service(service)).inspect()).Spec?.Mode?.Replicated?.Replicas;
  }

  async #tasks(service: string): Promise<SwarmTask[]> {
    return (await docker().listTasks({ filters: { service: [service] } })) as SwarmTask[];
  }

  /** Configs of earlier digests (an edited haproxy.cfg): removed once no task uses them; Docker refuses otherwise. */
  async #removeUnusedConfigs(): Promise<void> {
    const configs = await docker().listConfigs({ filters: { label: [`${STACK_NAMESPACE_LABEL}=${this.name}`] } });
    await Promise.all(configs.map((config) => docker().getConfig(config.ID).remove().catch(() => undefined)));
  }
}
