// The startup-timeout bookkeeping every testcontainers wait strategy carries. testcontainers has the same base class
// (AbstractWaitStrategy) but does not export it from its package; this is its public twin for the kit's own strategies.
import type Dockerode from 'dockerode';
import type { WaitStrategy } from 'testcontainers';

/** A wait strategy with a startup timeout: `defaultTimeoutMs` until up() or the caller sets another. */
export abstract class TimedWaitStrategy implements WaitStrategy {
  protected startupTimeoutMs: number;
  #timeoutSet = false;

  constructor(defaultTimeoutMs: number) {
    this.startupTimeoutMs = defaultTimeoutMs;
  }

  abstract waitUntilReady(container: Dockerode.Container): Promise<void>;

  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    this.#timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.#timeoutSet;
  }

  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }
}
