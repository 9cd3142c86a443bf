// Small HTTP client for the API as seen through HAProxy's published port.

const REQUEST_TIMEOUT_MS = 60_000;

export interface Reply<T = unknown> {
  status: number;
  contentType: string;
  servedBy: string | null;
  body: T;
}

/** Sends one request and reads the whole body (JSON when the response says so). */
export async function request<T = unknown>(baseUrl: string, path: string, init: RequestInit = {}): Promise<Reply<T>> {
  const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
  const contentType = res.headers.get('content-type') ?? '';
  const body = (contentType.includes('json') ? await res.json() : await res.text()) as T;
  return { status: res.status, contentType, servedBy: res.headers.get('x-served-by'), body };
}

/** Logs in and returns the Cookie header value that carries the session. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`login as ${email} answered ${res.status}`);
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('sessionid='));
  if (!session) throw new Error('login set no sessionid cookie');
  return session.split(';')[0] ?? session;
}

export interface RecipePage {
  recipes: Array<{ id: number; name: string; team_id: number }>;
  next_cursor: string | null;
}

/** GET /api/v1/recipes with the session cookie. */
export function listRecipes(baseUrl: string, cookie: string, query = ''): Promise<Reply<RecipePage>> {
  return request<RecipePage>(baseUrl, `/api/v1/recipes${query}`, { headers: { cookie } });
}

/** Which replicas answer `count` sequential GET /healthz requests (X-Served-By), and how many failed. */
export async function sampleServedBy(
  baseUrl: string,
  count: number,
): Promise<{ servedBy: Set<string>; failures: number }> {
  const servedBy = new Set<string>();
  let failures = 0;
  for (let i = 0; i < count; i += 1) {
    try {
      const reply = await request(baseUrl, '/healthz', { signal: AbortSignal.timeout(5_000) });
      if (reply.status === 200 && reply.servedBy) servedBy.add(reply.servedBy);
      else failures += 1;
    } catch {
      failures += 1;
    }
  }
  return { servedBy, failures };
}

/** Calls `check` every `intervalMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1_000));
  }
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
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
        const reply = await request(baseUrl, '/healthz', { signal: AbortSignal.timeout(30_000) });
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
