import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** How this machine runs Compose: the v2 plugin (`docker compose`) or the standalone binary (`docker-compose`). */
export interface ComposeCli {
  /** The argv prefix, e.g. ['docker', 'compose'] or ['docker-compose']. */
  command: readonly [string, ...string[]];
  /** True for the standalone binary, which testcontainers must be told about. */
  standalone: boolean;
}

/** Where and as what a compose project runs. */
export interface ComposeProject {
  cli: ComposeCli;
  /** Folder holding compose.yaml. */
  cwd: string;
  name: string;
  /** Variables compose.yaml interpolates (ports, passwords), on top of this process's environment. */
  env: Record<string, string>;
}

async function answers(command: string, args: string[]): Promise<boolean> {
  try {
    await execFileAsync(command, args, { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Prefers the v2 plugin; falls back to docker-compose (v1, or a standalone v2 binary). */
export async function detectComposeCli(): Promise<ComposeCli> {
  if (await answers('docker', ['compose', 'version'])) return { command: ['docker', 'compose'], standalone: false };
  if (await answers('docker-compose', ['version'])) return { command: ['docker-compose'], standalone: true };
  throw new Error('Neither `docker compose` (v2 plugin) nor `docker-compose` answers `version`; install one of them.');
}

/** The command line a person would type, for logs and error messages. */
export function describeCompose(project: ComposeProject, args: readonly string[]): string {
  return [...project.cli.command, '-p', project.name, ...args].join(' ');
}

/** Runs `compose -p <project> <args>` in the project's folder; throws with compose's output when it fails. */
export async function runCompose(project: ComposeProject, args: readonly string[], timeoutMs: number): Promise<string> {
  const [command, ...prefix] = project.cli.command;
  try {
    const { stdout, stderr } = await execFileAsync(command, [...prefix, '-p', project.name, ...args], {
      cwd: project.cwd,
      env: { ...process.env, ...project.env },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`${describeCompose(project, args)}\` failed:\n${stdout}${stderr}`.trim(), { cause: error });
  }
}
