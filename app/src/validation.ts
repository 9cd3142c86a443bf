import type { z } from 'zod';
import { badRequest } from './problem.js';

/** Parses input with a zod schema, throwing a 400 problem that names each invalid field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
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

/** Reads a JSON request body, throwing a 400 problem when it is not JSON. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') throw badRequest([{ name: 'body', reason: 'a JSON body is required' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest([{ name: 'body', reason: 'is not valid JSON' }]);
  }
}
