import type { WriteStream } from 'node:fs';
import { runCommand, tail } from './processes.js';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, dockerGet, listProjectContainers } from './docker-engine.js';

/** Compose service that runs the API; `--scale` applies to it. */
export const APP_SERVICE = 'app';

/** "docker compose" (v2 plugin) when it answers, else "docker-compose" (v1). */
export async function detectComposeCommand(): Promise<string[]> {
  const v2 = await runCommand('docker', ['compose', 'version'], { timeoutMs: 15_000 });
  if (v2.code === 0) return ['docker', 'compose'];
  const v1 = await runCommand('docker-compose', ['version'], { timeoutMs: 15_000 });
  if (v1.code === 0) return ['docker-compose'];
  throw new Error('neither "docker compose" nor "docker-compose" works here; install one or pass --compose-cmd');
}

/** The compose command's own version line, e.g. "1.29.2". */
export async function composeVersion(compose: readonly string[]): Promise<string> {
  const [command, ...args] = compose as [string, ...string[]];
  const result = await runCommand(command, [...args, 'version', '--short'], { timeoutMs: 15_000 });
  return result.code === 0 ? result.output.trim() : 'unknown';
}

/** A compose project the bench drives: brings it up at a replica count and takes it down again. */
export class ComposeStack {
  readonly #compose: readonly string[];
  readonly project: string;
  readonly #cwd: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #log: WriteStream;

  constructor(options: { compose: readonly string[]; project: string; cwd: string; port: number; seedPassword: string; log: WriteStream }) {
    this.#compose = options.compose;
    this.project = options.project;
    this.#cwd = options.cwd;
    this.#env = {
      ...process.env,
      // compose.yaml publishes HAProxy on 127.0.0.1:${HAPROXY_PORT:-8080}.
      HAPROXY_PORT: String(options.port),
      // The seed's demo password is the one the bench logs in with, whatever .env says.
      SEED_PASSWORD: options.seedPassword,
    };
    this.#log = options.log;
  }

  /** The command line a person would type for `args`, for messages. */
  describe(args: readonly string[]): string {
    return [...this.#compose, '-p', this.project, ...args].join(' ');
  }

  async #run(args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const [command, ...composeArgs] = this.#compose as [string, ...string[]];
    this.#log.write(`\n$ ${this.describe(args)}\n`);
    const options = { cwd: this.#cwd, env: this.#env, log: this.#log, timeoutMs, ...(signal === undefined ? {} : { signal }) };
    const result = await runCommand(command, [...composeArgs, '-p', this.project, ...args], options);
    if (result.code !== 0) {
      throw new Error(`${this.describe(args)} failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`);
    }
  }

  /** Starts (or rescales) the stack with `replicas` API containers; builds images first when asked. */
  async up(replicas: number, build: boolean, signal?: AbortSignal): Promise<void> {
    const args = ['up', '-d', ...(build ? ['--build'] : []), '--scale', `${APP_SERVICE}=${replicas}`];
    // Building the API image from scratch takes minutes on a 2-core machine; a later rescale takes seconds.
    await this.#run(args, 15 * 60_000, signal);
  }

  /** Stops the stack and deletes its containers, network and volumes. */
  async down(): Promise<void> {
    await this.#run(['down', '-v', '--remove-orphans'], 3 * 60_000);
  }
}

/** Running API containers of a compose project. */
export async function appContainerIds(project: string): Promise<string[]> {
  const containers = await listProjectContainers(project);
  return containers.filter((container) => container.Labels[COMPOSE_SERVICE_LABEL] === APP_SERVICE).map((container) => container.Id);
}

/** The compose project whose container publishes `port` on the host, if any (for --use-running). */
export async function projectPublishingPort(port: number): Promise<string | undefined> {
  const containers = await dockerGet<Array<{ Labels: Record<string, string>; Ports: Array<{ PublicPort?: number }> }>>(
    `/containers/json?filters=${encodeURIComponent(JSON.stringify({ status: ['running'] }))}`,
  );
  const owner = containers.find((container) => container.Ports.some((p) => p.PublicPort === port));
  return owner?.Labels[COMPOSE_PROJECT_LABEL];
}

/** Replicas HAProxy routed to during the wait, and how long the wait took. */
export interface RoutingCheck {
  servedBy: string[];
  waitedMs: number;
}

/**
 * Waits until HAProxy spreads requests over exactly `replicas` API containers that all answer /readyz with 200,
 * seen in two consecutive rounds (X-Served-By names the replica). Gives up after `timeoutMs`.
 */
export async function waitForRouting(
  baseUrl: string,
  replicas: number,
  options: { timeoutMs: number; signal?: AbortSignal; onRound?: (seen: number, failures: number) => void },
): Promise<RoutingCheck> {
  const started = Date.now();
  let goodRounds = 0;
  let lastProblem = 'no round completed';
  // Enough concurrent requests per round that round-robin and leastconn both reach every server at least once.
  const perRound = Math.max(8, replicas * 6);
  while (Date.now() - started < options.timeoutMs) {
    options.signal?.throwIfAborted();
    const answers = await Promise.all(
      Array.from({ length: perRound }, async () => {
        try {
          const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
          await res.arrayBuffer();
          return { status: res.status, servedBy: res.headers.get('x-served-by') };
        } catch (error) {
          return { status: 0, servedBy: null, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const failures = answers.filter((answer) => answer.status !== 200).length;
    const servedBy = [...new Set(answers.flatMap((answer) => (answer.servedBy === null ? [] : [answer.servedBy])))].sort();
    options.onRound?.(servedBy.length, failures);
    if (failures === 0 && servedBy.length === replicas) {
      goodRounds += 1;
      if (goodRounds === 2) return { servedBy, waitedMs: Date.now() - started };
    } else {
      goodRounds = 0;
      const answering = `${servedBy.length} replica(s) answered (${servedBy.join(', ') || 'none'})`;
      lastProblem =
        failures > 0
          ? `${failures} of ${perRound} requests to /readyz failed; ${answering}`
          : `every request to /readyz succeeded, but only ${answering}: HAProxy holds the others out as not ready`;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`HAProxy at ${baseUrl} did not route to ${replicas} ready replica(s) within ${Math.round(options.timeoutMs / 1000)} s: ${lastProblem}`);
}
