// Answers checked against the OpenAPI document (app/src/openapi.ts): the status must be one the operation lists (or
// its `default`), the media type the one listed for it, and a JSON body valid against its schema (Ajv, JSON Schema
// 2020-12 as in OpenAPI 3.1). buildApp (./app.ts) runs this on every answer the app gives a test.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { default as formats } from 'ajv-formats';
import { buildOpenApiDocument } from '../../src/openapi.js';

interface MediaType {
  schema: Record<string, unknown>;
}
interface DocumentedAnswer {
  content?: Record<string, MediaType>;
}
interface DocumentedOperation {
  responses: Record<string, DocumentedAnswer>;
}
interface Document {
  paths: Record<string, Record<string, DocumentedOperation>>;
  components: { schemas: Record<string, unknown> };
}

export const openApiDocument = buildOpenApiDocument() as unknown as Document;

// The document's components as one schema of their own, so that `#/components/schemas/...` references resolve.
const COMPONENTS_ID = 'urn:recipes-api:components';
const resolvable = (schema: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`)) as Record<string, unknown>;

// ajv-formats is CommonJS with an `exports.default`: Node's ES module loader hands over the module object.
const addFormats = formats.default;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addSchema({ $id: COMPONENTS_ID, $defs: resolvable(openApiDocument.components.schemas) });

/** The document's path template (`/api/v1/recipes/{id}`) that `path` matches, if any. */
export function documentedPath(path: string): string | undefined {
  const segments = path.split('/');
  return Object.keys(openApiDocument.paths).find((template) => {
    const templateSegments = template.split('/');
    return templateSegments.length === segments.length && templateSegments.every((segment, i) => /^\{\w+\}$/.test(segment) || segment === segments[i]);
  });
}

// One compiled validator per answer of the document.
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/**
 * Throws unless the answer to `method url` is one the document describes. Routes the document does not list (an
 * unknown path, a method a path does not have) and HEAD answers are not checked: the document has nothing to say.
 */
export async function expectDocumentedAnswer(method: string, url: string, response: Response): Promise<void> {
  const path = new URL(url, 'http://localhost').pathname;
  const template = documentedPath(path);
  const operation = template === undefined ? undefined : openApiDocument.paths[template]?.[method.toLowerCase()];
  if (operation === undefined) return;
  const what = `${method} ${path} (${template}) answered ${response.status}`;
  const answer = operation.responses[String(response.status)] ?? operation.responses.default;
  if (answer === undefined) throw new Error(`${what}: a status the OpenAPI document does not list`);
  const [mediaType, content] = Object.entries(answer.content ?? {})[0] ?? [];
  const text = await response.clone().text();
  if (mediaType === undefined || content === undefined) {
    if (text !== '') throw new Error(`${what} with a body, where the document lists none: ${text.slice(0, 200)}`);
    return;
  }
  const contentType = response.headers.get('content-type')?.split(';')[0]?.trim();
  if (contentType !== mediaType) throw new Error(`${what} as ${contentType}, where the document lists ${mediaType}`);
  if (!mediaType.endsWith('json')) return;
  const key = `${method} ${template} ${response.status}`;
  const validate = validators.get(key) ?? ajv.compile(resolvable(content.schema));
  validators.set(key, validate);
  if (!validate(JSON.parse(text))) {
    throw new Error(`${what}: the body does not match the document's schema: ${ajv.errorsText(validate.errors).slice(0, 500)}\n${text.slice(0, 500)}`);
  }
}
