import type { WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitForSettledService } from './docker.js';
import { runCommand, tail } from './processes.js';

/** The folder holding compose.yaml (the repository), and the file itself: every tool starts this one file. */
export const COMPOSE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_FILE = 'compose.yaml';

/** Compose service that runs the API; `--scale` applies to it. */
export const APP_SERVICE = 'app';

/** How this machine runs Compose: the v2 plugin (`docker compose`) or the standalone binary (`docker-compose`). */
export type ComposeCli = readonly [string, ...string[]];

// Building the API image from scratch takes minutes on a 2-core machine; anything else compose does takes seconds.
const BUILD_TIMEOUT_MS = 15 * 60_000;
const COMMAND_TIMEOUT_MS = 5 * 60_000;
// A restarted replica passes its first health check within one interval (5 s in compose.yaml); a minute is ample.
const SETTLE_TIMEOUT_MS = 60_000;

/** "docker compose" (v2 plugin) when it answers, else "docker-compose" (v1, or a standalone v2 binary). */
export async function detectComposeCli(): Promise<ComposeCli> {
  const v2 = await runCommand('docker', ['compose', 'version'], { timeoutMs: 15_000 });
  if (v2.code === 0) return ['docker', 'compose'];
  const v1 = await runCommand('docker-compose', ['version'], { timeoutMs: 15_000 });
  if (v1.code === 0) return ['docker-compose'];
  throw new Error('neither "docker compose" (v2 plugin) nor "docker-compose" answers `version`; install one of them');
}

/** Parses a compose command given as text ("docker compose", "docker-compose"). */
export function parseComposeCli(text: string): ComposeCli {
  const words = text.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) throw new Error('the compose command is empty');
  return words as unknown as ComposeCli;
}

/** The compose command's own version, e.g. "docker compose 2.26.1". */
export async function composeVersion(cli: ComposeCli): Promise<string> {
  const [command, ...prefix] = cli;
  const result = await runCommand(command, [...prefix, 'version', '--short'], { timeoutMs: 15_000 });
  return `${cli.join(' ')} ${result.code === 0 ? result.output.trim() : 'unknown'}`;
}

/**
 * One compose project of compose.yaml: brings it up at a replica count, rescales it and takes it down. Every
 * command runs in the repository with the project's variables on top of this process's environment.
 */
export class ComposeProject {
  readonly cli: ComposeCli;
  readonly name: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly #log: WriteStream | undefined;

  constructor(options: { cli: ComposeCli; name: string; cwd: string; env?: Record<string, string>; log?: WriteStream }) {
    this.cli = options.cli;
    this.name = options.name;
    this.cwd = options.cwd;
    this.env = options.env ?? {};
    this.#log = options.log;
  }

  /** The command line a person would type for `args`, for progress lines and error messages. */
  describe(args: readonly string[]): string {
    return [...this.cli, '-p', this.name, ...args].join(' ');
  }

  /** Runs `compose -p <project> <args>`; returns its output, or throws with the last lines of it. */
  async run(args: readonly string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const [command, ...prefix] = this.cli;
    this.#log?.write(`\n$ ${this.describe(args)}\n`);
    const result = await runCommand(command, [...prefix, '-p', this.name, ...args], {
      cwd: this.cwd,
      env: { ...process.env, ...this.env },
      timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      ...(this.#log === undefined ? {} : { log: this.#log }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (result.code !== 0) {
      throw new Error(`\`${this.describe(args)}\` failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`);
    }
    return result.output;
  }

  /**
   * The arguments of `up` for `replicas` API containers: building the API image first, or (`build` false) rescaling
   * with `--no-recreate`, which leaves running containers as they are, or (`rescale` false too) starting with
   * `--no-build`, which runs the images as they are (one named by APP_IMAGE is never built over).
   */
  upArgs(replicas: number, build: boolean, rescale = !build): string[] {
    return ['up', '-d', ...(rescale ? ['--no-recreate'] : build ? ['--build'] : ['--no-build']), '--scale', `${APP_SERVICE}=${replicas}`];
  }

  /**
   * Starts the stack with `replicas` API containers, building the images first unless `build` is false. Compose returns
   * once migrations ran and every replica reported healthy (HAProxy depends on that); routing is checked separately
   * (waitForRouting).
   */
  async up(replicas: number, signal?: AbortSignal, build = true): Promise<void> {
    await this.run(this.upArgs(replicas, build, false), { timeoutMs: BUILD_TIMEOUT_MS, ...(signal === undefined ? {} : { signal }) });
  }

  /**
   * Sets the number of API replicas the way an operator would, leaving every other container as it is; first waits
   * for replicas being restarted after a crash to pass their health check (waitForSettledService).
   */
  async scale(replicas: number, signal?: AbortSignal): Promise<void> {
    await waitForSettledService(this.name, APP_SERVICE, SETTLE_TIMEOUT_MS);
    await this.run(this.upArgs(replicas, false), signal === undefined ? {} : { signal });
  }

  /** The arguments of `down`: containers, network and the data volume all go. */
  static readonly DOWN_ARGS = ['down', '--volumes', '--remove-orphans', '--timeout', '10'] as const;

  /** Stops the stack and deletes its containers, network and volumes. */
  async down(): Promise<void> {
    await this.run(ComposeProject.DOWN_ARGS);
  }
}
