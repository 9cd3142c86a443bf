import { formatDuration } from './cli-options.js';

/** Progress lines on stderr: which step runs, and during timed steps how long is left (stdout stays clean). */
export class Progress {
  readonly #started = Date.now();
  readonly #stream: NodeJS.WriteStream;
  #plannedLoadMs = 0;
  #doneLoadMs = 0;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
  }

  /** Sets how much load the bench plans in all, once its steps are known. */
  planLoad(ms: number): void {
    this.#plannedLoadMs = ms;
  }

  #stamp(): string {
    return `[bench ${formatDuration(Date.now() - this.#started).padStart(6)}]`;
  }

  /** Announces a step. */
  step(message: string): void {
    this.#stream.write(`${this.#stamp()} ${message}\n`);
  }

  /**
   * Runs a timed load step, reporting the time left in it and in all planned load (every second on a terminal,
   * every 5 s otherwise), and counts its planned length as done when it ends.
   */
  async timed<T>(message: string, plannedMs: number, work: () => Promise<T>): Promise<T> {
    const tty = this.#stream.isTTY === true;
    const begin = Date.now();
    const report = (): void => {
      const elapsed = Date.now() - begin;
      const left = Math.max(0, plannedMs - elapsed);
      const allLeft = Math.max(0, this.#plannedLoadMs - this.#doneLoadMs - Math.min(elapsed, plannedMs));
      const seconds = (ms: number): string => (ms <= 0 ? '0s' : formatDuration(Math.ceil(ms / 1000) * 1000));
      const line = `${this.#stamp()} ${message}: ${seconds(left)} left (all load: ${seconds(allLeft)} left)`;
      this.#stream.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    };
    report();
    const timer = setInterval(report, tty ? 1000 : 5000);
    try {
      return await work();
    } finally {
      clearInterval(timer);
      this.#doneLoadMs += plannedMs;
      if (tty) this.#stream.write('\n');
    }
  }
}
