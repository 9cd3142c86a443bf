// The stack on Kubernetes (deploy/kubernetes/): an overlay applied in a namespace of its own, its pods and their
// readiness, scaling, rollouts, pod deletions and a port-forward to the `haproxy` Service. Everything goes through
// kubectl, as an operator would type it, against the cluster KUBECONFIG names (any cluster: kind, minikube, the
// local one of infra/kubernetes/local-cluster.sh).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runCommand, tail } from './processes.js';
import type { Announce } from './swarm.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Kustomize folders of the stack. */
export const KUSTOMIZE_DIR = join(REPO_ROOT, 'deploy/kubernetes');
const COMMAND_TIMEOUT_MS = 2 * 60_000;

/** One pod as the tools read it. */
export interface PodState {
  name: string;
  node: string;
  ip: string;
  phase: string;
  /** Ready now (and not terminating). */
  ready: boolean;
  /** When the Ready condition last turned true, in epoch ms; null before it ever did. */
  readySince: number | null;
  terminating: boolean;
}

// The subset of a Pod object read here.
interface PodObject {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase: string; podIP?: string; conditions?: Array<{ type: string; status: string; lastTransitionTime: string }> };
}

/** An open `kubectl port-forward`: the local port, and how to close it. */
export interface PortForward {
  port: number;
  /** What kubectl printed, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The kubectl program: KUBECTL when set (a build matching the cluster), else the one on PATH. */
export function kubectlProgram(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBECTL || 'kubectl';
}

/** Runs kubectl; returns its output, or throws with the last lines of it. */
export async function kubectl(args: readonly string[], options: { announce?: Announce; timeoutMs?: number } = {}): Promise<string> {
  options.announce?.(`kubectl ${args.join(' ')}`);
  const result = await runCommand(kubectlProgram(), args, { cwd: REPO_ROOT, timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`\`kubectl ${args.join(' ')}\` failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`);
  return result.output;
}

/** A Kustomize patch (JSON 6902 or strategic merge, as YAML) and the objects it applies to. */
export interface KustomizePatch {
  target: { kind: string; name: string };
  patch: string;
}

/**
 * Renders a Kustomize folder, optionally into another namespace than its own (the Namespace object renamed too)
 * and with patches on top.
 */
export async function renderKustomization(
  dir: string,
  options: { namespace?: string; patches?: KustomizePatch[]; loadRestrictorNone?: boolean } = {},
): Promise<string> {
  const restrictor = options.loadRestrictorNone ? ['--load-restrictor', 'LoadRestrictionsNone'] : [];
  if (options.namespace === undefined && options.patches === undefined) return kubectl(['kustomize', ...restrictor, dir]);
  // A kustomization of one resource, the folder (by a relative path: Kustomize refuses absolute ones): Kustomize
  // moves every object into the namespace, renames the Namespace object, and applies the patches.
  const wrapper = await mkdtemp(join(tmpdir(), 'recipes-kustomize-'));
  try {
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      resources: [relative(wrapper, dir)],
      ...(options.patches === undefined ? {} : { patches: options.patches }),
    };
    await writeFile(join(wrapper, 'kustomization.yaml'), stringify(kustomization));
    return await kubectl(['kustomize', ...restrictor, wrapper]);
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

/** The stack in one namespace of a cluster. */
export class KubernetesStack {
  readonly namespace: string;
  private readonly announce?: Announce;

  constructor(options: { namespace: string; announce?: Announce }) {
    this.namespace = options.namespace;
    this.announce = options.announce;
  }

  /** kubectl in this namespace. */
  kubectl(args: readonly string[], timeoutMs?: number): Promise<string> {
    return kubectl(['-n', this.namespace, ...args], { announce: this.announce, timeoutMs });
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as T;
  }

  /** `kubectl apply` of rendered manifests. */
  async apply(manifests: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'recipes-apply-'));
    try {
      await writeFile(join(dir, 'manifests.yaml'), manifests);
      return await this.kubectl(['apply', '-f', join(dir, 'manifests.yaml')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Applies an overlay of deploy/kubernetes/overlays (e.g. dev) into this namespace. */
  async applyOverlay(overlay: string): Promise<void> {
    await this.apply(await renderKustomization(join(KUSTOMIZE_DIR, 'overlays', overlay), { namespace: this.namespace }));
  }

  /** Applies deploy/kubernetes/loadtest (the k6 Job and its scripts) into this namespace, with `env` added to k6's. */
  async applyLoadtest(env: Record<string, string> = {}): Promise<void> {
    const patches = Object.entries(env).map(([name, value]) => ({
      target: { kind: 'Job', name: 'k6' },
      patch: stringify([{ op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name, value } }]),
    }));
    await this.apply(await renderKustomization(join(KUSTOMIZE_DIR, 'loadtest'), { namespace: this.namespace, patches, loadRestrictorNone: true }));
  }

  /** Waits for `kubectl wait --for=...` on one object. */
  async waitFor(object: string, condition: string, timeoutMs: number): Promise<void> {
    await this.kubectl(['wait', `--for=${condition}`, `--timeout=${Math.round(timeoutMs / 1000)}s`, object], timeoutMs + 30_000);
  }

  /** Waits until a Deployment or StatefulSet has rolled out completely. */
  async rolloutStatus(object: string, timeoutMs: number): Promise<void> {
    await this.kubectl(['rollout', 'status', object, `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 30_000);
  }

  /** The pods matching a label selector. */
  async pods(selector: string): Promise<PodState[]> {
    const list = await this.json<{ items: PodObject[] }>(['get', 'pods', '-l', selector]);
    return list.items.map((pod) => {
      const ready = pod.status.conditions?.find((condition) => condition.type === 'Ready');
      const isReady = ready?.status === 'True';
      return {
        name: pod.metadata.name,
        node: pod.spec.nodeName ?? '',
        ip: pod.status.podIP ?? '',
        phase: pod.status.phase,
        ready: isReady && pod.metadata.deletionTimestamp === undefined,
        readySince: isReady && ready ? Date.parse(ready.lastTransitionTime) : null,
        terminating: pod.metadata.deletionTimestamp !== undefined,
      };
    });
  }

  /** Names of the ready, not terminating pods of a selector, sorted. */
  async readyPodNames(selector: string): Promise<string[]> {
    return (await this.pods(selector))
      .filter((pod) => pod.ready)
      .map((pod) => pod.name)
      .sort();
  }

  async scale(deployment: string, replicas: number): Promise<void> {
    await this.kubectl(['scale', `deployment/${deployment}`, `--replicas=${replicas}`]);
  }

  /** A new rollout of the Deployment's pods (a changed template annotation), as `kubectl rollout restart` does. */
  async restart(deployment: string): Promise<void> {
    await this.kubectl(['rollout', 'restart', `deployment/${deployment}`]);
  }

  /** Deletes a pod with its grace period, as an eviction or an operator would; returns when it is gone. */
  async deletePod(name: string, timeoutMs = 2 * 60_000): Promise<void> {
    await this.kubectl(['delete', 'pod', name, '--wait=true', `--timeout=${Math.round(timeoutMs / 1000)}s`], timeoutMs + 30_000);
  }

  /** Runs a command in a pod's first container; returns its exit code and output (never throws on exit codes). */
  async exec(pod: string, command: readonly string[], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
    this.announce?.(`kubectl -n ${this.namespace} exec ${pod} -- ${command.join(' ')}`);
    const result = await runCommand(kubectlProgram(), ['-n', this.namespace, 'exec', pod, '--', ...command], { cwd: REPO_ROOT, timeoutMs });
    return { code: result.code, output: result.output };
  }

  /**
   * `kubectl port-forward svc/<service>` on 127.0.0.1: `localPort` 0 lets kubectl pick a free one. Resolves once
   * kubectl says it is forwarding.
   */
  portForward(service: string, remotePort: number, localPort = 0, timeoutMs = 60_000): Promise<PortForward> {
    const args = ['-n', this.namespace, 'port-forward', '--address', '127.0.0.1', `svc/${service}`, `${localPort}:${remotePort}`];
    this.announce?.(`kubectl ${args.join(' ')}`);
    const child: ChildProcess = spawn(kubectlProgram(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        void stop();
        reject(new Error(`kubectl port-forward svc/${service} did not start within ${timeoutMs / 1000} s:\n${tail(output)}`));
      }, timeoutMs);
      const read = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const forwarding = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
        if (forwarding) {
          clearTimeout(timer);
          resolve({ port: Number(forwarding[1]), output: () => output, stop });
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`kubectl port-forward svc/${service} exited (${code}) before forwarding:\n${tail(output)}`));
      });
    });
  }

  /** Deletes the namespace and waits until it is gone with everything in it. */
  async deleteNamespace(timeoutMs = 5 * 60_000): Promise<void> {
    await kubectl(['delete', 'namespace', this.namespace, '--ignore-not-found', '--wait=true', `--timeout=${Math.round(timeoutMs / 1000)}s`], {
      announce: this.announce,
      timeoutMs: timeoutMs + 30_000,
    });
  }

  /** True while the namespace exists (in any phase). */
  async namespaceExists(): Promise<boolean> {
    const out = await kubectl(['get', 'namespace', this.namespace, '--ignore-not-found', '-o', 'name']);
    return out.trim() !== '';
  }
}
