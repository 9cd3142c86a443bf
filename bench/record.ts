// The last step: what was measured, with the command, settings, machine and versions, as results.json, report.md and
// report.html. Also written, marked incomplete, when a bench stops early.
import { join } from 'node:path';
import { projectContainers, serviceOf } from '../tools/stack/index.js';
import { compareRounds } from './comparison.js';
import { REPO_ROOT, type BenchContext, type Target } from './context.js';
import { apiSettings, machineInfo, versionInfo } from './environment.js';
import { CLOSED_SCRIPT, completeRounds, type Measurements } from './plan.js';
import { writeReport } from './report.js';
import { summarizeReplicaCount, type BenchResults, type ComparisonRecord, type ComparisonStack, type Scenario } from './results.js';

const REQUEST: Record<Scenario, string> = {
  read: `GET /api/v1/recipes (first page, 100 recipes) with a logged-in session cookie (k6/${CLOSED_SCRIPT.read})`,
  mixed: `75% reads (list, detail), 20% writes (create, update), 5% deletes of own recipes, logged in (k6/${CLOSED_SCRIPT.mixed})`,
};

function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  return ['npm run bench', ...(quoted.length > 0 ? ['--', ...quoted] : [])].join(' ');
}

/** The API settings a stack's replicas ran with, or why they could not be read (never a silent "none"). */
async function readApiSettings(project: string): Promise<{ api: Record<string, string>; apiError?: string }> {
  try {
    return { api: await apiSettings(project) };
  } catch (error) {
    return { api: {}, apiError: error instanceof Error ? error.message : String(error) };
  }
}

async function comparisonStack(target: Target): Promise<ComparisonStack> {
  const images = new Map<string, { service: string; image: string; imageId: string }>();
  for (const container of await projectContainers(target.project)) {
    images.set(serviceOf(container), { service: serviceOf(container), image: container.Image, imageId: container.ImageID });
  }
  return { project: target.project, baseUrl: target.baseUrl, ...(await readApiSettings(target.project)), images: [...images.values()] };
}

async function comparisonRecord(ctx: BenchContext, measured: Measurements): Promise<ComparisonRecord | undefined> {
  const { compare } = ctx.options;
  const [a, b] = ctx.targets;
  if (compare === null || a === undefined || b === undefined) return undefined;
  const runs = measured.rounds.flatMap(({ round, a: ran, b: ranB }) => (ran === undefined || ranB === undefined ? [] : [{ round, a: ran.run, b: ranB.run }]));
  return { ...compareRounds(compare.a, compare.b, completeRounds(measured)), stacks: { a: await comparisonStack(a), b: await comparisonStack(b) }, runs };
}

/** Writes the record of what was measured into the results folder; returns it and the report's path. */
export async function writeRecord(ctx: BenchContext, measured: Measurements, incomplete?: string): Promise<{ record: BenchResults; reportPath: string }> {
  const { options } = ctx;
  const [target] = ctx.targets;
  const project = target?.project ?? options.project;
  const comparison = await comparisonRecord(ctx, measured);
  const machine = await machineInfo();
  const record: BenchResults = {
    ...(incomplete === undefined ? {} : { incomplete }),
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: commandLine(ctx.argv),
    settings: {
      replicas: [...ctx.replicas],
      durationS: options.durationMs / 1000,
      warmupS: options.warmupMs / 1000,
      vus: options.vus,
      runs: options.runs,
      scenario: options.scenario,
      open: options.open,
      ...(options.faults.length === 0 ? {} : { faults: options.faults, faultAtS: options.faultAtMs / 1000 }),
      baseUrl: target?.baseUrl ?? options.baseUrl,
      project,
      stack: options.useRunning ? 'already running' : 'brought up by the bench',
      loadGenerator: ctx.loadGenerator,
      request: REQUEST[options.scenario],
      ...(await readApiSettings(project)),
    },
    machine,
    versions: await versionInfo({ compose: ctx.compose, project, loadGenerator: ctx.loadGenerator, cwd: REPO_ROOT }),
    preflight: measured.preflight,
    results: [...measured.replicas.entries()]
      .filter(([, m]) => m.runs.length > 0)
      .map(([replicas, m]) => summarizeReplicaCount(replicas, m.servedBy, m.runs, m.open, m.ceiling, m.ceilingError, machine.cores)),
    ...(measured.faults.length === 0 ? {} : { faults: measured.faults }),
    ...(comparison === undefined ? {} : { comparison }),
  };
  await writeReport(ctx.outDir, record);
  return { record, reportPath: join(ctx.outDir, 'report.md') };
}

/** Something was measured worth a (partial) record. */
export function measuredAnything(measured: Measurements): boolean {
  return [...measured.replicas.values()].some((m) => m.runs.length > 0) || measured.faults.length > 0 || completeRounds(measured).length > 0;
}
