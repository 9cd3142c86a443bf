import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The repository root (deploy/test/support -> ../../..). */
export const repoRoot = join(import.meta.dirname, '..', '..', '..');

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/**
 * An HAProxy configuration as its sections ("global", "backend app", ...) mapped to their directives, with comments
 * and blank lines dropped and white space folded: two files that differ only in comments map alike.
 */
export function haproxySections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line === '' || line.startsWith('#')) continue;
    if (/^\S/.test(raw)) {
      current = [];
      sections.set(line, current);
    } else {
      current?.push(line);
    }
  }
  return sections;
}

/** The value following `keyword` on an HAProxy directive line (`inter` in "check inter 1s fall 2"), or undefined. */
export function haproxyArgument(line: string, keyword: string): string | undefined {
  const words = line.split(' ');
  const index = words.indexOf(keyword);
  return index === -1 ? undefined : words[index + 1];
}

/** The `key = value` settings of an INI file such as pgbouncer.ini, all sections together. */
export function iniSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const match = /^\s*([^;#[\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (match?.[1] !== undefined && match[2] !== undefined) settings.set(match[1], match[2]);
  }
  return settings;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  /** An empty `${VAR:-}` reads as null. */
  environment?: Record<string, string | null>;
  volumes?: string[];
  /** compose.yaml lists names; the rendered stack maps each name to its settings. */
  networks?: string[] | Record<string, unknown>;
  /** Names (short syntax) or `{ source, ... }` (long syntax). */
  secrets?: Array<string | { source: string }>;
  expose?: string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[]; interval: string; timeout: string; retries: number };
  depends_on?: Record<string, { condition: string }>;
  stop_signal?: string;
}

/** compose.yaml's services, with every `${VAR:-default}` replaced by its default, as `docker compose` with no .env. */
export function composeServices(): Record<string, ComposeService> {
  const text = readRepoFile('compose.yaml').replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback?: string) => fallback ?? '');
  return (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** compose.yaml's top-level networks and secrets, defaults filled in as in composeServices. */
export function composeTopLevel(): { networks: Record<string, unknown>; secrets: Record<string, { file: string }> } {
  const text = readRepoFile('compose.yaml').replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback?: string) => fallback ?? '');
  const { networks, secrets } = parse(text, { merge: true }) as { networks?: Record<string, unknown>; secrets?: Record<string, { file: string }> };
  return { networks: networks ?? {}, secrets: secrets ?? {} };
}

/** The networks a service is on, by name, sorted. */
export function serviceNetworks(service: ComposeService): string[] {
  const networks = service.networks ?? [];
  return (Array.isArray(networks) ? [...networks] : Object.keys(networks)).sort();
}

/**
 * How a service of compose.yaml or stack.yaml could leak a password: a variable that holds one (a name ending in
 * PASSWORD, a SCRAM secret, a DATABASE_URL), or a /run/secrets file its command or environment reads that it does not
 * mount. Empty when every password reaches it as a secret file.
 */
export function passwordLeaks(service: ComposeService): string[] {
  const variables = Object.keys(service.environment ?? {}).filter((name) => /PASSWORD$|SCRAM|DATABASE_URL/.test(name));
  const mounted = (service.secrets ?? []).map((secret) => `/run/secrets/${typeof secret === 'string' ? secret : secret.source}`);
  const readsText = `${(service.command ?? []).join(' ')} ${Object.values(service.environment ?? {}).join(' ')}`;
  const unmounted = [...readsText.matchAll(/\/run\/secrets\/\w+/g)].map((m) => m[0]).filter((path) => !mounted.includes(path));
  return [...variables.map((name) => `variable ${name}`), ...unmounted.map((path) => `reads ${path} without mounting it`)];
}

/** A compose healthcheck's shell command as a shell would run it (`CMD-SHELL`, `$$` unescaped). */
export function composeHealthcheckShell(service: ComposeService): string {
  const [kind, command] = service.healthcheck?.test ?? [];
  if (kind !== 'CMD-SHELL' || command === undefined) throw new Error('not a CMD-SHELL healthcheck');
  return command.replaceAll('$$', '$');
}

/** Seconds in a compose duration such as "10s" or "2s". */
export function composeSeconds(duration: string | undefined): number {
  const match = /^(\d+)s$/.exec(duration ?? '');
  if (match?.[1] === undefined) throw new Error(`not a duration in seconds: ${duration}`);
  return Number(match[1]);
}
