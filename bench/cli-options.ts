import { parseArgs } from 'node:util';
import { FAULTS, parseComposeCli, type ComposeCli, type Fault } from '../tools/stack/index.js';
import type { Scenario } from './results.js';

/** What one `npm run bench` invocation measures, after validation. */
export interface BenchOptions {
  replicas: number[];
  durationMs: number;
  vus: number;
  runs: number;
  warmupMs: number;
  scenario: Scenario;
  /** Open-model runs after the closed ones, at these fractions of the closed-model throughput (empty: none). */
  open: number[];
  /** Fault runs instead of the throughput runs: one per fault, each injected `faultAtMs` into its load. */
  faults: Fault[];
  faultAtMs: number;
  useRunning: boolean;
  baseUrl: string;
  /** Port HAProxy publishes on 127.0.0.1 (HAPROXY_PORT for compose), taken from --port or --base-url. */
  port: number;
  /** Compose command split into words, or null to detect it. */
  composeCmd: ComposeCli | null;
  project: string;
  outDir: string;
  help: boolean;
}

/** A flag the bench cannot work with; the message says which flag and why. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm run bench -- [flags]

Measures the compose stack (HAProxy -> API replicas -> PgBouncer -> Postgres) at each replica count with k6
(the k6 on PATH, else the image compose.yaml pins) and writes bench-results/<timestamp>/ (results.json,
report.md, chart.svg, one k6 HTML report per measured run, raw outputs).

  --replicas 1,2,4     API replica counts to measure, in order (default 1,2)
  --scenario read      read: k6/recipes.js (the list page); mixed: k6/mixed.js (75% reads, 20% writes,
                       5% deletes) (default read)
  --duration 20s       measured load per run (default 20s, at least 2s)
  --vus 50             concurrent virtual users in the closed-model runs (default 50)
  --runs 1             closed-model runs per replica count; the median is reported (default 1)
  --open 0.8           open-model runs after the closed ones, at these fractions of the closed-model
                       requests/s, e.g. 0.5,0.8 (default 0.8; none skips them)
  --warmup 5s          unmeasured load before the runs of each replica count (default 5s; 0s skips it)
  --fault NAME[,NAME]  fault runs instead: kill-replica, stop-replica, restart-pgbouncer, restart-postgres,
                       scale (N -> 1 -> N), or all; one closed-model run each, at one replica count
                       (default 3), reporting failed requests, recovery and lost writes (with --scenario mixed)
  --fault-at 6s        when the fault is injected into each fault run (default 6s)
  --use-running        measure the stack that is already up instead of bringing one up (no --replicas)
  --base-url URL       where HAProxy listens (default http://127.0.0.1:8080; 127.0.0.1 or localhost only)
  --port N             HAProxy port: publishes the stack there (HAPROXY_PORT) and sets --base-url to match
  --project NAME       compose project name (default recipes-bench)
  --compose-cmd CMD    compose command (default: "docker compose" if present, else "docker-compose")
  --out DIR            results folder (default bench-results)
  --help               print this help
`;

const DEFAULTS = {
  replicas: '1,2',
  duration: '20s',
  vus: '50',
  runs: '1',
  warmup: '5s',
  scenario: 'read',
  open: '0.8',
  faultAt: '6s',
  // Faults are measured where a replica can fail with others left to take over.
  faultReplicas: '3',
  baseUrl: 'http://127.0.0.1:8080',
  project: 'recipes-bench',
  outDir: 'bench-results',
};

// Bounds keep every run finite and small enough for a 2-core machine; a typo cannot start 100 containers.
const MAX_REPLICAS = 8;
const MAX_VUS = 1000;
const MAX_RUNS = 15;
const MAX_DURATION_MS = 60 * 60 * 1000;
// k6's web dashboard writes its HTML report only after two sampling periods; its shortest period is 1 s.
const MIN_DURATION_MS = 2000;
const SCENARIOS: readonly Scenario[] = ['read', 'mixed'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Parses "500ms", "20s", "2m", "1m30s", "1h" into milliseconds; throws UsageError naming the flag otherwise. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text.trim());
  if (text.trim() === '' || match === null) {
    throw new UsageError(`${flag} must be a duration like 500ms, 20s, 2m or 1m30s, got "${text}"`);
  }
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(ms);
}

/** Formats milliseconds the way the flags take them: "20s", "1m30s", "1h2m", "500ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 || total === 0 ? `${s}s` : ''}`;
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Parses "0.5,0.8" into distinct fractions in (0, 1]; "none" is no open-model run. */
export function parseOpenFractions(text: string): number[] {
  if (text.trim() === 'none') return [];
  const parts = text.split(',').map((part) => part.trim());
  const fractions = parts.map((part) => {
    const value = Number(part);
    if (part === '' || !Number.isFinite(value) || value <= 0 || value > 1) {
      throw new UsageError(`--open takes fractions of the closed-model throughput above 0 and at most 1, like 0.5,0.8 (or none), got "${text}"`);
    }
    return value;
  });
  if (new Set(fractions).size !== fractions.length) throw new UsageError(`--open lists a fraction twice: "${text}"`);
  return fractions;
}

