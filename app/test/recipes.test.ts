import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/recipes/cursor.js';
import type { RecipeDetail, RecipeSummary } from '../src/recipes/queries.js';
import { buildApp, login } from './support/app.js';
import { OTHER_EMAIL } from './support/constants.js';
import { useTestDatabase } from './support/database.js';

const db = useTestDatabase();

interface Page {
  recipes: RecipeSummary[];
  next_cursor: string | null;
}

async function session(email?: string) {
  const { app } = buildApp(db.sql);
  const cookie = await login(app, email);
  const call = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, cookie, call };
}

async function teamIds(email: string): Promise<number[]> {
  const rows = await db.sql<{ team_id: number }[]>`
    select m.team_id from team_members m join users u on u.id = m.user_id where u.email = ${email}
  `;
  return rows.map((row) => row.team_id);
}

async function expectBadRequest(response: Response, field: string) {
  expect(response.status).toBe(400);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as { status: number; invalid_params: { name: string }[]; detail: string };
  expect(problem.status).toBe(400);
  expect(problem.invalid_params.map((p) => p.name)).toContain(field);
  expect(problem.detail).toContain(field);
}

describe('GET /api/v1/recipes', () => {
  it('returns the first 100 of the team, ordered by id, as list items without ingredients or steps', async () => {
    const { call } = await session();
    const response = await call('GET', '/api/v1/recipes');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('test-replica');
    const page = (await response.json()) as Page;
    expect(page.recipes).toHaveLength(100);
    expect(page.next_cursor).toEqual(expect.any(String));
    const ids = page.recipes.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(Object.keys(page.recipes[0] ?? {}).sort()).toEqual(
      ['author', 'created', 'id', 'modified', 'name', 'servings', 'source', 'tags', 'team_id', 'time'].sort(),
    );
    const demoTeams = await teamIds('demo@example.com');
    expect(page.recipes.every((r) => demoTeams.includes(r.team_id))).toBe(true);
  });

  it('walks all 2000 demo recipes exactly once, page by page', async () => {
    const { call } = await session();
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
      const page = (await (await call('GET', `/api/v1/recipes${query}`)).json()) as Page;
      seen.push(...page.recipes.map((r) => r.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < 100);
    expect(pages).toBe(20);
    expect(seen).toHaveLength(2000);
    expect(new Set(seen).size).toBe(2000);
    const [{ count }] = await db.sql<[{ count: number }]>`
      select count(*)::int as count from recipes r join teams t on t.id = r.team_id where t.slug = 'demo'
    `;
    expect(count).toBe(2000);
  });

  it('honours limit and ends with a null cursor', async () => {
    const { call } = await session(OTHER_EMAIL);
    const small = (await (await call('GET', '/api/v1/recipes?limit=7')).json()) as Page;
    expect(small.recipes).toHaveLength(7);
    const first = (await (await call('GET', '/api/v1/recipes?limit=100')).json()) as Page;
    const second = (await (await call('GET', `/api/v1/recipes?limit=100&cursor=${first.next_cursor}`)).json()) as Page;
    expect(first.recipes.length + second.recipes.length).toBe(200);
    expect(second.next_cursor).toBeNull();
  });

  it('answers an empty page past the last recipe', async () => {
    const { call } = await session();
    const response = await call('GET', `/api/v1/recipes?cursor=${encodeCursor(Number.MAX_SAFE_INTEGER)}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"recipes":[],"next_cursor":null}');
  });

  it('shows each team only its own recipes', async () => {
    const { call } = await session(OTHER_EMAIL);
    const otherTeams = await teamIds(OTHER_EMAIL);
    const page = (await (await call('GET', '/api/v1/recipes')).json()) as Page;
    expect(page.recipes.length).toBe(100);
    expect(page.recipes.every((r) => otherTeams.includes(r.team_id))).toBe(true);
  });

  it('writes each list item exactly as the recipe\'s detail writes the same fields, awkward text included', async () => {
    const { call } = await session();
    const awkward = [
      { name: 'Quotes " and \\ backslash', author: 'Tab\there\nnew line', source: 'Control \u0001\u001f\u007f', tags: [] },
      { name: 'Crème\u2028brûlée 😀 </script>', author: null, source: null, time: null, tags: ['a"b', 'ü', '\\', 'x\ny'] },
      { name: 'Plain', servings: 1, time: 0, tags: ['one'] },
    ];
    const summaries: Partial<RecipeDetail>[] = [];
    for (const fields of awkward) {
      const created = await call('POST', '/api/v1/recipes', { servings: 4, ...fields });
      expect(created.status).toBe(201);
      const detail = (await created.json()) as RecipeDetail;
      const summary: Partial<RecipeDetail> = { ...detail };
      delete summary.ingredients;
      delete summary.steps;
      const response = await call('GET', `/api/v1/recipes?limit=1&cursor=${encodeCursor(detail.id - 1)}`);
      const body = await response.text();
      // Compact and escaped as JSON.stringify writes it, and holding the detail's values: the same bytes.
      expect(JSON.stringify(JSON.parse(body))).toBe(body);
      expect((JSON.parse(body) as Page).recipes).toEqual([summary]);
      expect(response.headers.get('content-type')).toBe('application/json');
      summaries.push(summary);
    }
    // All of them on one page: the whole body, separators and cursor included, is what JSON.stringify writes.
    const first = summaries[0]?.id ?? 0;
    const page = await call('GET', `/api/v1/recipes?limit=2&cursor=${encodeCursor(first - 1)}`);
    const body = await page.text();
    expect(body).toBe(JSON.stringify({ recipes: summaries.slice(0, 2), next_cursor: encodeCursor(summaries[1]?.id ?? 0) }));
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=101', 'query.limit'],
    ['limit=-1', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['limit=1.5', 'query.limit'],
    ['cursor=garbage!', 'cursor'],
    [`cursor=${Buffer.from('r1:-1').toString('base64url')}`, 'cursor'],
  ])('answers 400 for %s', async (query, field) => {
    const { call } = await session();
    await expectBadRequest(await call('GET', `/api/v1/recipes?${query}`), field);
  });
});

describe('GET /api/v1/recipes/:id', () => {
  it('returns the recipe with its ingredients and steps in order', async () => {
    const { call } = await session();
    const [row] = await db.sql<{ id: number }[]>`
      select r.id from recipes r join teams t on t.id = r.team_id where t.slug = 'demo' order by r.id limit 1
    `;
    const response = await call('GET', `/api/v1/recipes/${row?.id}`);
    expect(response.status).toBe(200);
    const recipe = (await response.json()) as RecipeDetail;
    expect(recipe.id).toBe(row?.id);
    expect(recipe.ingredients.length).toBeGreaterThanOrEqual(3);
    expect(recipe.ingredients.length).toBeLessThanOrEqual(12);
    expect(recipe.steps.length).toBeGreaterThanOrEqual(2);
    expect(recipe.steps.length).toBeLessThanOrEqual(8);
    expect(recipe.ingredients.map((i) => i.position)).toEqual(recipe.ingredients.map((_, i) => i));
    expect(recipe.steps.map((s) => s.position)).toEqual(recipe.steps.map((_, i) => i));
  });

  it("answers another team's recipe exactly like a missing one", async () => {
    const { call } = await session(OTHER_EMAIL);
    const [demo] = await db.sql<{ id: number }[]>`
      select r.id from recipes r join teams t on t.id = r.team_id where t.slug = 'demo' limit 1
    `;
    const foreign = await call('GET', `/api/v1/recipes/${demo?.id}`);
    const missing = await call('GET', '/api/v1/recipes/999999999');
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const strip = (body: unknown) => ({ ...(body as object), detail: undefined, instance: undefined });
    expect(strip(await foreign.json())).toEqual(strip(await missing.json()));
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999999999999', '1e3'])('answers 400 naming id for /%s', async (id) => {
    const { call } = await session();
    await expectBadRequest(await call('GET', `/api/v1/recipes/${id}`), 'id');
  });
});

describe('POST, PATCH and DELETE /api/v1/recipes', () => {
  const full = {
    name: 'Weeknight Dal',
    author: 'Priya Raman',
    source: 'Family notebook',
    servings: 4,
    time: 35,
    tags: ['vegan', 'quick'],
    ingredients: [
      { name: 'red lentils', quantity: '250 g' },
      { name: 'turmeric', quantity: '1 tsp' },
      { name: 'salt' },
    ],
    steps: ['Rinse the lentils.', 'Simmer with turmeric for 20 minutes.', 'Season and serve.'],
  };

  it('creates a recipe with 201 and a Location that serves it', async () => {
    const { call } = await session();
    const response = await call('POST', '/api/v1/recipes', full);
    expect(response.status).toBe(201);
    const created = (await response.json()) as RecipeDetail;
    expect(response.headers.get('location')).toBe(`/api/v1/recipes/${created.id}`);
    expect(created).toMatchObject({ name: full.name, servings: 4, time: 35, tags: ['vegan', 'quick'] });
    expect(created.ingredients).toEqual([
      { position: 0, name: 'red lentils', quantity: '250 g' },
      { position: 1, name: 'turmeric', quantity: '1 tsp' },
      { position: 2, name: 'salt', quantity: null },
    ]);
    expect(created.steps.map((s) => s.text)).toEqual(full.steps);
    const fetched = await call('GET', `/api/v1/recipes/${created.id}`);
    expect(await fetched.json()).toEqual(created);
    expect(await teamIds('demo@example.com')).toContain(created.team_id);
  });

  it('applies defaults to a minimal recipe', async () => {
    const { call } = await session();
    const created = (await (await call('POST', '/api/v1/recipes', { name: 'Toast' })).json()) as RecipeDetail;
    expect(created).toMatchObject({ name: 'Toast', servings: 4, time: null, author: null, tags: [], ingredients: [], steps: [] });
  });

  it('updates the given fields, replaces lists, and moves modified forward', async () => {
    const { call } = await session();
    const created = (await (await call('POST', '/api/v1/recipes', full)).json()) as RecipeDetail;
    const response = await call('PATCH', `/api/v1/recipes/${created.id}`, {
      name: 'Sunday Dal',
      servings: 6,
      tags: ['dal'],
      ingredients: [{ name: 'yellow split peas', quantity: '300 g' }],
    });
    expect(response.status).toBe(200);
    const updated = (await response.json()) as RecipeDetail;
    expect(updated).toMatchObject({ name: 'Sunday Dal', servings: 6, time: 35, author: 'Priya Raman', tags: ['dal'] });
    expect(updated.ingredients).toEqual([{ position: 0, name: 'yellow split peas', quantity: '300 g' }]);
    expect(updated.steps).toEqual(created.steps);
    expect(new Date(updated.modified).getTime()).toBeGreaterThan(new Date(created.modified).getTime());
    const rows = await db.sql`select name from ingredients where recipe_id = ${created.id}`;
    expect(rows.map((r) => r.name)).toEqual(['yellow split peas']);
  });

  it('deletes with 204, after which the recipe and its rows are gone', async () => {
    const { call } = await session();
    const created = (await (await call('POST', '/api/v1/recipes', full)).json()) as RecipeDetail;
    expect((await call('DELETE', `/api/v1/recipes/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/recipes/${created.id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/recipes/${created.id}`)).status).toBe(404);
    expect(await db.sql`select 1 from ingredients where recipe_id = ${created.id}`).toHaveLength(0);
    expect(await db.sql`select 1 from steps where recipe_id = ${created.id}`).toHaveLength(0);
  });

  it("cannot change or delete another team's recipe, and the recipe stays as it was", async () => {
    const demo = await session();
    const other = await session(OTHER_EMAIL);
    const created = (await (await demo.call('POST', '/api/v1/recipes', full)).json()) as RecipeDetail;
    expect((await other.call('PATCH', `/api/v1/recipes/${created.id}`, { name: 'Hijacked' })).status).toBe(404);
    expect((await other.call('DELETE', `/api/v1/recipes/${created.id}`)).status).toBe(404);
    expect(await (await demo.call('GET', `/api/v1/recipes/${created.id}`)).json()).toEqual(created);
  });

  it("refuses to create a recipe in another team's name", async () => {
    const { call } = await session(OTHER_EMAIL);
    const [demoTeam] = await teamIds('demo@example.com');
    await expectBadRequest(await call('POST', '/api/v1/recipes', { name: 'Sneaky', team_id: demoTeam }), 'team_id');
    expect(await db.sql`select 1 from recipes where name = 'Sneaky'`).toHaveLength(0);
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['an empty name', { name: '   ' }, 'name'],
    ['a long name', { name: 'x'.repeat(201) }, 'name'],
    ['servings of 0', { name: 'A', servings: 0 }, 'servings'],
    ['fractional servings', { name: 'A', servings: 2.5 }, 'servings'],
    ['servings as text', { name: 'A', servings: 'four' }, 'servings'],
    ['a negative time', { name: 'A', time: -5 }, 'time'],
    ['tags that are not a list', { name: 'A', tags: 'vegan' }, 'tags'],
    ['too many tags', { name: 'A', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['an ingredient without a name', { name: 'A', ingredients: [{ quantity: '1' }] }, 'ingredients.0.name'],
    ['a NUL character', { name: 'Bad\u0000Name' }, 'name'],
    ['a NUL in a step', { name: 'A', steps: ['ok', 'b\u0000d'] }, 'steps.1'],
    ['an unknown field', { name: 'A', colour: 'red' }, 'body'],
    ['a JSON array', [], 'body'],
    ['JSON null', null, 'body'],
    ['broken JSON', '{"name": ', 'body'],
  ])('answers 400 for %s on create, and stores nothing', async (_, body, field) => {
    const { call } = await session();
    const [{ before }] = await db.sql<[{ before: number }]>`select count(*)::int as before from recipes`;
    await expectBadRequest(await call('POST', '/api/v1/recipes', body === null ? 'null' : body), field);
    const [{ after }] = await db.sql<[{ after: number }]>`select count(*)::int as after from recipes`;
    expect(after).toBe(before);
  });

  it.each([
    ['an empty patch', {}, 'body'],
    ['a null name', { name: null }, 'name'],
    ['servings too large', { servings: 1001 }, 'servings'],
  ])('answers 400 for %s on update', async (_, body, field) => {
    const { call } = await session();
    await expectBadRequest(await call('PATCH', '/api/v1/recipes/1', body), field);
  });

  it('answers 413 with a problem for a body over 64 KiB', async () => {
    const { call } = await session();
    const response = await call('POST', '/api/v1/recipes', { name: 'Huge', source: 'x'.repeat(70_000) });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('never answers 5xx to hostile input', async () => {
    const { call } = await session();
    const inputs: [string, string, unknown][] = [
      ['POST', '/api/v1/recipes', { name: 'x', servings: 1e308 }],
      ['POST', '/api/v1/recipes', { name: 'x', team_id: 1e30 }],
      ['POST', '/api/v1/recipes', { name: 'x', time: Number.MAX_SAFE_INTEGER }],
      ['POST', '/api/v1/recipes', { name: { $gt: '' } }],
      ['POST', '/api/v1/recipes', { name: 'x', tags: [null] }],
      ['POST', '/api/v1/recipes', { name: 'x', ingredients: 'flour' }],
      ['POST', '/api/v1/recipes', '\u0000'],
      ['PATCH', '/api/v1/recipes/1', { tags: ['\u0000'] }],
      ['PATCH', '/api/v1/recipes/9007199254740993', { name: 'x' }],
      ['GET', "/api/v1/recipes/1' or '1'='1", undefined],
      ['GET', '/api/v1/recipes?limit=100&limit=5', undefined],
      ['GET', '/api/v1/recipes?cursor=', undefined],
      ['DELETE', '/api/v1/recipes/%00', undefined],
    ];
    for (const [method, path, body] of inputs) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});
