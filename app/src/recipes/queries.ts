import type postgres from 'postgres';
import { isLiveSession } from '../auth/sessions.js';
import type { Sql } from '../db/client.js';
import type { CreateRecipe, Ingredient, UpdateRecipe } from './schemas.js';

// Every statement here carries at least one parameter, so postgres.js never pipelines behind PgBouncer (db/client.ts).

export interface RecipeSummary {
  id: number;
  team_id: number;
  name: string;
  author: string | null;
  source: string | null;
  servings: number;
  time: number | null;
  tags: string[];
  created: Date;
  modified: Date;
}

export interface RecipeDetail extends RecipeSummary {
  ingredients: { position: number; name: string; quantity: string | null }[];
  steps: { position: number; text: string }[];
}

type Queryable = Sql | postgres.TransactionSql;

/**
 * The ids of the user's teams, as a subquery: recipes outside them are invisible, exactly like missing ones.
 * `user` is the user's id, or a column holding it.
 */
function userTeams(sql: Queryable, user: number | postgres.PendingQuery<postgres.Row[]>) {
  return sql`(select team_id from team_members where user_id = ${user})`;
}

/** A recipe's own columns as the API names them (`time_minutes` is `time`). */
function summaryColumns(sql: Queryable) {
  return sql`r.id, r.team_id, r.name, r.author, r.source, r.servings, r.time_minutes as time, r.tags, r.created, r.modified`;
}

/** The recipes row for the API's fields; a field left out stays undefined, which an insert stores as null. */
function recipeRow(sql: Queryable, fields: UpdateRecipe) {
  return {
    name: fields.name,
    author: fields.author,
    source: fields.source,
    servings: fields.servings,
    time_minutes: fields.time,
    tags: fields.tags === undefined ? undefined : sql.array(fields.tags),
  };
}

type RecipeColumn = keyof ReturnType<typeof recipeRow>;
const RECIPE_COLUMNS: RecipeColumn[] = ['name', 'author', 'source', 'servings', 'time_minutes', 'tags'];

/**
 * A list page as the bytes Postgres sent (postgres.js `.raw()`): the recipes' list items joined with commas, as UTF-8
 * JSON; the last one's id, for the next page's cursor; whether more recipes follow. Each item is stored in its row
 * (migrations/0002-recipe-summary-json.sql) and Postgres joins the page, so the API reads one value instead of a
 * hundred rows and sends those bytes on without decoding them into strings.
 */
export interface RecipeListPage {
  items: Buffer;
  lastId: number | undefined;
  more: boolean;
}

/**
 * Up to `count` recipes of the session's user with ids above `afterId`, in id order; undefined when `token` names no
 * live session. The session check and the page are one statement: one round trip to the database for the API's
 * busiest request instead of two. One row more than the page (`n`) tells whether a next page exists without a count.
 */
export async function listRecipes(sql: Sql, token: string, afterId: number, count: number): Promise<RecipeListPage | undefined> {
  // An aggregate answers one row even when no session matched; `live` tells that row from a live session's.
  const [row] = await sql`
    select
      coalesce(string_agg(page.json, ',') filter (where page.n <= ${count}), '') as items,
      max(page.id) filter (where page.n <= ${count}) as last_id,
      count(page.id) > ${count} as more,
      count(*) > 0 as live
    from sessions s
    left join lateral (
      select r.id, r.summary_json as json, row_number() over (order by r.id) as n
      from recipes r
      where r.team_id in ${userTeams(sql, sql`s.user_id`)}
        and r.id > ${afterId}
      order by r.id
      limit ${count + 1}
    ) page on true
    where ${isLiveSession(sql, token)}
  `.raw();
  // Text format: bigint as decimal digits, boolean as `t` or `f`.
  const [items, lastId, more, live] = row ?? [];
  if (live?.toString('latin1') !== 't') return undefined;
  return {
    items: items ?? Buffer.alloc(0),
    lastId: lastId ? Number(lastId.toString('latin1')) : undefined,
    more: more?.toString('latin1') === 't',
  };
}

