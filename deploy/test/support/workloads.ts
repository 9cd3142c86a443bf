import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KubernetesObject } from './kustomize.js';

/** The rendered object of this kind and name (generated ConfigMaps: the name before the hash suffix). */
export function findObject<T = unknown>(objects: readonly KubernetesObject[], kind: string, name: string): T & KubernetesObject {
  const object = objects.find((o) => o.kind === kind && baseName(o) === name);
  if (object === undefined) throw new Error(`no ${kind}/${name} among the rendered objects`);
  return object as T & KubernetesObject;
}

/** An object's name without the content hash kustomize appends to generated ConfigMaps (haproxy-config-26bb54hcd2). */
export function baseName(object: KubernetesObject): string {
  return object.kind === 'ConfigMap' ? object.metadata.name.replace(/-[a-z0-9]{10}$/, '') : object.metadata.name;
}

/** Kinds that run pods, each with its pod template at spec.template. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

export function podSpec(workload: KubernetesObject): IPodSpec {
  const spec = (workload as { spec?: { template?: { spec?: IPodSpec } } }).spec?.template?.spec;
  if (spec === undefined) throw new Error(`${workload.kind}/${workload.metadata.name} has no pod template`);
  return spec;
}

/** Every pod spec among the objects, with the name of the workload it belongs to. */
export function podSpecs(objects: readonly KubernetesObject[]): Array<{ workload: string; spec: IPodSpec }> {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((o) => ({ workload: `${o.kind}/${o.metadata.name}`, spec: podSpec(o) }));
}

/** The one container of a workload (every workload here runs exactly one, named like the workload). */
export function mainContainer(objects: readonly KubernetesObject[], kind: string, name: string): IContainer {
  const container = podSpec(findObject(objects, kind, name)).containers.find((c) => c.name === name);
  if (container === undefined) throw new Error(`${kind}/${name} has no container named ${name}`);
  return container;
}

/** A container's plain environment value (not one taken from a Secret), or undefined. */
export function envValue(container: IContainer, name: string): string | undefined {
  return container.env?.find((variable) => variable.name === name)?.value;
}

