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

/** What mixed traffic saw: requests sent, every failure, and the ids of the creates the API acknowledged (201). */
export interface MixedTrafficSeen {
  sent: number;
  failures: string[];
  acknowledgedCreates: number[];
}

/**
 * `workers` loops of sequential requests as the demo user until stopped: three page reads (GET /api/v1/recipes),
 * then one create (POST /api/v1/recipes). Bounded by `maxRequests` in all.
 */
export function mixedTraffic(
  baseUrl: string,
  cookie: string,
  options: { workers: number; maxRequests: number; label: string },
): { stop(): Promise<MixedTrafficSeen> } {
  let stopped = false;
  const seen: MixedTrafficSeen = { sent: 0, failures: [], acknowledgedCreates: [] };
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stopped && seen.sent < options.maxRequests; i += 1) {
      seen.sent += 1;
      try {
        if (i % 4 === 3) {
          const body = { name: `${options.label} worker ${w} request ${i}`, servings: 4, time: 25, tags: ['e2e'], ingredients: [{ name: 'flour', quantity: '500 g' }], steps: ['Mix.'] };
          const reply = await request<{ id?: number }>(baseUrl, '/api/v1/recipes', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) }, 30_000);
          if (reply.status === 201 && typeof reply.body.id === 'number') seen.acknowledgedCreates.push(reply.body.id);
          else seen.failures.push(`POST: HTTP ${reply.status} from ${reply.servedBy ?? 'HAProxy'}`);
        } else {
          const reply = await request(baseUrl, '/api/v1/recipes?limit=10', { headers: { cookie } }, 30_000);
          if (reply.status !== 200) seen.failures.push(`GET: HTTP ${reply.status} from ${reply.servedBy ?? 'HAProxy'}`);
        }
      } catch (error) {
        seen.failures.push(String(error));
      }
    }
  };
  const loops = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
  return {
    async stop() {
      stopped = true;
      await loops;
      return seen;
    },
  };
}

/** The ids among `ids` whose recipe the API no longer finds (GET /api/v1/recipes/:id is not 200). */
export async function missingRecipes(baseUrl: string, cookie: string, ids: readonly number[]): Promise<number[]> {
  const missing: number[] = [];
  for (const id of ids) {
    const reply = await request(baseUrl, `/api/v1/recipes/${id}`, { headers: { cookie } }, 30_000);
    if (reply.status !== 200) missing.push(id);
  }
  return missing;
}
