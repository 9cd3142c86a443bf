import { request } from 'node:http';

/** The subset of GET /containers/json the bench reads. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Labels: Record<string, string>;
}

/** The subset of GET /containers/{id}/stats the bench reads (cgroup v1 and v2 shapes). */
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

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The Engine API socket: DOCKER_HOST when it is a unix:// address, else the default path. */
export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new Error(`DOCKER_HOST=${host} is not a unix socket; the bench reads container stats over the local socket only`);
}

/** GETs a Docker Engine API path over the unix socket and parses the JSON answer. */
export function dockerGet<T>(path: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: dockerSocketPath(), path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === undefined || res.statusCode >= 300) {
          reject(new Error(`Docker API ${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (error) {
          reject(new Error(`Docker API ${path}: invalid JSON (${String(error)})`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`Docker API ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Running containers of one compose project. */
export function listProjectContainers(project: string): Promise<ContainerSummary[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${COMPOSE_PROJECT_LABEL}=${project}`], status: ['running'] }));
  return dockerGet<ContainerSummary[]>(`/containers/json?filters=${filters}`);
}

/** One stats reading, without waiting for the daemon's own second reading (we diff our own consecutive ones). */
export function readContainerStats(id: string): Promise<ContainerStats> {
  return dockerGet<ContainerStats>(`/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`);
}

/** The engine's version, as `docker version` shows for the server. */
export async function engineVersion(): Promise<{ Version: string; ApiVersion: string; Os: string; KernelVersion: string }> {
  return dockerGet('/version');
}

/** A container's name without the leading slash. */
export function containerName(container: Pick<ContainerSummary, 'Names' | 'Id'>): string {
  const name = container.Names[0];
  return name === undefined ? container.Id.slice(0, 12) : name.replace(/^\//, '');
}