/** Parses "kill-replica,scale" (or "all") into faults in the given order. */
export function parseFaults(text: string): Fault[] {
  if (text.trim() === 'all') return [...FAULTS];
  const names = text.split(',').map((part) => part.trim());
  for (const name of names) {
    if (!(FAULTS as readonly string[]).includes(name)) throw new UsageError(`--fault takes ${FAULTS.join(', ')} or all, got "${name}"`);
  }
  if (new Set(names).size !== names.length) throw new UsageError(`--fault lists a fault twice: "${text}"`);
  return names as Fault[];
}

/** Parses "1,2,4" into distinct replica counts in the given order. */
export function parseReplicas(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new UsageError(`--replicas must be a comma-separated list like 1,2,4, got "${text}"`);
  const counts = parts.map((part) => parseInteger(part, '--replicas', 1, MAX_REPLICAS));
  const duplicate = counts.find((count, index) => counts.indexOf(count) !== index);
  if (duplicate !== undefined) throw new UsageError(`--replicas lists ${duplicate} twice`);
  return counts;
}

function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--base-url must be a URL like http://127.0.0.1:8080, got "${text}"`);
  }
  if (url.protocol !== 'http:') throw new UsageError(`--base-url must use http:, got "${url.protocol}"`);
  if (!LOOPBACK_HOSTS.has(url.hostname)) {
    throw new UsageError(`--base-url must point at 127.0.0.1 or localhost (load goes only to this machine), got "${url.hostname}"`);
  }
  if (url.pathname !== '/' || url.search !== '') throw new UsageError(`--base-url must have no path or query, got "${text}"`);
  return url;
}

/** Parses and validates the command line (without `node` and the script). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        replicas: { type: 'string' },
        duration: { type: 'string' },
        vus: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        scenario: { type: 'string' },
        open: { type: 'string' },
        fault: { type: 'string' },
        'fault-at': { type: 'string' },
        'use-running': { type: 'boolean' },
        'base-url': { type: 'string' },
        port: { type: 'string' },
        project: { type: 'string' },
        'compose-cmd': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  const useRunning = values['use-running'] ?? false;
  if (useRunning && values.replicas !== undefined) {
    throw new UsageError('--replicas scales a stack the bench brings up; with --use-running the stack is measured as it runs');
  }

  const durationMs = parseDuration(values.duration ?? DEFAULTS.duration, '--duration');
  if (durationMs < MIN_DURATION_MS || durationMs > MAX_DURATION_MS) throw new UsageError('--duration must be between 2s and 1h');
  const warmupMs = parseDuration(values.warmup ?? DEFAULTS.warmup, '--warmup');
  if (warmupMs > MAX_DURATION_MS) throw new UsageError('--warmup must be at most 1h');
  if (warmupMs > 0 && warmupMs < 1000) throw new UsageError('--warmup must be 0s or at least 1s');

  const baseUrl = parseBaseUrl(values['base-url'] ?? DEFAULTS.baseUrl);
  const urlPort = Number(baseUrl.port === '' ? 80 : baseUrl.port);
  let port = urlPort;
  if (values.port !== undefined) {
    port = parseInteger(values.port, '--port', 1, 65535);
    if (values['base-url'] !== undefined && port !== urlPort) {
      throw new UsageError(`--port ${port} and --base-url ${baseUrl.origin} disagree; give one of them`);
    }
    baseUrl.port = String(port);
  }

  const project = values.project ?? DEFAULTS.project;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(project)) {
    throw new UsageError(`--project must be lowercase letters, digits, "-" or "_", got "${project}"`);
  }

  let composeCmd: ComposeCli | null = null;
  if (values['compose-cmd'] !== undefined) {
    if (values['compose-cmd'].trim() === '') throw new UsageError('--compose-cmd must not be empty');
    composeCmd = parseComposeCli(values['compose-cmd']);
  }

  const faults = values.fault === undefined ? [] : parseFaults(values.fault);
  const faultAtMs = parseDuration(values['fault-at'] ?? DEFAULTS.faultAt, '--fault-at');
  if (faults.length > 0) {
    if (useRunning) throw new UsageError('--fault runs on a stack the bench brings up (the scale fault rescales it); leave out --use-running');
    if (values.open !== undefined) throw new UsageError('--fault runs have no open-model runs; leave out --open');
    if (faultAtMs >= durationMs) throw new UsageError(`--fault-at ${values['fault-at']} must fall inside --duration ${formatDuration(durationMs)}`);
  }
  const replicas = parseReplicas(values.replicas ?? (faults.length > 0 ? DEFAULTS.faultReplicas : DEFAULTS.replicas));
  if (faults.length > 0 && replicas.length !== 1) throw new UsageError('--fault runs at one replica count: give --replicas a single number');

  const scenario = (values.scenario ?? DEFAULTS.scenario) as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new UsageError(`--scenario must be ${SCENARIOS.join(' or ')}, got "${values.scenario}"`);

  return {
    replicas,
    durationMs,
    vus: parseInteger(values.vus ?? DEFAULTS.vus, '--vus', 1, MAX_VUS),
    runs: parseInteger(values.runs ?? DEFAULTS.runs, '--runs', 1, MAX_RUNS),
    warmupMs,
    scenario,
    open: faults.length > 0 ? [] : parseOpenFractions(values.open ?? DEFAULTS.open),
    faults,
    faultAtMs,
    useRunning,
    baseUrl: baseUrl.origin,
    port,
    composeCmd,
    project,
    outDir: values.out ?? DEFAULTS.outDir,
    help: values.help ?? false,
  };
}
