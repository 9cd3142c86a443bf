// The bench's command line: node:util's parseArgs splits it into flags, one zod schema turns them into BenchOptions,
// naming the flag at fault in the first problem it finds.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { FAULTS, parseComposeCli, type ComposeCli, type Fault } from '../tools/stack/index.js';
import type { Scenario } from './results.js';

/** Settings passed to compose for one side of a comparison, as NAME -> value, in the order given. */
export type Settings = Readonly<Record<string, string>>;

/** Two configurations measured in alternating rounds on two stacks that are up at once. */
export interface CompareOptions {
  a: Settings;
  b: Settings;
  rounds: number;
}

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
  /** Comparison rounds instead of the throughput runs; null without --compare. */
  compare: CompareOptions | null;
  useRunning: boolean;
  baseUrl: string;
  /** Port HAProxy publishes on 127.0.0.1 (HAPROXY_PORT for compose), taken from --port or --base-url; B of a comparison uses the next one. */
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
report.md, report.html, one k6 HTML report per measured run, raw outputs).

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
  --compare A B        compare two configurations instead: A and B are each a space-separated list of
                       NAME=value settings for compose ("" for the defaults; APP_IMAGE=<image> runs another
                       API image), both stacks up at once (B on --port + 1), measured in alternating rounds
                       at one replica count (default 1); reports each side's medians, the difference with
                       a 95% confidence interval, and a verdict
  --rounds 5           rounds of a comparison, each one run of A and one of B (default 5)
  --use-running        measure the stack that is already up instead of bringing one up (no --replicas)
  --base-url URL       where HAProxy listens (default http://127.0.0.1:8080; 127.0.0.1 or localhost only)
  --port N             HAProxy port: publishes the stack there (HAPROXY_PORT) and sets --base-url to match
  --project NAME       compose project name (default recipes-bench; a comparison adds -a and -b)
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
  // A comparison at one replica: the API's own settings (its pool, its framework) matter most when one process serves all.
  compareReplicas: '1',
  rounds: '5',
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
const SCENARIOS = ['read', 'mixed'] as const satisfies readonly Scenario[];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);
// Set by the bench for each stack it brings up; a comparison cannot vary them.
const BENCH_OWNED_SETTINGS: Record<string, string> = {
  HAPROXY_PORT: 'the bench publishes each stack on its own port (--port)',
  SEED_PASSWORD: 'the bench seeds every stack with the demo password k6 logs in with',
  COMPOSE_PROJECT_NAME: 'the bench names each stack (--project)',
};

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

/** Parses one side of --compare: "DB_POOL_MAX=1 APP_IMAGE=other:1" into settings; "" is the defaults. */
export function parseSettings(text: string, side: 'A' | 'B'): Settings {
  const settings: Record<string, string> = {};
  for (const word of text.trim().split(/\s+/).filter((part) => part !== '')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (match === null) throw new UsageError(`--compare ${side} must be NAME=value settings separated by spaces, got "${word}"`);
    const [, name = '', value = ''] = match;
    const owned = BENCH_OWNED_SETTINGS[name];
    if (owned !== undefined) throw new UsageError(`--compare ${side} sets ${name}, but ${owned}`);
    if (name in settings) throw new UsageError(`--compare ${side} sets ${name} twice`);
    settings[name] = value;
  }
  return settings;
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

/** A flag's text through its parser; the parser's UsageError becomes the schema's issue. */
function flag<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

const durationFlag = (name: string) => flag((text) => parseDuration(text, name));

/** Every flag as parseArgs gives it (a string, a boolean or absent), parsed on its own. */
const flagsSchema = z.object({
  replicas: flag(parseReplicas).optional(),
  duration: durationFlag('--duration')
    .prefault(DEFAULTS.duration)
    .refine((ms) => ms >= MIN_DURATION_MS && ms <= MAX_DURATION_MS, '--duration must be between 2s and 1h'),
  vus: flag((text) => parseInteger(text, '--vus', 1, MAX_VUS)).prefault(DEFAULTS.vus),
  runs: flag((text) => parseInteger(text, '--runs', 1, MAX_RUNS)).optional(),
  warmup: durationFlag('--warmup')
    .prefault(DEFAULTS.warmup)
    .refine((ms) => ms <= MAX_DURATION_MS, '--warmup must be at most 1h')
    .refine((ms) => ms === 0 || ms >= 1000, '--warmup must be 0s or at least 1s'),
  scenario: z
    .enum(SCENARIOS, { error: (issue) => `--scenario must be ${SCENARIOS.join(' or ')}, got "${String(issue.input)}"` })
    .default('read'),
  open: flag(parseOpenFractions).optional(),
  fault: flag(parseFaults).optional(),
  'fault-at': durationFlag('--fault-at').optional(),
  compare: z.tuple([flag((text) => parseSettings(text, 'A')), flag((text) => parseSettings(text, 'B'))]).optional(),
  // At least two rounds: one pair of runs says nothing about the noise between pairs.
  rounds: flag((text) => parseInteger(text, '--rounds', 2, MAX_RUNS)).optional(),
  'use-running': z.boolean().default(false),
  'base-url': flag(parseBaseUrl).optional(),
  port: flag((text) => parseInteger(text, '--port', 1, 65535)).optional(),
  project: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: (issue) => `--project must be lowercase letters, digits, "-" or "_", got "${String(issue.input)}"` })
    .default(DEFAULTS.project),
  'compose-cmd': z
    .string()
    .refine((text) => text.trim() !== '', '--compose-cmd must not be empty')
    .transform(parseComposeCli)
    .optional(),
  out: z.string().default(DEFAULTS.outDir),
  help: z.boolean().default(false),
});

