// The one way the tools wait for something to become true: ask, sleep, ask again, until a deadline or Ctrl-C.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between two checks (default 1 s). */
  intervalMs?: number;
  /** Stops the wait at once (Ctrl-C); the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The wait gave up; the message names what was awaited and the last problem seen. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Calls `check` until it returns a value other than undefined, at least once, every `intervalMs`; throws
 * WaitTimeoutError after `timeoutMs`. A check that throws counts as "not yet", its message as the last problem seen.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const started = Date.now();
  let lastProblem: string;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastProblem = 'not yet';
    } catch (error) {
      options.signal?.throwIfAborted();
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    const intervalMs = options.intervalMs ?? 1000;
    if (Date.now() - started + intervalMs > options.timeoutMs) {
      throw new WaitTimeoutError(`${what}: not done within ${formatSeconds(options.timeoutMs)} (${lastProblem})`);
    }
    await sleep(intervalMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
