import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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

  constructor(status: ContentfulStatusCode, title: string, detail: string, invalidParams?: InvalidParam[]) {
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.invalidParams = invalidParams;
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

export function notFound(detail = 'No such resource.'): Problem {
  return new Problem(404, 'Not found', detail);
}

export function serviceUnavailable(detail: string): Problem {
  return new Problem(503, 'Service unavailable', detail);
}

/** Renders a problem as the response body, the only place that formats errors. */
export function problemResponse(c: Context, problem: Problem): Response {
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: c.req.path,
  };
  if (problem.invalidParams) body['invalid_params'] = problem.invalidParams;
  c.header('Content-Type', 'application/problem+json');
  return c.body(JSON.stringify(body), problem.status);
}
