import { PAGE_SIZE, listRecipes, login, type Credentials } from '../tools/stack/index.js';

/** One preflight check and what was seen. */
export interface PreflightCheck {
  name: string;
  ok: boolean;
  detail: string;
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

function recipeCount(body: unknown): number | null {
  return typeof body === 'object' && body !== null && 'recipes' in body && Array.isArray(body.recipes) ? body.recipes.length : null;
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
export async function preflight(baseUrl: string, user: Credentials): Promise<PreflightCheck[]> {
  let cookie: string | undefined;
  const checks: PreflightCheck[] = [];
  checks.push(
    await attempt('demo login', async () => {
      cookie = await login(baseUrl, user);
      return `200 with ${cookie.split('=')[0]} cookie`;
    }),
  );
  checks.push(
    await attempt(`list page has ${PAGE_SIZE} recipes`, async () => {
      if (cookie === undefined) throw new Error('skipped: no session');
      const res = await listRecipes(baseUrl, cookie);
      const count = recipeCount(res.body);
      if (res.status !== 200 || count !== PAGE_SIZE) {
        throw new Error(`GET /api/v1/recipes: status ${res.status}, ${count === null ? 'no recipes array' : `${count} recipes`}`);
      }
      return `200 with ${count} recipes`;
    }),
  );
  checks.push(
    await attempt('no session gets 401', async () => {
      const res = await listRecipes(baseUrl, undefined);
      if (res.status !== 401) throw new Error(`GET /api/v1/recipes without a cookie: status ${res.status}, expected 401`);
      return '401';
    }),
  );
  if (checks.some((check) => !check.ok)) throw new PreflightError(checks);
  return checks;
}
