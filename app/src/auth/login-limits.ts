import type { Config } from '../config.js';
import { tooManyRequests } from '../problem.js';

// Keys remembered per budget: about 100 bytes each, so a few MB however many emails or addresses an attacker invents.
const MAX_KEYS = 100_000;

/** A token bucket per key: `attempts` at once, then one more back every windowSeconds / attempts. */
class AttemptBudget {
  readonly #attempts: number;
  readonly #refillMs: number;
  // Least recently used first, so the key dropped when the map is full is the one idle longest.
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(attempts: number, windowSeconds: number) {
    this.#attempts = attempts;
    this.#refillMs = (windowSeconds * 1000) / attempts;
  }

  /** Uses one attempt of the key's budget: 0 when one was left, else the whole seconds until one is. */
  take(key: string): number {
    const now = performance.now();
    const bucket = this.#buckets.get(key);
    const tokens = bucket ? Math.min(this.#attempts, bucket.tokens + (now - bucket.at) / this.#refillMs) : this.#attempts;
    if (tokens < 1) return Math.ceil(((1 - tokens) * this.#refillMs) / 1000);
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > MAX_KEYS) this.#buckets.delete(this.#buckets.keys().next().value ?? key);
    return 0;
  }

  /** Gives the key its whole budget back. */
  restore(key: string): void {
    this.#buckets.delete(key);
  }
}

type LimitsConfig = Pick<
  Config,
  'loginAccountFailures' | 'loginAccountWindowSeconds' | 'loginAddressAttempts' | 'loginAddressWindowSeconds'
>;

/** Login attempts per client address and failed logins per account, kept in this replica's memory. */
export class LoginLimits {
  readonly #perAddress: AttemptBudget;
  readonly #perAccount: AttemptBudget;

  constructor(config: LimitsConfig) {
    this.#perAddress = new AttemptBudget(config.loginAddressAttempts, config.loginAddressWindowSeconds);
    this.#perAccount = new AttemptBudget(config.loginAccountFailures, config.loginAccountWindowSeconds);
  }

  /**
   * Counts an attempt to log in as `email` from `address`, before the password is checked, so parallel guesses
   * cannot all slip through; throws a 429 problem when either has no attempt left, whatever the password.
   */
  admit(address: string, email: string): void {
    const addressWait = this.#perAddress.take(address);
    if (addressWait > 0) {
      throw tooManyRequests(`Too many login attempts from your address; try again in ${addressWait} s.`, addressWait);
    }
    const accountWait = this.#perAccount.take(email.toLowerCase());
    if (accountWait > 0) {
      throw tooManyRequests(`Too many failed logins for this account; try again in ${accountWait} s.`, accountWait);
    }
  }

  /** A successful login gives the account its attempts back: only failures stay counted against it. */
  succeeded(email: string): void {
    this.#perAccount.restore(email.toLowerCase());
  }
}
