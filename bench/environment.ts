import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { ComposeCli } from '../tools/stack/index.js';
import { APP_SERVICE, composeVersion, engineVersion, inspectContainer, projectContainers, runCommand, serviceOf } from '../tools/stack/index.js';

/** The machine a bench ran on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  kernel: string;
}

/** Versions of everything that shaped the numbers. */
export interface VersionInfo {
  node: string;
  docker: string;
  compose: string;
  loadGenerator: string;
  gitCommit: string;
  /** Image each compose service ran, with its id. */
  images: Array<{ service: string; image: string; imageId: string }>;
}

async function osName(): Promise<string> {
  try {
    const release = await readFile('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release);
    if (pretty?.[1] !== undefined) return pretty[1];
  } catch {
    // not Linux, or a minimal image: fall back to the kernel's name
  }
  return `${os.type()} ${os.release()}`;
}

/** CPU, cores, memory and OS of this machine. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: await osName(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function gitCommit(cwd: string): Promise<string> {
  const head = await runCommand('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, timeoutMs: 10_000 });
  if (head.code !== 0) return 'unknown';
  const status = await runCommand('git', ['status', '--porcelain'], { cwd, timeoutMs: 10_000 });
  return `${head.output.trim()}${status.output.trim() === '' ? '' : ' (with uncommitted changes)'}`;
}

/** Versions of node, docker, compose, the load generator, the source tree and the images of the running project. */
export async function versionInfo(options: { compose: ComposeCli | null; project: string; loadGenerator: string; cwd: string }): Promise<VersionInfo> {
  const [docker, compose, commit, containers] = await Promise.all([
    engineVersion().catch(() => 'unknown'),
    options.compose === null ? Promise.resolve('not used') : composeVersion(options.compose),
    gitCommit(options.cwd),
    projectContainers(options.project).catch(() => []),
  ]);
  const images = new Map<string, { service: string; image: string; imageId: string }>();
  for (const container of containers) {
    const service = serviceOf(container);
    images.set(service, { service, image: container.Image, imageId: container.ImageID });
  }
  return {
    node: process.version,
    docker,
    compose,
    loadGenerator: options.loadGenerator,
    gitCommit: commit,
    images: [...images.values()].sort((a, b) => a.service.localeCompare(b.service)),
  };
}

// The API's settings that shape performance, as the replicas really ran with them (DATABASE_URL holds a password).
const API_SETTINGS = ['DB_POOL_MAX', 'DB_PREPARE', 'DB_CONNECT_TIMEOUT_SECONDS', 'LOG_LEVEL', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_TIMEOUT_MS'];

/**
 * The API settings of the project's first app container, from its environment; unset ones are left out (defaults).
 * Throws when there is no container to read them from: "none set" would be a guess.
 */
export async function apiSettings(project: string): Promise<Record<string, string>> {
  const [app] = await projectContainers(project, { service: APP_SERVICE });
  if (!app) throw new Error(`no running ${APP_SERVICE} container in ${project} to read the API settings from`);
  const details = await inspectContainer(app.Id);
  const settings: Record<string, string> = {};
  for (const entry of details.Config.Env ?? []) {
    const [name = '', ...rest] = entry.split('=');
    const value = rest.join('=');
    if (API_SETTINGS.includes(name) && value !== '') settings[name] = value;
  }
  return Object.fromEntries(Object.entries(settings).sort(([x], [y]) => x.localeCompare(y)));
}
