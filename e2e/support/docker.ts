import { getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';

type Dockerode = ContainerRuntimeClient['container']['dockerode'];
export type ContainerSummary = Awaited<ReturnType<Dockerode['listContainers']>>[number];
export type ContainerDetails = Awaited<ReturnType<ReturnType<Dockerode['getContainer']>['inspect']>>;

// Compose puts these labels on everything it creates, in v1 and v2 alike (the container names differ).
const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

async function client(): Promise<ContainerRuntimeClient> {
  return getContainerRuntimeClient();
}

/** Containers of a compose project (running only, unless `all`), optionally of one service. */
export async function projectContainers(
  project: string,
  options: { service?: string; all?: boolean } = {},
): Promise<ContainerSummary[]> {
  const labels = [`${PROJECT_LABEL}=${project}`];
  if (options.service !== undefined) labels.push(`${SERVICE_LABEL}=${options.service}`);
  const { container } = await client();
  return container.dockerode.listContainers({ all: options.all ?? false, filters: { label: labels } });
}

/** The single running container of a service; throws when there is none or more than one. */
export async function serviceContainer(project: string, service: string): Promise<ContainerSummary> {
  const found = await projectContainers(project, { service });
  if (found.length !== 1 || found[0] === undefined) {
    throw new Error(`expected one running ${service} container in ${project}, found ${found.length}`);
  }
  return found[0];
}

/** `docker inspect` of one container. */
export async function inspectContainer(id: string): Promise<ContainerDetails> {
  const { container } = await client();
  return container.dockerode.getContainer(id).inspect();
}

/** The container's address on its (single) compose network. */
export async function containerAddress(id: string): Promise<string> {
  const networks = Object.values((await inspectContainer(id)).NetworkSettings.Networks);
  const address = networks[0]?.IPAddress;
  if (networks.length !== 1 || !address) throw new Error(`container ${id} is not on exactly one network`);
  return address;
}

/** Runs a command inside a running container, like `docker exec`; throws unless it exits 0. */
export async function execInContainer(
  id: string,
  command: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const { container } = await client();
  const result = await container.exec(container.getById(id), command, { env, log: false });
  if (result.exitCode !== 0) {
    const output = result.stderr || result.stdout;
    throw new Error(`\`${command.join(' ')}\` in ${id.slice(0, 12)} exited ${result.exitCode}: ${output}`);
  }
  return result.stdout;
}

/** What is left of a compose project: containers (in any state), networks and volumes, by name. */
export async function projectLeftovers(project: string): Promise<string[]> {
  const { container } = await client();
  const docker = container.dockerode;
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names.join(',')}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}
