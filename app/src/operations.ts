// Every operation of the API as data: its method and path, the zod schemas of its input and the answers it gives.
// The routers validate each request with these schemas (validation.ts, `validated`), and the OpenAPI document at
// GET /api/v1/openapi.json is built from this table (openapi.ts): one source for both.
import { z } from 'zod';
import { loginBody, loginResult } from './auth/schemas.js';
import { problemBody } from './problem.js';
import { createRecipeBody, listQuery, recipeDetail, recipePage, recipePath, updateRecipeBody } from './recipes/schemas.js';

/** One answer of an operation: a JSON body (or a problem), text, or nothing. */
export interface Answer {
  description: string;
  body?: z.ZodType;
  /** application/json unless said otherwise; problems are application/problem+json. */
  contentType?: string;
  /** Response headers that belong to the answer, by name. */
  headers?: Record<string, string>;
}

export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** The full path in OpenAPI's form: `/api/v1/recipes/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'auth' | 'recipes' | 'operations';
  /** Whether the session cookie is required. */
  session: boolean;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Partial<Record<number | 'default', Answer>>;
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

function problem(description: string, headers?: Record<string, string>): Answer {
  return { description, body: problemBody, contentType: PROBLEM_MEDIA_TYPE, ...(headers && { headers }) };
}

const RETRY_AFTER = { 'Retry-After': 'Seconds to wait before trying again.' };

// The answers several operations share.
const invalid = problem('Invalid input: `invalid_params` names each field (body, `query.<name>`, path parameter).');
const noSession = problem('No valid session: no cookie, a malformed one, an unknown, expired or logged-out session.');
const foreignOrigin = problem('An `Origin` other than the API\'s own or one of ALLOWED_ORIGINS (writes only).');
const tooLarge = problem('The body is over 64 KiB.');
const notJson = problem('The body is not declared `Content-Type: application/json`.');
const noRecipe = problem('No such recipe, or one of a team the user is not in.');
const databaseAway = problem('The database is unreachable; answered 1 s after the request arrived at the earliest.', RETRY_AFTER);
// Anything else: a request that did not arrive in time (408), headers over 16 KiB (431), a bug (500), and through
// HAProxy its own 502, 503 and 504.
const other = problem('Any other error, in the same shape.');

const jsonWrite = { 403: foreignOrigin, 413: tooLarge, 415: notJson };

/** The body of /healthz and /readyz. */
function healthStatus(status: string) {
  return z.object({ status: z.literal(status) });
}

export const listRecipes = {
  method: 'get',
  path: '/api/v1/recipes',
  operationId: 'listRecipes',
  summary: "Recipes of the user's teams, ordered by id, a page at a time (keyset pagination with an opaque cursor).",
  tag: 'recipes',
  session: true,
  query: listQuery,
  responses: { 200: { description: 'A page of recipes.', body: recipePage }, 400: invalid, 401: noSession, 503: databaseAway, default: other },
} as const satisfies Operation;

export const getRecipe = {
  method: 'get',
  path: '/api/v1/recipes/{id}',
  operationId: 'getRecipe',
  summary: 'One recipe with its ingredients and steps.',
  tag: 'recipes',
  session: true,
  params: recipePath,
  responses: { 200: { description: 'The recipe.', body: recipeDetail }, 400: invalid, 401: noSession, 404: noRecipe, 503: databaseAway, default: other },
} as const satisfies Operation;

export const createRecipe = {
  method: 'post',
  path: '/api/v1/recipes',
  operationId: 'createRecipe',
  summary: "Creates a recipe in one of the user's teams (`team_id`, by default the first).",
  tag: 'recipes',
  session: true,
  body: createRecipeBody,
  responses: {
    201: { description: 'The new recipe.', body: recipeDetail, headers: { Location: 'The new recipe\'s path, /api/v1/recipes/<id>.' } },
    400: invalid,
    401: noSession,
    ...jsonWrite,
    503: databaseAway,
    default: other,
  },
} as const satisfies Operation;

