// The API's OpenAPI 3.1 document, built from the operation table (operations.ts): its zod schemas become JSON Schema
// 2020-12, OpenAPI 3.1's own dialect. Requests are described as a client sends them (zod's input side: defaults make
// a field optional), answers as the API writes them (the output side: no field beyond those listed).
import { z } from 'zod';
import { SESSION_COOKIE } from './auth/session-token.js';
import { OPERATIONS, PROBLEM_MEDIA_TYPE, type Answer, type Operation } from './operations.js';
import { problemBody } from './problem.js';

type JsonSchema = Record<string, unknown>;

const SECURITY_SCHEME = 'sessionCookie';
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** A zod schema as JSON Schema 2020-12, without the `$schema` line the document's dialect already states. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

/** The fields of an object schema as OpenAPI parameters of one location. */
function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}

function response(answer: Answer): JsonSchema {
  const headers = Object.entries(answer.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]);
  const contentType = answer.contentType ?? 'application/json';
  const schema = answer.body === problemBody ? PROBLEM_REF : answer.body === undefined ? undefined : jsonSchema(answer.body, 'output');
  const content = schema !== undefined || answer.contentType !== undefined ? { [contentType]: { schema: schema ?? { type: 'string' } } } : undefined;
  return {
    description: answer.description,
    ...(headers.length > 0 && { headers: Object.fromEntries(headers) }),
    ...(content && { content }),
  };
}

function operationObject(operation: Operation): JsonSchema {
  const documented = [...parameters(operation.params, 'path'), ...parameters(operation.query, 'query')];
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: [operation.tag],
    // An empty list: this operation needs no session, whatever a global default might say.
    security: operation.session ? [{ [SECURITY_SCHEME]: [] }] : [],
    ...(documented.length > 0 && { parameters: documented }),
    ...(operation.body && {
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body, 'input') } } },
    }),
    responses: Object.fromEntries(Object.entries(operation.responses).flatMap(([status, answer]) => (answer ? [[status, response(answer)]] : []))),
  };
}

/** The OpenAPI 3.1 document of `operations` (every operation of the API by default). */
export function buildOpenApiDocument(operations: readonly Operation[] = OPERATIONS): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'recipes API',
      version: '1',
      description:
        'Recipes of the teams a user belongs to, behind a session cookie. Bodies are JSON; every error is an RFC 9457 ' +
        `problem (${PROBLEM_MEDIA_TYPE}). Writes that carry an Origin header must come from the API's own origin.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [
      { name: 'auth', description: 'Logging in and out.' },
      { name: 'recipes', description: "The user's teams' recipes." },
      { name: 'operations', description: 'Health, readiness, metrics and this document.' },
    ],
    paths,
    components: {
      schemas: { Problem: jsonSchema(problemBody, 'output') },
      securitySchemes: {
        [SECURITY_SCHEME]: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /api/v1/auth/login.' },
      },
    },
  };
}
