import { join } from 'node:path';
import ts from 'typescript';
import type { KubernetesObject } from './kustomize.js';

/** The kubernetes-models module holding the model of this apiVersion and kind, e.g. kubernetes-models/apps/v1/Deployment. */
function modelModule(object: KubernetesObject): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

function describe(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

/**
 * Validates each object with kubernetes-models' JSON Schema validators (types, required fields, formats, enums).
 * Those accept unknown fields, as the OpenAPI schema does: see unknownFieldErrors for those.
 */
export async function schemaErrors(objects: readonly KubernetesObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) {
    let model: { validate(): void };
    try {
      const exports = (await import(modelModule(object))) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = exports[object.kind];
      if (Model === undefined) throw new Error(`no model ${object.kind}`);
      model = new Model(object);
    } catch {
      errors.push(`${describe(object)}: kubernetes-models has no ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      model.validate();
    } catch (error) {
      errors.push(`${describe(object)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

// A file name inside the repository, so that TypeScript resolves kubernetes-models from its node_modules.
const virtualFile = join(import.meta.dirname, '__manifests__.ts');

/**
 * Type-checks each object as an object literal against kubernetes-models' TypeScript interface for its kind.
 * TypeScript refuses properties an interface does not declare in a literal, so a misspelled or misplaced field
 * (`readinessProbee`, `spec.containers[0].ports[0].port`) is an error here at any depth; maps such as labels
 * and ConfigMap data are index signatures and take any key.
 */
export function unknownFieldErrors(objects: readonly KubernetesObject[]): string[] {
  // One object per line, so that a diagnostic's line names its object.
  const source = objects
    .map((object, i) => `export const o${i}: import('${modelModule(object)}').I${object.kind} = ${JSON.stringify(object)};`)
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === virtualFile
      ? ts.createSourceFile(fileName, source, languageVersion)
      : getSourceFile(fileName, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === virtualFile || fileExists(fileName);

  const program = ts.createProgram([virtualFile], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== virtualFile || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const object = objects[line];
    return object === undefined ? message : `${describe(object)}: ${message}`;
  });
}
