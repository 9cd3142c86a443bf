import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi.js';
import { buildApp } from './support/app.js';
import { useTestDatabase } from './support/database.js';
import { openApiDocument } from './support/openapi.js';

const db = useTestDatabase();
const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const METHODS = ['get', 'post', 'patch', 'delete'];

/** "GET /api/v1/recipes/{id}" for every operation of the document. */
function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

/** The README's section under `heading`, up to the next heading of any level. */
function readmeSection(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const end = README.slice(start + heading.length + 2).search(/\n#{2,3} /);
  return README.slice(start, end < 0 ? undefined : start + heading.length + 2 + end);
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 to a standard validator, which refuses a broken copy', async () => {
    const validator = new Validator();
    expect(await validator.validate(buildOpenApiDocument())).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    const broken = { ...buildOpenApiDocument(), paths: { '/api/v1/recipes': { get: { responses: { 200: {} } } } } };
    expect((await validator.validate(broken)).valid).toBe(false);
  });

  it('is served at GET /api/v1/openapi.json, as JSON nobody caches', async () => {
    const { app } = buildApp(db.sql);
    const response = await app.request('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(buildOpenApiDocument());
  });

  it('lists exactly the routes the app serves', () => {
    const { app } = buildApp(db.sql);
    const served = app.routes
      .filter((route) => METHODS.includes(route.method.toLowerCase()))
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    expect([...new Set(served)].sort()).toEqual(documentedOperations(openApiDocument));
  });

  it("has every route of the README's route table, with its parameters", () => {
    const routes = [...readmeSection('### Routes').matchAll(/^\| `(GET|POST|PATCH|DELETE) ([^`?\s]+)(?:\?([^`\s]*))?/gm)];
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const [, method = '', path = '', query = ''] of routes) {
      const template = path.replace(/:(\w+)/g, '{$1}');
      const operation = openApiDocument.paths[template]?.[method.toLowerCase()] as { parameters?: Array<{ name: string; in: string }> } | undefined;
      expect(operation, `${method} ${path}`).toBeDefined();
      const names = (operation?.parameters ?? []).map((parameter) => `${parameter.in}:${parameter.name}`);
      const wanted = [...[...path.matchAll(/:(\w+)/g)].map((m) => `path:${m[1]}`), ...[...query.matchAll(/(\w+)=/g)].map((m) => `query:${m[1]}`)];
      expect(names.sort(), `${method} ${path}`).toEqual(wanted.sort());
    }
  });

  it("describes every status of the README's error table, as problems in one shape", () => {
    const statuses = [...readmeSection('### Errors').matchAll(/^\| (\d{3}(?:, \d{3})*) \|/gm)].flatMap((m) => (m[1] ?? '').split(', '));
    expect(statuses).toContain('429');
    const operations = Object.values(openApiDocument.paths).flatMap((item) => Object.values(item));
    for (const status of statuses) {
      // A status no operation lists by number is one of the `default` answers every operation has.
      const answers = operations.map((operation) => operation.responses[status] ?? operation.responses.default);
      expect(answers.every((answer) => answer?.content?.['application/problem+json']?.schema), status).toBe(true);
    }
    expect(openApiDocument.components.schemas.Problem).toMatchObject({ required: ['type', 'title', 'status', 'detail'] });
  });

  it('requires the session cookie exactly where the API checks it', () => {
    const document = buildOpenApiDocument() as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, Record<string, { security: unknown[] }>>;
    };
    expect(document.components.securitySchemes).toEqual({ sessionCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'sessionid' }) });
    const secured = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.entries(item).filter(([, operation]) => operation.security.length > 0).map(([method]) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(secured).toEqual(documentedOperations(document).filter((operation) => operation.includes('/api/v1/recipes')));
  });
});
