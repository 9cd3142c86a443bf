import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** What every rendered object has; the rest is read by the tests that need it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** Whether `kubectl` answers; without it nothing can be rendered. */
export function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Renders a kustomization with `kubectl kustomize` and returns its objects, in kustomize's order. */
export function renderKustomization(dir: string, options: { loadFilesOutsideRoot?: boolean } = {}): KubernetesObject[] {
  const args = ['kustomize', dir];
  if (options.loadFilesOutsideRoot) args.push('--load-restrictor', 'LoadRestrictionsNone');
  const output = execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseObjects(output);
}

/** Parses multi-document YAML into objects; a syntax error in any document throws. */
export function parseObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as KubernetesObject;
  });
}
