import { describe, expect, it } from 'vitest';
import { WaitTimeoutError, waitFor } from '../stack/waiting.js';

describe('waitFor', () => {
  it('returns the first value a check gives, retrying checks that give nothing or throw', async () => {
    let calls = 0;
    const value = await waitFor(
      'the third call',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('not up');
        return calls === 3 ? 'ready' : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 1 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('gives up naming what it waited for and the last problem seen', async () => {
    const waiting = waitFor('the replica', () => Promise.reject(new Error('connection refused')), { timeoutMs: 30, intervalMs: 5 });
    await expect(waiting).rejects.toThrow(WaitTimeoutError);
    await expect(waiting).rejects.toThrow(/the replica: not done within 30 ms \(connection refused\)/);
  });

  it('checks at least once even with no time to wait', async () => {
    await expect(waitFor('now', () => Promise.resolve(1), { timeoutMs: 0 })).resolves.toBe(1);
  });

  it('stops waiting when its signal aborts, without another check', async () => {
    const controller = new AbortController();
    let calls = 0;
    const waiting = waitFor('never', () => {
      calls += 1;
      return Promise.resolve(undefined);
    }, { timeoutMs: 60_000, intervalMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted by SIGINT')), 20);
    await expect(waiting).rejects.toThrow();
    expect(calls).toBe(1);
  });
});
