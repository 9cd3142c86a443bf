// The faults the kit injects into a running stack, each the way an operator or a crash would cause it.
import { connect } from 'node:net';
import type { ComposeProject } from './compose.js';
import { APP_SERVICE } from './compose.js';
import { waitFor, WaitTimeoutError } from './waiting.js';
import { containerAddress, containerName, docker, projectContainers, serviceContainer } from './docker.js';

export const FAULTS = ['kill-replica', 'stop-replica', 'restart-pgbouncer', 'restart-postgres', 'scale'] as const;
export type Fault = (typeof FAULTS)[number];

/** When the fault happened and when its cause was gone, in epoch milliseconds. */
export interface FaultMarks {
  fault: Fault;
  /** The moment the fault was injected. */
  injectedAt: number;
  /** When the injecting command returned (the restart or rescale done; the kill or stop sent). */
  doneAt: number;
  /** For restarts: when the restarted service accepted TCP connections again. */
  acceptingAt: number | null;
  /** What was done, for the report. */
  detail: string;
}

// How the restarted tiers listen on the stack's network (compose.yaml).
const LISTENS: Record<string, number> = { pgbouncer: 6432, postgres: 5432 };
// Docker's default grace before SIGKILL, as `docker stop` and compose use it; the API drains within 8 s.
const STOP_GRACE_S = 10;

/** True when something accepts a TCP connection at host:port within `timeoutMs`. */
export function tcpAccepts(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (accepted: boolean) => () => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', done(true));
    socket.once('timeout', done(false));
    socket.once('error', done(false));
  });
}

/** Polls the container's port every 100 ms until it accepts a connection; null when it has not after `timeoutMs`. */
async function acceptingSince(id: string, port: number, timeoutMs: number): Promise<number | null> {
  const accepting = async (): Promise<number | undefined> => ((await tcpAccepts(await containerAddress(id), port)) ? Date.now() : undefined);
  return waitFor(`port ${port} of ${id.slice(0, 12)}`, accepting, { timeoutMs, intervalMs: 100 }).catch((error: unknown) => {
    if (error instanceof WaitTimeoutError) return null;
    throw error;
  });
}

/** The API container the fault hits: the first in name order, so runs are comparable. */
async function oneReplica(project: string): Promise<{ Id: string; name: string }> {
  const apps = await projectContainers(project, { service: APP_SERVICE });
  const [first] = apps.map((c) => ({ Id: c.Id, name: containerName(c) })).sort((a, b) => a.name.localeCompare(b.name));
  if (first === undefined) throw new Error(`no running ${APP_SERVICE} container in ${project}`);
  return first;
}

/**
 * Injects `fault` into the compose project. `scale` needs the compose project (N -> 1 -> N replicas, as an operator
 * would); the others act on one container through the engine.
 */
export async function injectFault(fault: Fault, options: { project: string; compose?: ComposeProject; replicas: number }): Promise<FaultMarks> {
  const { project } = options;
  const injectedAt = Date.now();
  switch (fault) {
    case 'kill-replica': {
      const victim = await oneReplica(project);
      await docker().getContainer(victim.Id).kill({ signal: 'SIGKILL' });
      return { fault, injectedAt, doneAt: Date.now(), acceptingAt: null, detail: `SIGKILL to ${victim.name}` };
    }
    case 'stop-replica': {
      const victim = await oneReplica(project);
      await docker().getContainer(victim.Id).stop({ t: STOP_GRACE_S });
      return { fault, injectedAt, doneAt: Date.now(), acceptingAt: null, detail: `docker stop (SIGTERM, ${STOP_GRACE_S} s grace) of ${victim.name}` };
    }
    case 'restart-pgbouncer':
    case 'restart-postgres': {
      const service = fault === 'restart-pgbouncer' ? 'pgbouncer' : 'postgres';
      const container = await serviceContainer(project, service);
      const { Id } = container;
      await docker().getContainer(Id).restart({ t: STOP_GRACE_S });
      const doneAt = Date.now();
      const acceptingAt = await acceptingSince(Id, LISTENS[service] as number, 60_000);
      return { fault, injectedAt, doneAt, acceptingAt, detail: `docker restart of ${containerName(container)}` };
    }
    case 'scale': {
      if (options.compose === undefined) throw new Error('the scale fault rescales through compose: run it on a stack the bench brings up');
      await options.compose.scale(1);
      await options.compose.scale(options.replicas);
      return { fault, injectedAt, doneAt: Date.now(), acceptingAt: null, detail: `compose up --scale app=1, then app=${options.replicas}` };
    }
  }
}
