// The one Docker client of the kit's tools (dockerode over the engine's socket): the bench and the end-to-end
// tests find, inspect, read and exec into containers through these functions only.
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { captured, tail } from './processes.js';
import { waitFor } from './waiting.js';

export type ContainerSummary = Docker.ContainerInfo;
export type ContainerDetails = Docker.ContainerInspectInfo;

/** The subset of a container stats reading the tools read, in the shapes of cgroup v1 and v2 alike. */
export interface ContainerStats {
  read: string;
  cpu_stats: CpuStats;
  precpu_stats?: Partial<CpuStats>;
  memory_stats: MemoryStats;
}

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface MemoryStats {
  usage?: number;
  limit?: number;
  stats?: Record<string, number>;
}

// Compose puts these labels on everything it creates, in v1 and v2 alike (the container names differ:
// v1 `<project>_<service>_<n>`, v2 `<project>-<service>-<n>`), so containers are always found by label.
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
export const COMPOSE_ONEOFF_LABEL = 'com.docker.compose.oneoff';
// A Swarm stack's containers carry these (deploy/swarm/stack.yaml): the stack's name, and the service's, which is
// "<stack>_<service>". Where the tools say "project" and "service", a stack and its services count too. They win
// over compose's labels: Compose v2 writes its labels into the images it builds, so every container run from
// recipes-api:local, Swarm tasks included, carries the labels of the compose project that built the image.
export const STACK_NAMESPACE_LABEL = 'com.docker.stack.namespace';
export const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';

let client: Docker | undefined;

/** The engine client; dockerode reads DOCKER_HOST like the docker CLI does, else the default socket. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Where the engine is expected, for messages. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** The engine's version, as `docker version` shows for the server; throws a clear error when it does not answer. */
export async function engineVersion(): Promise<string> {
  try {
    const version = await docker().version();
    return `${version.Version} (API ${version.ApiVersion})`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the Docker engine does not answer at ${dockerEndpoint()} (${reason}); start it first`, { cause: error });
  }
}

/** The compose service a container belongs to, or its Swarm service without the "<stack>_" prefix. */
export function serviceOf(container: Pick<ContainerSummary, 'Labels'>): string {
  const stack = container.Labels[STACK_NAMESPACE_LABEL];
  const swarmService = container.Labels[SWARM_SERVICE_LABEL];
  if (stack !== undefined && swarmService !== undefined) {
    return swarmService.startsWith(`${stack}_`) ? swarmService.slice(stack.length + 1) : swarmService;
  }
  return container.Labels[COMPOSE_SERVICE_LABEL] ?? 'unknown';
}

/** A container's name without the leading slash. */
export function containerName(container: Pick<ContainerSummary, 'Names' | 'Id'>): string {
  const name = container.Names[0];
  return name === undefined ? container.Id.slice(0, 12) : name.replace(/^\//, '');
}

/**
 * Containers of a compose project or Swarm stack of that name (running only, unless `all`), optionally of one
 * service. One-off containers labelled as the project's (k6, see imageK6) are found beside a stack's tasks.
 */
export async function projectContainers(
  project: string,
  options: { service?: string; all?: boolean } = {},
): Promise<ContainerSummary[]> {
  const label = [`${COMPOSE_PROJECT_LABEL}=${project}`];
  if (options.service !== undefined) label.push(`${COMPOSE_SERVICE_LABEL}=${options.service}`);
  const stackLabel = [`${STACK_NAMESPACE_LABEL}=${project}`];
  if (options.service !== undefined) stackLabel.push(`${SWARM_SERVICE_LABEL}=${project}_${options.service}`);
  const [compose = [], stack = []] = await Promise.all(
    [label, stackLabel].map((filter) => docker().listContainers({ all: options.all ?? false, filters: { label: filter } })),
  );
  return [...compose.filter((container) => container.Labels[STACK_NAMESPACE_LABEL] === undefined), ...stack];
}

/** The single running container of a service; throws when there is none or more than one. */
export async function serviceContainer(project: string, service: string): Promise<ContainerSummary> {
  const found = await projectContainers(project, { service });
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`expected one running ${service} container in compose project ${project}, found ${found.length}`);
  }
  return found[0];
}

/** True when the engine has `image` locally (a pull would not be needed). */
export async function imagePresent(image: string): Promise<boolean> {
  try {
    await docker().getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}

/** `docker pull image`, as compose pulls a missing image; throws with the engine's reason when it cannot. */
export async function pullImage(image: string): Promise<void> {
  const stream = await docker().pull(image);
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
  });
  if (!(await imagePresent(image))) throw new Error(`the engine reported no error, but ${image} is not there`);
}

/** `docker inspect` of one container. */
export function inspectContainer(id: string): Promise<ContainerDetails> {
  return docker().getContainer(id).inspect();
}

/**
 * The container's address on `network`, named as in compose.yaml ("data": the project's network `<project>_data`) or
 * in full; without one, on the container's only network (PgBouncer and Postgres are on `data` alone, HAProxy on `edge`).
 */
export async function containerAddress(id: string, network?: string): Promise<string> {
  const attached = Object.entries((await inspectContainer(id)).NetworkSettings.Networks);
  const matching = network === undefined ? attached : attached.filter(([name]) => name === network || name.endsWith(`_${network}`));
  const address = matching[0]?.[1].IPAddress;
  if (matching.length !== 1 || !address) {
    const names = attached.map(([name]) => name).join(', ');
    throw new Error(`container ${id.slice(0, 12)} is on ${names || 'no network'}: no single ${network ?? 'network'} to take an address from`);
  }
  return address;
}

/** The compose project (or Swarm stack) whose running container publishes `port` on the host, if any. */
export async function projectPublishingPort(port: number): Promise<string | undefined> {
  const containers = await docker().listContainers({ filters: { status: ['running'] } });
  const owner = containers.find((container) => container.Ports.some((published) => published.PublicPort === port));
  return owner?.Labels[STACK_NAMESPACE_LABEL] ?? owner?.Labels[COMPOSE_PROJECT_LABEL];
}

/** One stats reading, without waiting for the daemon's own second reading (callers diff their own readings). */
export async function readContainerStats(id: string): Promise<ContainerStats> {
  // dockerode's own type describes cgroup v1 only and marks optional fields required; this is what is read.
  return (await docker().getContainer(id).stats({ stream: false, 'one-shot': true })) as unknown as ContainerStats;
}

/** Runs a command inside a running container, like `docker exec`; returns stdout, throws unless it exits 0. */
export async function execInContainer(id: string, command: string[], env: Record<string, string> = {}): Promise<string> {
  const container = docker().getContainer(id);
  const exec = await container.exec({
    Cmd: command,
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = captured();
  const stderr = captured();
  docker().modem.demuxStream(stream, stdout.stream, stderr.stream);
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) {
    throw new Error(`\`${command.join(' ')}\` in ${id.slice(0, 12)} exited ${ExitCode}: ${stderr.text() || stdout.text()}`);
  }
  return stdout.text();
}

