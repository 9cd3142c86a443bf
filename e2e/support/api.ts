// Traffic helpers of the e2e tests, on top of the shared API client (tools/stack/api.ts).
import { request, waitFor } from '../../tools/stack/index.js';

/** Which replicas answer `count` sequential GET /healthz requests (X-Served-By), and how many failed. */
export async function sampleServedBy(
  baseUrl: string,
  count: number,
): Promise<{ servedBy: Set<string>; failures: number }> {
  const servedBy = new Set<string>();
  let failures = 0;
  for (let i = 0; i < count; i += 1) {
    try {
      const reply = await request(baseUrl, '/healthz', {}, 5_000);
      if (reply.status === 200 && reply.servedBy) servedBy.add(reply.servedBy);
      else failures += 1;
    } catch {
      failures += 1;
    }
  }
  return { servedBy, failures };
}

/** Calls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export function pollUntil<T>(what: string, check: () => Promise<T | undefined>, options: { timeoutMs: number; intervalMs?: number }): Promise<T> {
  return waitFor(what, check, options);
}

/** Sequential GET /healthz requests running in the background until stopped; collects every failure. */
export function backgroundTraffic(
  baseUrl: string,
  options: { maxRequests: number },
): { stop(): Promise<{ sent: number; failures: string[] }> } {
  let stopped = false;
  let sent = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (!stopped && sent < options.maxRequests) {
      sent += 1;
      try {
        const reply = await request(baseUrl, '/healthz', {}, 30_000);
        if (reply.status !== 200) failures.push(`HTTP ${reply.status} from ${reply.servedBy ?? 'HAProxy'}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { sent, failures };
    },
  };
}
