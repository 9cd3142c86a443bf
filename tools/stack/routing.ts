import { request } from './api.js';
import { waitFor } from './waiting.js';

/** Replicas HAProxy routed to, and how long it took until it did. */
export interface Routing {
  servedBy: string[];
  waitedMs: number;
}

/**
 * "HAProxy routes to N ready replicas": requests to /healthz through HAProxy all answer 200 and are spread over
 * exactly `replicas` distinct API containers (X-Served-By), in two consecutive rounds. HAProxy sends traffic only to
 * replicas whose /readyz check passes (a database round trip), so every replica answering is a ready one; /readyz
 * itself is for HAProxy's checks and is not served on the public frontend. Gives up after `timeoutMs`.
 */
export async function waitForRouting(
  baseUrl: string,
  replicas: number,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Routing> {
  const started = Date.now();
  let goodRounds = 0;
  // Enough concurrent requests per round that round-robin reaches every server at least once.
  const perRound = Math.max(8, replicas * 6);
  const round = async (): Promise<Routing | undefined> => {
    const answers = await Promise.all(
      Array.from({ length: perRound }, async () => {
        try {
          const reply = await request(baseUrl, '/healthz', {}, 5_000);
          return { status: reply.status, servedBy: reply.servedBy };
        } catch {
          return { status: 0, servedBy: null };
        }
      }),
    );
    const failures = answers.filter((answer) => answer.status !== 200).length;
    const servedBy = [...new Set(answers.flatMap((answer) => (answer.servedBy === null ? [] : [answer.servedBy])))].sort();
    if (failures === 0 && servedBy.length === replicas) {
      goodRounds += 1;
      return goodRounds === 2 ? { servedBy, waitedMs: Date.now() - started } : undefined;
    }
    goodRounds = 0;
    const answering = `${servedBy.length} replica(s) answered (${servedBy.join(', ') || 'none'})`;
    throw new Error(
      failures > 0 ? `${failures} of ${perRound} requests to /healthz failed; ${answering}` : `every request to /healthz succeeded, but ${answering}`,
    );
  };
  return waitFor(`HAProxy at ${baseUrl} routing to ${replicas} ready replica(s)`, round, options);
}
