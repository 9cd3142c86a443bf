import { Hono } from 'hono';
import type postgres from 'postgres';
import { requireSession, type SessionVariables } from '../auth/require-session.js';
import type { Sql } from '../db/client.js';
import { badRequest, notFound } from '../problem.js';
import { validJson, validParams, validQuery } from '../validation.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { createRecipeBody, listQuery, recipePath, updateRecipeBody, type Ingredient } from './schemas.js';

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

/** The recipe with its ingredients and steps, if it belongs to one of the user's teams; one round trip. */
async function findRecipe(sql: Queryable, id: number, userId: number): Promise<RecipeDetail | undefined> {
  const [recipe] = await sql<RecipeDetail[]>`
    select
      r.id, r.team_id, r.name, r.author, r.source, r.servings, r.time_minutes as time, r.tags, r.created, r.modified,
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
      and r.team_id in (select team_id from team_members where user_id = ${userId})
  `;
  return recipe;
}

async function insertIngredients(sql: Queryable, recipe: number, ingredients: Ingredient[]): Promise<void> {
  if (ingredients.length === 0) return;
  const rows = ingredients.map((item, position) => ({
    recipe_id: recipe,
    position,
    name: item.name,
    quantity: item.quantity ?? null,
  }));
  await sql`insert into ingredients ${sql(rows, 'recipe_id', 'position', 'name', 'quantity')}`;
}

async function insertSteps(sql: Queryable, recipe: number, steps: string[]): Promise<void> {
  if (steps.length === 0) return;
  const rows = steps.map((text, position) => ({ recipe_id: recipe, position, text }));
  await sql`insert into steps ${sql(rows, 'recipe_id', 'position', 'text')}`;
}

function recipeNotFound(id: number) {
  return notFound(`Recipe ${id} does not exist or belongs to a team you are not in.`);
}

/** The authenticated recipe routes: list, detail, create, update, delete. */
export function recipeRoutes(sql: Sql) {
  return new Hono<{ Variables: SessionVariables }>()
    .use(requireSession(sql))
    .get('/', validQuery(listQuery), async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = cursor === undefined ? 0 : decodeCursor(cursor);
      // One row more than the page tells whether a next page exists without a count.
      const rows = await sql<RecipeSummary[]>`
        select r.id, r.team_id, r.name, r.author, r.source, r.servings, r.time_minutes as time, r.tags,
               r.created, r.modified
        from recipes r
        where r.team_id in (select team_id from team_members where user_id = ${c.var.user.id})
          and r.id > ${after}
        order by r.id
        limit ${limit + 1}
      `;
      const recipes = rows.slice(0, limit);
      const last = recipes.at(-1);
      const nextCursor = rows.length > limit && last ? encodeCursor(last.id) : null;
      return c.json({ recipes, next_cursor: nextCursor });
    })
    .get('/:id', validParams(recipePath), async (c) => {
      const { id } = c.req.valid('param');
      const recipe = await findRecipe(sql, id, c.var.user.id);
      if (!recipe) throw recipeNotFound(id);
      return c.json(recipe);
    })
    .post('/', validJson(createRecipeBody), async (c) => {
      const body = c.req.valid('json');
      const userId = c.var.user.id;
      const recipe = await sql.begin(async (tx) => {
        const [team] = await tx<{ team_id: number }[]>`
          select team_id from team_members
          where user_id = ${userId} ${body.team_id === undefined ? tx`` : tx`and team_id = ${body.team_id}`}
          order by team_id
          limit 1
        `;
        if (!team) {
          throw badRequest([{ name: 'team_id', reason: 'is not a team you belong to' }]);
        }
        const [created] = await tx<{ id: number }[]>`
          insert into recipes (team_id, name, author, source, servings, time_minutes, tags)
          values (${team.team_id}, ${body.name}, ${body.author ?? null}, ${body.source ?? null}, ${body.servings},
                  ${body.time ?? null}, ${tx.array(body.tags)})
          returning id
        `;
        if (!created) throw new Error('insert returned no row');
        await insertIngredients(tx, created.id, body.ingredients);
        await insertSteps(tx, created.id, body.steps);
        return findRecipe(tx, created.id, userId);
      });
      if (!recipe) throw new Error('created recipe not found');
      c.header('Location', `/api/v1/recipes/${recipe.id}`);
      return c.json(recipe, 201);
    })
    .patch('/:id', validParams(recipePath), validJson(updateRecipeBody), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const userId = c.var.user.id;
      const columns: Record<string, unknown> = {};
      if (body.name !== undefined) columns['name'] = body.name;
      if (body.author !== undefined) columns['author'] = body.author;
      if (body.source !== undefined) columns['source'] = body.source;
      if (body.servings !== undefined) columns['servings'] = body.servings;
      if (body.time !== undefined) columns['time_minutes'] = body.time;
      if (body.tags !== undefined) columns['tags'] = sql.array(body.tags);
      const recipe = await sql.begin(async (tx) => {
        // postgres.js picks its column-list syntax from the keyword just before the helper, so `set` stays beside it.
        const update =
          Object.keys(columns).length > 0
            ? tx`update recipes set ${tx(columns)}, modified = now()`
            : tx`update recipes set modified = now()`;
        const [updated] = await tx<{ id: number }[]>`
          ${update}
          where id = ${id}
            and team_id in (select team_id from team_members where user_id = ${userId})
          returning id
        `;
        if (!updated) return undefined;
        if (body.ingredients !== undefined) {
          await tx`delete from ingredients where recipe_id = ${id}`;
          await insertIngredients(tx, id, body.ingredients);
        }
        if (body.steps !== undefined) {
          await tx`delete from steps where recipe_id = ${id}`;
          await insertSteps(tx, id, body.steps);
        }
        return findRecipe(tx, id, userId);
      });
      if (!recipe) throw recipeNotFound(id);
      return c.json(recipe);
    })
    .delete('/:id', validParams(recipePath), async (c) => {
      const { id } = c.req.valid('param');
      const deleted = await sql`
        delete from recipes
        where id = ${id}
          and team_id in (select team_id from team_members where user_id = ${c.var.user.id})
      `;
      if (deleted.count === 0) throw recipeNotFound(id);
      return c.body(null, 204);
    });
}
