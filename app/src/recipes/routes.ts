import { Hono } from 'hono';
import {
  requireSession,
  requireSessionCookie,
  sessionNotLive,
  type SessionTokenVariables,
  type SessionVariables,
} from '../auth/require-session.js';
import type { Sql } from '../db/client.js';
import * as operations from '../operations.js';
import { badRequest, notFound } from '../problem.js';
import { pathUnder, validated } from '../validation.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { listPageBody } from './list-page.js';
import { createRecipe, deleteRecipe, findRecipe, listRecipes, updateRecipe } from './queries.js';

const JSON_CONTENT = { 'Content-Type': 'application/json' };

function recipeNotFound(id: number) {
  return notFound(`Recipe ${id} does not exist or belongs to a team you are not in.`);
}

/** Where the recipe routes are mounted (app.ts). */
export const RECIPES_BASE = '/api/v1/recipes';

// Each route's method, path and input schemas come from its operation (operations.ts), as the OpenAPI document's do.
const { listRecipes: list, getRecipe: get, createRecipe: create, updateRecipe: update, deleteRecipe: remove } = operations;
const path = (operation: { path: string }) => pathUnder(RECIPES_BASE, operation);

/** The authenticated recipe routes: list, detail, create, update, delete. */
export function recipeRoutes(sql: Sql) {
  // The list checks the session in its own statement (queries.ts listRecipes). Handlers run in the order they are
  // registered, so the list, registered before the session middleware, answers without ever reaching it.
  return new Hono<{ Variables: SessionVariables & SessionTokenVariables }>()
    .on(list.method, path(list), requireSessionCookie, validated(list), async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = cursor === undefined ? 0 : decodeCursor(cursor);
      const page = await listRecipes(sql, c.var.sessionToken, after, limit);
      if (page === undefined) throw sessionNotLive();
      const nextCursor = page.more && page.lastId !== undefined ? encodeCursor(page.lastId) : null;
      return c.body(listPageBody(page, nextCursor), 200, JSON_CONTENT);
    })
    .use(requireSession(sql))
    .on(get.method, path(get), validated(get), async (c) => {
      const { id } = c.req.valid('param');
      const recipe = await findRecipe(sql, id, c.var.user.id);
      if (!recipe) throw recipeNotFound(id);
      return c.json(recipe);
    })
    .on(create.method, path(create), validated(create), async (c) => {
      const recipe = await createRecipe(sql, c.var.user.id, c.req.valid('json'));
      if (!recipe) throw badRequest([{ name: 'team_id', reason: 'is not a team you belong to' }]);
      c.header('Location', `/api/v1/recipes/${recipe.id}`);
      return c.json(recipe, 201);
    })
    .on(update.method, path(update), validated(update), async (c) => {
      const { id } = c.req.valid('param');
      const recipe = await updateRecipe(sql, id, c.var.user.id, c.req.valid('json'));
      if (!recipe) throw recipeNotFound(id);
      return c.json(recipe);
    })
    .on(remove.method, path(remove), validated(remove), async (c) => {
      const { id } = c.req.valid('param');
      if (!(await deleteRecipe(sql, id, c.var.user.id))) throw recipeNotFound(id);
      return c.body(null, 204);
    });
}
