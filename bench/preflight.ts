/** The demo user the seed creates (EMAIL and PASSWORD as in k6/lib/config.js; SEED_PASSWORD as in compose.yaml). */
export const DEMO_USER = {
  email: process.env.EMAIL || 'demo@example.com',
  password: process.env.PASSWORD || process.env.SEED_PASSWORD || 'demo-password',
};

/** Recipes on a list page without `limit` (the API's default page size). */
export const PAGE_SIZE = 100;

/** One preflight check and what was seen. */
export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The stack answered the preflight correctly; `cookie` is a logged-in session for the load. */
export interface PreflightResult {
  cookie: string;
  checks: PreflightCheck[];
}

/** The stack is not fit to measure; the message lists every failed check. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  readonly checks: PreflightCheck[];
  constructor(checks: PreflightCheck[]) {
    super(`preflight failed, the stack is not measured:\n${checks.filter((c) => !c.ok).map((c) => `  - ${c.name}: ${c.detail}`).join('\n')}`);
    this.checks = checks;
  }
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Logs in and returns the session cookie ("sessionid=..."), or throws with the status and body seen. */
export async function login(baseUrl: string, user = DEMO_USER): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await res.text();
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('sessionid='));
  if (res.status !== 200 || session === undefined) {
    throw new Error(`POST /api/v1/auth/login as ${user.email}: status ${res.status}, ${session === undefined ? 'no sessionid cookie' : 'cookie set'}, body ${body.slice(0, 200)}`);
  }
  return session.split(';')[0] as string;
}

async function getRecipes(baseUrl: string, cookie: string | undefined): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}/api/v1/recipes`, {
    headers: cookie === undefined ? {} : { cookie },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, body: await res.text() };
}

function recipeCount(body: string): number | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'recipes' in parsed && Array.isArray(parsed.recipes)) return parsed.recipes.length;
  } catch {
    // not JSON: reported as "no recipes array" below
  }
  return null;
}

async function attempt(name: string, run: () => Promise<string>): Promise<PreflightCheck> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Checks the stack answers like the API should before any load: the demo user logs in, the first list page holds
 * a full page of recipes, and a request without a session is refused with 401. Throws PreflightError otherwise.
 */
export async function preflight(baseUrl: string): Promise<PreflightResult> {
  let cookie: string | undefined;
  const checks: PreflightCheck[] = [];
  checks.push(
    await attempt('demo login', async () => {
      cookie = await login(baseUrl);
      return `200 with ${cookie.split('=')[0]} cookie`;
    }),
  );
  checks.push(
    await attempt(`list page has ${PAGE_SIZE} recipes`, async () => {
      if (cookie === undefined) throw new Error('skipped: no session');
      const res = await getRecipes(baseUrl, cookie);
      const count = recipeCount(res.body);
      if (res.status !== 200 || count !== PAGE_SIZE) {
        throw new Error(`GET /api/v1/recipes: status ${res.status}, ${count === null ? 'no recipes array' : `${count} recipes`}`);
      }
      return `200 with ${count} recipes`;
    }),
  );
  checks.push(
    await attempt('no session gets 401', async () => {
      const res = await getRecipes(baseUrl, undefined);
      if (res.status !== 401) throw new Error(`GET /api/v1/recipes without a cookie: status ${res.status}, expected 401`);
      return '401';
    }),
  );
  if (cookie === undefined || checks.some((check) => !check.ok)) throw new PreflightError(checks);
  return { cookie, checks };
}
