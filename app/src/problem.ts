import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A field-level validation failure, reported inside a 400 problem. */
export interface InvalidParam {
  name: string;
  reason: string;
}

/** An RFC 9457 problem: thrown by handlers, turned into an application/problem+json response in one place. */
export class Problem extends Error {
  readonly status: ContentfulStatusCode;
  readonly title: string;
  readonly detail: string;
  readonly invalidParams: InvalidParam[] | undefined;
  /** Response headers that belong to the problem, such as Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: ContentfulStatusCode,
    title: string,
    detail: string,
    invalidParams?: InvalidParam[],
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.invalidParams = invalidParams;
    this.headers = headers;
  }

  get type(): string {
    return `/problems/${this.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }
}

/** 400 naming the fields that were wrong. */
export function badRequest(invalidParams: InvalidParam[]): Problem {
  const detail = invalidParams.map((p) => `${p.name}: ${p.reason}`).join('; ');
  return new Problem(400, 'Invalid request', detail, invalidParams);
}

export function unauthorized(detail = 'A valid session cookie is required.'): Problem {
  return new Problem(401, 'Unauthorized', detail);
}

export function forbidden(detail: string): Problem {
  return new Problem(403, 'Forbidden', detail);
}

export function notFound(detail = 'No such resource.'): Problem {
  return new Problem(404, 'Not found', detail);
}

export function unsupportedMediaType(detail: string): Problem {
  return new Problem(415, 'Unsupported media type', detail);
}

export function tooManyRequests(detail: string, retryAfterSeconds: number): Problem {
  return new Problem(429, 'Too many requests', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });
}

/** The client hung up before its request arrived in full; nobody reads this answer, but the logs and metrics do. */
export function incompleteRequest(): Problem {
  return new Problem(400, 'Incomplete request', 'The connection closed before the request body arrived in full.');
}

/** A bug: logged with its stack where it happened; the client learns nothing more. */
export function internalError(): Problem {
  return new Problem(500, 'Internal server error', 'The server failed to handle the request.');
}

/** 503; with `retryAfterSeconds`, a Retry-After header saying when trying again makes sense. */
export function serviceUnavailable(detail: string, retryAfterSeconds?: number): Problem {
  return new Problem(503, 'Service unavailable', detail, undefined, retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) });
}

/** The body problemJson writes, for the OpenAPI document. `instance` is missing on the server's own answers. */
export const problemBody = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional(),
  invalid_params: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
});

/** The problem as its JSON body: the only place that formats errors, for the app and for the server's own answers. */
export function problemJson(problem: Problem, instance?: string): string {
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
  };
  if (problem.invalidParams) body['invalid_params'] = problem.invalidParams;
  return JSON.stringify(body);
}

/** Renders a problem as the app's response, with the request path as its instance. */
export function problemResponse(c: Context, problem: Problem): Response {
  for (const [name, value] of Object.entries(problem.headers)) c.header(name, value);
  c.header('Content-Type', PROBLEM_CONTENT_TYPE);
  return c.body(problemJson(problem, c.req.path), problem.status);
}