type Flags = z.output<typeof flagsSchema>;

/** The rules between flags; throws UsageError naming the first one broken. */
function combine(flags: Flags, given: { open: boolean; runs: boolean; faultAt: string | undefined }): BenchOptions {
  const useRunning = flags['use-running'];
  if (useRunning && flags.replicas !== undefined) {
    throw new UsageError('--replicas scales a stack the bench brings up; with --use-running the stack is measured as it runs');
  }
  const durationMs = flags.duration;
  const faults = flags.fault ?? [];
  const faultAtMs = flags['fault-at'] ?? parseDuration(DEFAULTS.faultAt, '--fault-at');
  if (faults.length > 0) {
    if (useRunning) throw new UsageError('--fault runs on a stack the bench brings up (the scale fault rescales it); leave out --use-running');
    if (given.open) throw new UsageError('--fault runs have no open-model runs; leave out --open');
    if (faultAtMs >= durationMs) throw new UsageError(`--fault-at ${given.faultAt} must fall inside --duration ${formatDuration(durationMs)}`);
  }
  const [a, b] = flags.compare ?? [];
  const compare = a === undefined || b === undefined ? null : { a, b, rounds: flags.rounds ?? Number(DEFAULTS.rounds) };
  if (compare === null && flags.rounds !== undefined) throw new UsageError('--rounds counts the rounds of a comparison; give --compare A B');
  if (compare !== null) {
    if (useRunning) throw new UsageError('--compare brings up both stacks itself; leave out --use-running');
    if (faults.length > 0) throw new UsageError('--compare and --fault are separate benches; give one of them');
    if (given.open) throw new UsageError('--compare measures closed-model rounds only; leave out --open');
    if (given.runs) throw new UsageError('--compare measures --rounds pairs of runs; leave out --runs');
  }
  const replicas = flags.replicas ?? parseReplicas(faults.length > 0 ? DEFAULTS.faultReplicas : compare !== null ? DEFAULTS.compareReplicas : DEFAULTS.replicas);
  if (faults.length > 0 && replicas.length !== 1) throw new UsageError('--fault runs at one replica count: give --replicas a single number');
  if (compare !== null && replicas.length !== 1) throw new UsageError('--compare runs at one replica count: give --replicas a single number');

  const baseUrl = flags['base-url'] ?? parseBaseUrl(DEFAULTS.baseUrl);
  const urlPort = Number(baseUrl.port === '' ? 80 : baseUrl.port);
  const port = flags.port ?? urlPort;
  if (flags.port !== undefined && flags['base-url'] !== undefined && port !== urlPort) {
    throw new UsageError(`--port ${port} and --base-url ${baseUrl.origin} disagree; give one of them`);
  }
  if (compare !== null && port === 65535) throw new UsageError('--compare publishes B on --port + 1; give a lower --port');
  baseUrl.port = String(port);

  return {
    replicas,
    durationMs,
    vus: flags.vus,
    runs: flags.runs ?? Number(DEFAULTS.runs),
    warmupMs: flags.warmup,
    scenario: flags.scenario,
    open: faults.length > 0 || compare !== null ? [] : (flags.open ?? parseOpenFractions(DEFAULTS.open)),
    faults,
    faultAtMs,
    compare,
    useRunning,
    baseUrl: baseUrl.origin,
    port,
    composeCmd: flags['compose-cmd'] ?? null,
    project: flags.project,
    outDir: flags.out,
    help: flags.help,
  };
}

const FLAGS = {
  replicas: { type: 'string' },
  duration: { type: 'string' },
  vus: { type: 'string' },
  runs: { type: 'string' },
  warmup: { type: 'string' },
  scenario: { type: 'string' },
  open: { type: 'string' },
  fault: { type: 'string' },
  'fault-at': { type: 'string' },
  compare: { type: 'string' },
  rounds: { type: 'string' },
  'use-running': { type: 'boolean' },
  'base-url': { type: 'string' },
  port: { type: 'string' },
  project: { type: 'string' },
  'compose-cmd': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses and validates the command line (without `node` and the script). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, tokens: true, options: FLAGS });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, tokens } = parsed;
  // --compare takes two values: A as its own, B as the argument right after it; nothing else is positional.
  const compareAt = tokens.findIndex((token) => token.kind === 'option' && token.name === 'compare');
  const b = tokens[compareAt + 1];
  const bIndex = compareAt >= 0 && b?.kind === 'positional' ? b.index : -1;
  const stray = tokens.find((token) => token.kind === 'positional' && token.index !== bIndex);
  if (stray?.kind === 'positional') {
    throw new UsageError(`Unexpected positional argument '${stray.value}'${compareAt >= 0 ? ' (--compare takes A and B, e.g. --compare "" "DB_POOL_MAX=1")' : ''}`);
  }
  if (compareAt >= 0 && bIndex < 0) throw new UsageError('--compare takes two settings lists, A and B, e.g. --compare "" "DB_POOL_MAX=1"');
  const raw = { ...values, compare: values.compare === undefined ? undefined : [values.compare, argv[bIndex]] };
  const result = flagsSchema.safeParse(raw);
  if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid flags');
  return combine(result.data, { open: values.open !== undefined, runs: values.runs !== undefined, faultAt: values['fault-at'] });
}
