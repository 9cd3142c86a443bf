import { spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { PassThrough, type Writable } from 'node:stream';

/** Exit code and combined output of a finished command. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also appends stdout and stderr here (e.g. the compose log of a bench run). */
  log?: WriteStream;
  /** Sends SIGINT (then SIGKILL after 10 s) to the command when aborted. */
  signal?: AbortSignal;
  /** Kills the command after this long. */
  timeoutMs?: number;
  /** Called with the process id once the command started (e.g. to sample its CPU). */
  onSpawn?: (pid: number) => void;
}

/** Runs a command to completion without a shell and returns its exit status and output; never throws on exit codes. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      options.log?.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      child.kill('SIGINT');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    const timeout = options.timeoutMs === undefined ? undefined : setTimeout(stop, options.timeoutMs);

    const finish = (result: CommandResult): void => {
      if (timeout !== undefined) clearTimeout(timeout);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', stop);
      resolve(result);
    };
    child.on('error', (error) => finish({ code: null, signal: null, output: `${output}${error.message}` }));
    child.on('close', (code, signal) => finish({ code, signal, output }));
  });
}

/** The last lines of a command's output, for error messages. */
export function tail(output: string, lines = 15): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A stream that keeps what is written to it, and copies it to `copy` when given. */
export function captured(copy?: Writable): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    copy?.write(chunk);
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