export const updateRecipe = {
  method: 'patch',
  path: '/api/v1/recipes/{id}',
  operationId: 'updateRecipe',
  summary: 'Changes any non-empty subset of the fields; `ingredients` and `steps` replace the lists.',
  tag: 'recipes',
  session: true,
  params: recipePath,
  body: updateRecipeBody,
  responses: { 200: { description: 'The changed recipe.', body: recipeDetail }, 400: invalid, 401: noSession, 404: noRecipe, ...jsonWrite, 503: databaseAway, default: other },
} as const satisfies Operation;

export const deleteRecipe = {
  method: 'delete',
  path: '/api/v1/recipes/{id}',
  operationId: 'deleteRecipe',
  summary: 'Deletes a recipe with its ingredients and steps.',
  tag: 'recipes',
  session: true,
  params: recipePath,
  responses: { 204: { description: 'Deleted.' }, 400: invalid, 401: noSession, 403: foreignOrigin, 404: noRecipe, 503: databaseAway, default: other },
} as const satisfies Operation;

export const login = {
  method: 'post',
  path: '/api/v1/auth/login',
  operationId: 'login',
  summary: 'Logs in: sets the session cookie (HttpOnly, SameSite=Lax, Max-Age the session lifetime; Secure with COOKIE_SECURE).',
  tag: 'auth',
  session: false,
  body: loginBody,
  responses: {
    200: { description: 'Logged in.', body: loginResult, headers: { 'Set-Cookie': 'sessionid=<token>; Max-Age=<ttl>; Path=/; HttpOnly; SameSite=Lax' } },
    400: invalid,
    401: problem('Wrong password or unknown email: the same answer, in about the same time.'),
    ...jsonWrite,
    429: problem('Too many login attempts from this address, or failed ones for this account.', RETRY_AFTER),
    503: databaseAway,
    default: other,
  },
} as const satisfies Operation;

export const logout = {
  method: 'post',
  path: '/api/v1/auth/logout',
  operationId: 'logout',
  summary: 'Logs out: deletes the session and clears the cookie.',
  tag: 'auth',
  session: false,
  responses: { 204: { description: 'Logged out, cookie cleared.', headers: { 'Set-Cookie': 'sessionid=; Max-Age=0; Path=/' } }, 403: foreignOrigin, 503: databaseAway, default: other },
} as const satisfies Operation;

export const openApiDocument = {
  method: 'get',
  path: '/api/v1/openapi.json',
  operationId: 'openApiDocument',
  summary: 'This document.',
  tag: 'operations',
  session: false,
  responses: { 200: { description: 'The OpenAPI 3.1 document of the API.', body: z.looseObject({ openapi: z.string(), paths: z.looseObject({}) }) }, default: other },
} as const satisfies Operation;

export const health = {
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  summary: 'Whether the process serves HTTP; no database call.',
  tag: 'operations',
  session: false,
  responses: { 200: { description: 'Up.', body: healthStatus('ok') }, default: other },
} as const satisfies Operation;

export const readiness = {
  method: 'get',
  path: '/readyz',
  operationId: 'readiness',
  summary: "Whether a database round trip succeeds and the replica is not shutting down (HAProxy's check; not served through HAProxy).",
  tag: 'operations',
  session: false,
  responses: { 200: { description: 'Ready.', body: healthStatus('ready') }, 503: problem('Shutting down, or the database is unreachable.'), default: other },
} as const satisfies Operation;

export const metrics = {
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics of this replica (not served through HAProxy).',
  tag: 'operations',
  session: false,
  responses: { 200: { description: 'Prometheus text exposition format.', contentType: 'text/plain' }, default: other },
} as const satisfies Operation;

/** Every operation, in the order the document lists them. */
export const OPERATIONS: readonly Operation[] = [
  login,
  logout,
  listRecipes,
  getRecipe,
  createRecipe,
  updateRecipe,
  deleteRecipe,
  health,
  readiness,
  metrics,
  openApiDocument,
];
