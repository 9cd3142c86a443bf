// The API as a client sees it through HAProxy: the demo user, logging in, and the requests the tools make.
import { DEFAULT_DEMO_PASSWORD, DEMO_EMAIL, PAGE_SIZE } from '../../k6/lib/demo.js';
import { withDeadline } from './deadline.js';

export { PAGE_SIZE };

const REQUEST_TIMEOUT_MS = 30_000;

/** Someone who can log in. */
export interface Credentials {
  email: string;
  password: string;
}

/**
 * The demo user, as the k6 scripts read it: EMAIL and PASSWORD from the environment, the password falling back to
 * SEED_PASSWORD (what compose.yaml seeds with), then the seed's default.
 */
export function demoUser(env: NodeJS.ProcessEnv = process.env): Credentials {
  return { email: env.EMAIL || DEMO_EMAIL, password: env.PASSWORD || env.SEED_PASSWORD || DEFAULT_DEMO_PASSWORD };
}

/** The demo user of a stack seeded with `seedPassword`. */
export function demoUserSeededWith(seedPassword: string): Credentials {
  return { email: DEMO_EMAIL, password: seedPassword };
}

export interface Reply<T = unknown> {
  status: number;
  contentType: string;
  servedBy: string | null;
  body: T;
}

/** Sends one request and reads the whole body (JSON when the response says so), all within `timeoutMs`. */
export function request<T = unknown>(
  baseUrl: string,
  path: string,
  init: RequestInit = {},
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Reply<T>> {
  return withDeadline(
    timeoutMs,
    async (signal) => {
      const res = await fetch(`${baseUrl}${path}`, { ...init, signal });
      const contentType = res.headers.get('content-type') ?? '';
      const body = (contentType.includes('json') ? await res.json() : await res.text()) as T;
      return { status: res.status, contentType, servedBy: res.headers.get('x-served-by'), body };
    },
    init.signal,
  );
}

/** Logs in and returns the Cookie header value that carries the session ("sessionid=..."). */
export async function login(baseUrl: string, user: Credentials): Promise<string> {
  const { res, body } = await withDeadline(REQUEST_TIMEOUT_MS, async (signal) => {
    const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
      signal,
    });
    return { res, body: await res.text() };
  });
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('sessionid='));
  if (res.status !== 200 || session === undefined) {
    throw new Error(
      `POST /api/v1/auth/login as ${user.email}: status ${res.status}, ${session === undefined ? 'no sessionid cookie' : 'cookie set'}, body ${body.slice(0, 200)}`,
    );
  }
  const userId = (JSON.parse(body) as { user?: { id?: number } }).user?.id;
  if (typeof userId !== 'number') throw new Error(`POST /api/v1/auth/login as ${user.email}: no user id in ${body.slice(0, 200)}`);
  return session.split(';')[0] ?? session;
}

export interface RecipePage {
  recipes: Array<{ id: number; name: string; team_id: number }>;
  next_cursor: string | null;
}

/** GET /api/v1/recipes, with the session cookie when one is given. */
export function listRecipes(baseUrl: string, cookie: string | undefined, query = ''): Promise<Reply<RecipePage>> {
  return request<RecipePage>(baseUrl, `/api/v1/recipes${query}`, { headers: cookie === undefined ? {} : { cookie } });
}
