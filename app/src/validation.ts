import type { Context, Env, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { badRequest, unsupportedMediaType } from './problem.js';

type Target = 'json' | 'query' | 'param';

/** What `c.req.valid(target)` returns after the middleware ran: the schema's output. */
type Validated<T extends Target, S extends z.ZodType> = {
  in: { [K in T]: z.input<S> };
  out: { [K in T]: z.output<S> };
};

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

// Not hono/validator: its json target hands over `{}` for a non-JSON content type and answers bad JSON with its own 400.
function validate<T extends Target, S extends z.ZodType>(
  target: T,
  schema: S,
  read: (c: Context) => unknown,
  prefix?: string,
): MiddlewareHandler<Env, string, Validated<T, S>> {
  return async (c, next) => {
    c.req.addValidatedData(target, parseInput(schema, await read(c), prefix) as object);
    await next();
  };
}

/** Validates the JSON body; the handler reads it with `c.req.valid('json')`. */
export function validJson<S extends z.ZodType>(schema: S) {
  return validate('json', schema, readJsonBody);
}

/** Validates the query string (the first value of a repeated key), reporting fields as `query.<name>`. */
export function validQuery<S extends z.ZodType>(schema: S) {
  return validate('query', schema, (c) => c.req.query(), 'query');
}

/** Validates the path parameters. */
export function validParams<S extends z.ZodType>(schema: S) {
  return validate('param', schema, (c) => c.req.param());
}