/** The recipe with its ingredients and steps, if it belongs to one of the user's teams; one round trip. */
export async function findRecipe(sql: Queryable, id: number, userId: number): Promise<RecipeDetail | undefined> {
  const [recipe] = await sql<RecipeDetail[]>`
    select
      ${summaryColumns(sql)},
      coalesce((
        select json_agg(json_build_object('position', i.position, 'name', i.name, 'quantity', i.quantity)
                        order by i.position)
        from ingredients i where i.recipe_id = r.id
      ), '[]') as ingredients,
      coalesce((
        select json_agg(json_build_object('position', s.position, 'text', s.text) order by s.position)
        from steps s where s.recipe_id = r.id
      ), '[]') as steps
    from recipes r
    where r.id = ${id}
      and r.team_id in ${userTeams(sql, userId)}
  `;
  return recipe;
}

async function insertIngredients(sql: Queryable, recipeId: number, ingredients: Ingredient[]): Promise<void> {
  if (ingredients.length === 0) return;
  const rows = ingredients.map((item, position) => ({ ...item, recipe_id: recipeId, position }));
  await sql`insert into ingredients ${sql(rows, 'recipe_id', 'position', 'name', 'quantity')}`;
}

async function insertSteps(sql: Queryable, recipeId: number, steps: string[]): Promise<void> {
  if (steps.length === 0) return;
  const rows = steps.map((text, position) => ({ recipe_id: recipeId, position, text }));
  await sql`insert into steps ${sql(rows, 'recipe_id', 'position', 'text')}`;
}

/** Creates the recipe in `team_id`, or else the user's first team; undefined when `team_id` is not one of theirs. */
export async function createRecipe(sql: Sql, userId: number, recipe: CreateRecipe): Promise<RecipeDetail | undefined> {
  return sql.begin(async (tx) => {
    const [team] = await tx<{ team_id: number }[]>`
      select team_id from ${userTeams(tx, userId)} as teams
      ${recipe.team_id === undefined ? tx`` : tx`where team_id = ${recipe.team_id}`}
      order by team_id
      limit 1
    `;
    if (!team) return undefined;
    const row = { ...recipeRow(tx, recipe), team_id: team.team_id };
    const columns: (keyof typeof row)[] = ['team_id', ...RECIPE_COLUMNS];
    const [created] = await tx<{ id: number }[]>`
      insert into recipes ${tx(row, columns)}
      returning id
    `;
    if (!created) throw new Error('insert returned no row');
    await insertIngredients(tx, created.id, recipe.ingredients);
    await insertSteps(tx, created.id, recipe.steps);
    const stored = await findRecipe(tx, created.id, userId);
    if (!stored) throw new Error('created recipe not found');
    return stored;
  });
}

/** Applies the given fields and replaces the given lists; undefined when the recipe is not one the user can see. */
export async function updateRecipe(
  sql: Sql,
  id: number,
  userId: number,
  changes: UpdateRecipe,
): Promise<RecipeDetail | undefined> {
  const row = recipeRow(sql, changes);
  const columns = RECIPE_COLUMNS.filter((column) => row[column] !== undefined);
  return sql.begin(async (tx) => {
    // postgres.js picks its column-list syntax from the keyword just before the helper, so `set` stays beside it.
    const update =
      columns.length > 0
        ? tx`update recipes set ${tx(row, columns)}, modified = now()`
        : tx`update recipes set modified = now()`;
    const [updated] = await tx<{ id: number }[]>`
      ${update}
      where id = ${id}
        and team_id in ${userTeams(tx, userId)}
      returning id
    `;
    if (!updated) return undefined;
    if (changes.ingredients !== undefined) {
      await tx`delete from ingredients where recipe_id = ${id}`;
      await insertIngredients(tx, id, changes.ingredients);
    }
    if (changes.steps !== undefined) {
      await tx`delete from steps where recipe_id = ${id}`;
      await insertSteps(tx, id, changes.steps);
    }
    return findRecipe(tx, id, userId);
  });
}

/** Deletes the recipe with its ingredients and steps; false when it is not one the user can see. */
export async function deleteRecipe(sql: Sql, id: number, userId: number): Promise<boolean> {
  const deleted = await sql`
    delete from recipes
    where id = ${id}
      and team_id in ${userTeams(sql, userId)}
  `;
  return deleted.count > 0;
}
