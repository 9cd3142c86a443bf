import type { Context, Env, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { badRequest, unsupportedMediaType } from './problem.js';

/** The schemas of an operation's input (operations.ts). */
interface InputSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

type Side<O extends InputSchemas, Io extends 'in' | 'out'> = (O extends { params: infer S extends z.ZodType } ? { param: Io extends 'in' ? z.input<S> : z.output<S> } : object) &
  (O extends { query: infer S extends z.ZodType } ? { query: Io extends 'in' ? z.input<S> : z.output<S> } : object) &
  (O extends { body: infer S extends z.ZodType } ? { json: Io extends 'in' ? z.input<S> : z.output<S> } : object);

/** What `c.req.valid('param' | 'query' | 'json')` returns after the middleware ran: the schemas' output. */
type Validated<O extends InputSchemas> = { in: Side<O, 'in'>; out: Side<O, 'out'> };

/** Parses input with a zod schema, throwing a 400 problem that names each invalid field. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw badRequest(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      const name = [prefix, path].filter(Boolean).join('.') || (prefix ?? 'body');
      return { name, reason: issue.message };
    }),
  );
}

// application/json, with or without parameters such as charset.
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads a JSON request body: a 415 problem unless it is declared application/json (text/plain, form and multipart
 * bodies are what another site's page may send with the user's cookie and no CORS preflight), a 400 when it is
 * missing or not JSON.
 */
async function readJsonBody(c: Context): Promise<unknown> {
  if (!JSON_MEDIA_TYPE.test(c.req.header('content-type')?.trim() ?? '')) {
    throw unsupportedMediaType('The body must be sent with Content-Type: application/json.');
  }
  const text = await c.req.text();
  if (text.trim() === '') throw badRequest([{ name: 'body', reason: 'a JSON body is required' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest([{ name: 'body', reason: 'is not valid JSON' }]);
  }
}

/**
 * Validates a request against its operation's schemas: path parameters, then the query string (the first value of a
 * repeated key, fields reported as `query.<name>`), then the JSON body. The handler reads each with `c.req.valid()`.
 * Not hono/validator: its json target hands over `{}` for a non-JSON content type and answers bad JSON with its own 400.
 */
export function validated<O extends InputSchemas>(operation: O): MiddlewareHandler<Env, string, Validated<O>> {
  return async (c, next) => {
    if (operation.params) c.req.addValidatedData('param', parseInput(operation.params, c.req.param()) as object);
    if (operation.query) c.req.addValidatedData('query', parseInput(operation.query, c.req.query(), 'query') as object);
    if (operation.body) c.req.addValidatedData('json', parseInput(operation.body, await readJsonBody(c)) as object);
    await next();
  };
}

/** An operation's path as a router mounted at `base` registers it: `/api/v1/recipes/{id}` under the recipes is `/:id`. */
export function pathUnder(base: string, operation: { path: string }): string {
  if (!operation.path.startsWith(base)) throw new Error(`${operation.path} is not under ${base}`);
  return operation.path.slice(base.length).replace(/\{(\w+)\}/g, ':$1') || '/';
}