/** What is left of a compose project: containers (in any state), networks and volumes, by name. */
export async function projectLeftovers(project: string): Promise<string[]> {
  const filters = { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker().listContainers({ all: true, filters }),
    docker().listNetworks({ filters }),
    docker().listVolumes({ filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names.join(',')}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

/** The one network a compose service's container is attached to (HAProxy's: `edge`, where the API answers too). */
export async function serviceNetwork(project: string, service: string): Promise<string> {
  const { Id } = await serviceContainer(project, service);
  const networks = Object.keys((await inspectContainer(Id)).NetworkSettings.Networks);
  if (networks.length !== 1 || networks[0] === undefined) throw new Error(`the ${service} container is not on exactly one network`);
  return networks[0];
}

/**
 * What keeps a service's containers from being settled: one restarting, or running with a health check that has not
 * passed yet (starting) or has failed (unhealthy); empty when every running container is healthy. Stopped ones do
 * not count: `compose up` starts them.
 */
export function unsettledContainers(containers: readonly Pick<ContainerDetails, 'Name' | 'State'>[]): string[] {
  return containers.flatMap((container) => {
    const name = container.Name.replace(/^\//, '');
    if (container.State.Restarting) return [`${name} restarting`];
    const health = container.State.Health?.Status;
    if (container.State.Running && health !== undefined && health !== 'healthy') return [`${name} ${health}`];
    return [];
  });
}

/**
 * Waits until the service's containers are settled (unsettledContainers); throws after `timeoutMs`. A replica that
 * died and is being restarted by its restart policy is unhealthy for a few seconds, and `compose up` refuses to start
 * anything that depends on a service in that state.
 */
export async function waitForSettledService(project: string, service: string, timeoutMs: number): Promise<void> {
  let unsettledIds: string[] = [];
  await waitFor(
    `${service} of ${project} to settle`,
    async () => {
      const containers = await projectContainers(project, { service, all: true });
      const details = await Promise.all(containers.map((container) => inspectContainer(container.Id)));
      const unsettled = unsettledContainers(details);
      unsettledIds = details.filter((detail) => unsettledContainers([detail]).length > 0).map((detail) => detail.Id);
      if (unsettled.length > 0) throw new Error(unsettled.join(', '));
      return true;
    },
    { timeoutMs },
  ).catch(async (error: unknown) => {
    // A replica that keeps restarting says why on its way down: the last lines of each, beside the timeout.
    const logs = await Promise.all(unsettledIds.map(async (id) => `${id.slice(0, 12)}: ${tail(await containerLog(id), 6)}`));
    throw new Error(`${error instanceof Error ? error.message : String(error)}${logs.length > 0 ? `\n${logs.join('\n')}` : ''}`, { cause: error });
  });
}

/** The last output of a container (stdout and stderr, as `docker logs --tail 40` shows it). */
async function containerLog(id: string): Promise<string> {
  const raw = (await docker().getContainer(id).logs({ stdout: true, stderr: true, tail: 40 })) as unknown as Buffer;
  const out = captured();
  const err = captured();
  // Containers without a TTY interleave stdout and stderr in Docker's multiplexed framing.
  const source = new PassThrough();
  docker().modem.demuxStream(source, out.stream, err.stream);
  source.end(raw);
  await new Promise((resolve) => source.once('end', resolve));
  return `${out.text()}${err.text()}`;
}
