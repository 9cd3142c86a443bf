import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { K6Figures } from '../tools/stack/index.js';
import type { TierStats } from './docker-stats.js';
import type { VersionInfo } from './environment.js';
import type { BenchResults, FaultRunResult, OpenRunResult, ReplicaResult, RunResult } from './results.js';
import { renderComparison } from './report-comparison.js';
import { renderBreakdownSection, renderFaultBreakdowns } from './report-breakdown.js';
import { chartLibrary, renderHtml } from './report-html.js';
import { figure, formatBytes, formatNumber, formatRate, table, type Column } from './markdown.js';

export { figure, formatBytes, formatNumber, formatRate, table } from './markdown.js';
export type { Column } from './markdown.js';

// Above 1% failed requests (the k6 scripts' own threshold) a run measures an unhealthy stack.
const MAX_HEALTHY_ERROR_RATE = 0.01;

/** The runs of a replica count (closed and open model) whose failed requests exceed 1%: they measured failures, not service. */
export function unhealthyRuns(result: Pick<ReplicaResult, 'runs'> & Partial<Pick<ReplicaResult, 'open'>>): RunResult[] {
  return [...result.runs, ...(result.open ?? [])].filter((run) => run.load.errorRate > MAX_HEALTHY_ERROR_RATE);
}

function describeFailures(load: K6Figures): string {
  return `${load.errors} of ${load.requests} requests failed`;
}

function runLabel(run: RunResult): string {
  return 'fraction' in run ? `open ${(run as OpenRunResult).fraction}` : String(run.run);
}

function replicaLabel(replicas: number): string {
  return `${replicas} API replica${replicas === 1 ? '' : 's'}`;
}

/** The full path's requests/s as a fraction of the database's ceiling for the same statements. */
export function ceilingRatio(result: Pick<ReplicaResult, 'median' | 'ceiling'>): number {
  return result.ceiling === null ? Number.NaN : result.median.requestsPerSecond / result.ceiling.tps;
}

/** The table of median closed-model figures, one row per replica count, with the database's ceiling beside them. */
export function renderSummary(results: readonly ReplicaResult[]): string {
  return table<ReplicaResult>(
    [
      figure('API replicas', (r) => String(r.replicas)),
      figure('requests/s', (r) => formatNumber(r.median.requestsPerSecond, 0)),
      figure('p50 ms', (r) => formatNumber(r.median.p50Ms)),
      figure('p90 ms', (r) => formatNumber(r.median.p90Ms)),
      figure('p99 ms', (r) => formatNumber(r.median.p99Ms)),
      figure('error rate', (r) => formatRate(r.median.errorRate)),
      figure('ceiling tps', (r) => formatNumber(r.ceiling?.tps ?? Number.NaN, 0)),
      figure('of ceiling', (r) => formatNumber(ceilingRatio(r), 2)),
    ],
    results,
  );
}

function describeCeiling(result: ReplicaResult): string {
  const { ceiling } = result;
  if (result.ceilingError !== undefined) return `Ceiling: **not measured**: ${result.ceilingError.split('\n')[0]}`;
  if (ceiling === null) return '';
  return (
    `Ceiling: pgbench ran the list endpoint's statements through the stack's PgBouncer at ${formatNumber(ceiling.tps, 0)} ` +
    `transactions/s (${ceiling.clients} clients, -M ${ceiling.protocol}, mean latency ${formatNumber(ceiling.latencyMs)} ms; ` +
    `[log](${ceiling.file})); the full path served ${formatNumber(ceilingRatio(result), 2)} of it.`
  );
}

/**
 * The open-model runs beside the closed-model latency they follow: the same stack at a fixed arrival rate below its
 * capacity, where latency is measured without coordinated omission. Empty when no open-model run was made.
 */
export function renderOpenSummary(results: readonly ReplicaResult[]): string {
  const rows = results.flatMap((closed) => closed.open.map((run) => ({ closed, run })));
  if (rows.length === 0) return '';
  return table<{ closed: ReplicaResult; run: OpenRunResult }>(
    [
      figure('API replicas', ({ closed }) => String(closed.replicas)),
      { header: 'of closed req/s', cell: ({ closed, run }) => `${run.fraction} x ${formatNumber(closed.median.requestsPerSecond, 0)}` },
      figure('arrival rate/s', ({ run }) => String(run.rate)),
      figure('served req/s', ({ run }) => formatNumber(run.load.requestsPerSecond, 0)),
      figure('closed p50 ms', ({ closed }) => formatNumber(closed.median.p50Ms)),
      figure('closed p99 ms', ({ closed }) => formatNumber(closed.median.p99Ms)),
      figure('open p50 ms', ({ run }) => formatNumber(run.load.latencyMs.p50)),
      figure('open p99 ms', ({ run }) => formatNumber(run.load.latencyMs.p99)),
      figure('open p99/p50', ({ run }) => formatNumber(run.load.latencyMs.p99 / run.load.latencyMs.p50)),
      figure('dropped', ({ run }) => String(run.load.droppedIterations)),
      figure('error rate', ({ run }) => formatRate(run.load.errorRate)),
    ],
    rows,
  );
}

/** Each tier's CPU and memory, with the CPU time it spent per request served. */
function renderTiers(tiers: readonly TierStats[]): string {
  return table<TierStats>(
    [
      { header: 'tier', cell: (tier) => tier.service },
      figure('containers', (tier) => String(tier.containers)),
      figure('peak CPU %', (tier) => formatNumber(tier.peakCpuPercent)),
      figure('mean CPU %', (tier) => formatNumber(tier.meanCpuPercent)),
      figure('CPU ms/request', (tier) => formatNumber(tier.cpuMsPerRequest, 2)),
      figure('peak memory', (tier) => formatBytes(tier.peakMemoryBytes)),
    ],
    tiers,
  );
}

/** Latency per kind of operation (mixed load), one row per run and operation. */
function renderOperations(runs: readonly RunResult[]): string {
  const rows = runs.flatMap((run) => run.load.operations.map((op) => ({ run, op })));
  if (rows.length === 0) return '';
  return table<{ run: RunResult; op: K6Figures['operations'][number] }>(
    [
      { header: 'run', cell: ({ run }) => runLabel(run) },
      { header: 'operation', cell: ({ op }) => op.op },
      figure('requests', ({ op }) => String(op.requests)),
      figure('p50 ms', ({ op }) => formatNumber(op.latencyMs.p50)),
      figure('p90 ms', ({ op }) => formatNumber(op.latencyMs.p90)),
      figure('p99 ms', ({ op }) => formatNumber(op.latencyMs.p99)),
      figure('max ms', ({ op }) => formatNumber(op.latencyMs.max)),
    ],
    rows,
  );
}

/** Requests/s and the latency percentiles of a run, as columns. */
function loadColumns<T>(load: (row: T) => K6Figures | undefined): Column<T>[] {
  const cell = (get: (figures: K6Figures) => string) => (row: T): string => {
    const figures = load(row);
    return figures === undefined ? '' : get(figures);
  };
  return [
    figure('requests/s', cell((l) => formatNumber(l.requestsPerSecond, 0))),
    figure('p50 ms', cell((l) => formatNumber(l.latencyMs.p50))),
    figure('p90 ms', cell((l) => formatNumber(l.latencyMs.p90))),
    figure('p99 ms', cell((l) => formatNumber(l.latencyMs.p99))),
    figure('max ms', cell((l) => formatNumber(l.latencyMs.max))),
  ];
}

/** The median row's cell of a load column: the median over the runs (max has none). */
function medianCell(result: ReplicaResult, header: string): string {
  const { median } = result;
  const cells: Record<string, string> = {
    'requests/s': formatNumber(median.requestsPerSecond, 0),
    'p50 ms': formatNumber(median.p50Ms),
    'p90 ms': formatNumber(median.p90Ms),
    'p99 ms': formatNumber(median.p99Ms),
  };
  return cells[header] ?? '';
}

function renderReplicaSection(result: ReplicaResult): string {
  // The median row: figures only, as a run without the per-run columns.
  type Row = { label: string; run?: RunResult };
  const medianLoad = (row: Row): K6Figures | undefined => row.run?.load;
  const rows: Row[] = result.runs.map((run) => ({ label: String(run.run), run }));
  const load = table<Row>(
    [
      { header: 'run', cell: (row) => row.label },
      figure('requests', (row) => (row.run === undefined ? '' : String(row.run.load.requests))),
      ...loadColumns<Row>(medianLoad).map((column) => ({
        ...column,
        cell: (row: Row) => (row.run !== undefined ? column.cell(row) : medianCell(result, column.header)),
      })),
      figure('errors', (row) => (row.run === undefined ? formatNumber(result.median.errors, 0) : String(row.run.load.errors))),
      figure('error rate', (row) => formatRate(row.run === undefined ? result.median.errorRate : row.run.load.errorRate)),
      figure('host load', (row) => (row.run === undefined ? '' : formatNumber(row.run.hostLoad1m))),
      { header: 'k6 report', cell: (row) => (row.run === undefined ? '' : `[html](${row.run.files.dashboard})`) },
    ],
    result.runs.length > 1 ? [...rows, { label: 'median' }] : rows,
  );
  const open =
    result.open.length === 0
      ? ''
      : table<OpenRunResult>(
          [
            figure('fraction', (run) => String(run.fraction)),
            figure('arrival rate/s', (run) => String(run.rate)),
            figure('requests', (run) => String(run.load.requests)),
            ...loadColumns<OpenRunResult>((run) => run.load).map((column) => (column.header === 'requests/s' ? { ...column, header: 'served req/s' } : column)),
            figure('dropped', (run) => String(run.load.droppedIterations)),
            figure('error rate', (run) => formatRate(run.load.errorRate)),
            figure('host load', (run) => formatNumber(run.hostLoad1m)),
            { header: 'k6 report', cell: (run) => `[html](${run.files.dashboard})` },
          ],
          result.open,
        );
  const containers = table<ReplicaResult['containers'][number]>(
    [
      { header: 'container', cell: (c) => c.container },
      { header: 'tier', cell: (c) => c.service },
      figure('peak CPU %', (c) => formatNumber(c.peakCpuPercent)),
      figure('mean CPU %', (c) => formatNumber(c.meanCpuPercent)),
      figure('peak memory', (c) => formatBytes(c.peakMemoryBytes)),
    ],
    result.containers,
  );
  const allRuns = [...result.runs, ...result.open];
  const crossed = allRuns.filter((run) => !run.thresholdsPassed);
  const thresholds =
    crossed.length === 0
      ? ''
      : `The k6 script's thresholds were crossed in run ${crossed.map(runLabel).join(', ')} ` +
        `(${[...new Set(crossed.flatMap((run) => run.load.crossedThresholds))].join('; ')}); see the k6 log.`;
  const dropping = result.open.filter((run) => run.load.droppedIterations > 0);
  const dropped =
    dropping.length === 0
      ? ''
      : `The open-model run at ${dropping.map((run) => run.fraction).join(', ')} dropped iterations: the stack did not keep up with ` +
        'the arrival rate, so its latency describes a lower rate than planned.';
  const failing = unhealthyRuns(result);
  const failures =
    failing.length === 0
      ? ''
      : `**More than ${formatRate(MAX_HEALTHY_ERROR_RATE)} of requests failed** in run ${failing.map(runLabel).join(', ')} ` +
        `(${failing.map((run) => describeFailures(run.load)).join('; ')}): the throughput and latency figures describe failures, not service.`;
  const samplerErrors = allRuns.flatMap((run) => run.samplerErrors);
  const gaps = samplerErrors.length > 0 ? `${samplerErrors.length} stats reading(s) failed; see results.json.` : '';
  const notes = [describeCeiling(result), failures, thresholds, dropped, gaps].filter((note) => note !== '');
  const operations = renderOperations(allRuns);
  return [
    `## ${replicaLabel(result.replicas)}`,
    '',
    `HAProxy routed to: ${result.servedBy.map((name) => `\`${name}\``).join(', ') || 'n/a'}`,
    '',
    '### Closed model',
    '',
    load,
    '',
    ...(open === '' ? [] : ['### Open model', '', open, '']),
    ...(operations === '' ? [] : ['### Latency per operation', '', operations, '']),
    ...notes.flatMap((note) => [note, '']),
    `### Tiers (closed model${result.runs.length > 1 ? ', median over runs' : ''})`,
    '',
    renderTiers(result.tiers),
    '',
    ...result.open.flatMap((run) => [`### Tiers (open model at ${run.fraction})`, '', renderTiers(run.tiers), '']),
    '### Containers (closed model)',
    '',
    containers,
    '',
  ].join('\n');
}

function seconds(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? 'n/a' : (ms / 1000).toFixed(2);
}

function latencyPair(window: { p50Ms: number; p99Ms: number }): string {
  return `${formatNumber(window.p50Ms)} / ${formatNumber(window.p99Ms)}`;
}

/** One row per fault run: failed requests, recovery, latency around the fault and, for the mixed load, lost writes. */
export function renderFaults(faults: readonly FaultRunResult[]): string {
  const mixed = faults.some((run) => run.writeLoss !== null);
  const writes = (count: (loss: NonNullable<FaultRunResult['writeLoss']>) => number) => (run: FaultRunResult): string =>
    run.writeLoss === null ? 'n/a' : String(count(run.writeLoss));
  return table<FaultRunResult>(
    [
      { header: 'fault', cell: (run) => run.fault },
      figure('requests', (run) => String(run.impact.requests)),
      figure('failed', (run) => String(run.impact.failed)),
      figure('failed %', (run) => formatRate(run.impact.failedRate)),
      { header: 'failed by cause', cell: (run) => Object.entries(run.impact.failedBy).map(([cause, count]) => `${count} x ${cause}`).join(', ') || 'none' },
      figure('longest gap s', (run) => seconds(run.impact.longestGapMs)),
      figure('answers again s', (run) => seconds(run.impact.recoveryMs)),
      figure('p50 / p99 ms before', (run) => latencyPair(run.impact.before)),
      figure('during', (run) => latencyPair(run.impact.during)),
      figure('after', (run) => latencyPair(run.impact.after)),
      ...(mixed
        ? [
            figure('acknowledged writes lost', writes((loss) => loss.acknowledgedCreatesLost + loss.acknowledgedDeletesLost)),
            figure('unacknowledged writes landed', writes((loss) => loss.unacknowledgedCreatesLanded + loss.unacknowledgedDeletesLanded)),
          ]
        : []),
    ],
    faults,
  );
}

function renderFaultSection(results: BenchResults): string {
  const faults = results.faults ?? [];
  const notes = faults.map(({ fault, marks, impact, writeLoss, run, csvFile }) =>
    [
      `- **${fault}**: ${marks.detail}; injected ${formatNumber((marks.injectedAt - Date.parse(results.startedAt)) / 1000, 0)} s into the bench, ` +
        `done after ${seconds(marks.doneAt - marks.injectedAt)} s` +
        (marks.acceptingAt === null ? '' : `, accepting connections again after ${seconds(marks.acceptingAt - marks.injectedAt)} s`) +
        `. The longest gap without a successful answer began ${seconds(impact.gapStartsAfterFaultMs)} s after the injection. ` +
        `Requests before / during / after: ${impact.before.requests} / ${impact.during.requests} / ${impact.after.requests} ` +
        `(failed ${impact.before.failed} / ${impact.during.failed} / ${impact.after.failed}). ` +
        `[k6 report](${run.files.dashboard}), [per-request samples](${csvFile}).`,
      ...(writeLoss === null
        ? []
        : [
            `  Writes: ${writeLoss.creates} creates and ${writeLoss.deletes} deletes; acknowledged creates lost ${writeLoss.acknowledgedCreatesLost}, ` +
              `acknowledged deletes lost ${writeLoss.acknowledgedDeletesLost}; unacknowledged creates that landed ${writeLoss.unacknowledgedCreatesLanded}, ` +
              `unacknowledged deletes that landed ${writeLoss.unacknowledgedDeletesLanded}.`,
          ]),
    ].join('\n'),
  );
  return [
    '## Faults',
    '',
    `Each fault was injected ${results.settings.faultAtS ?? 'n/a'} s into a ${results.settings.durationS} s closed-model run of ${results.settings.vus} users ` +
      `at ${results.settings.replicas.join(', ')} API replicas. "Longest gap" is the longest stretch without a successful answer; ` +
      '"answers again" runs from the restarted service accepting connections to the next successful answer. Latency is of the ' +
      'successful answers; "during" lasts from the injection until the cause was gone or the longest gap ended, whichever is later.',
    '',
    renderFaults(faults),
    '',
    ...notes,
    '',
    ...faults.flatMap((run) => [`### Tiers during ${run.fault}`, '', renderTiers(run.run.tiers), '']),
    renderFaultBreakdowns(faults),
  ].join('\n');
}

function renderImages(images: VersionInfo['images']): string {
  return table<VersionInfo['images'][number]>(
    [
      { header: 'tier', cell: (image) => image.service },
      { header: 'image', cell: (image) => image.image },
      { header: 'image id', cell: (image) => image.imageId.replace(/^sha256:/, '').slice(0, 12) },
    ],
    images,
  );
}

function renderRecord(results: BenchResults): string {
  const { machine, versions, settings } = results;
  const images = renderImages(versions.images);
  return [
    '## Machine and versions',
    '',
    `- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)} memory, ${machine.os} (${machine.kernel})`,
    `- Node ${versions.node}; Docker engine ${versions.docker}; compose: ${versions.compose}`,
    `- Load generator: ${versions.loadGenerator}`,
    `- Source: ${versions.gitCommit}`,
    `- Stack: ${settings.stack}, compose project \`${settings.project}\`, ${settings.baseUrl}`,
    '',
    images,
  ].join('\n');
}

/** The Markdown report of a bench: summary, chart, one section per replica count, and the record of how it ran. */
export function renderReport(results: BenchResults): string {
  const { settings } = results;
  const openSummary = renderOpenSummary(results.results);
  return [
    '# Benchmark: recipes stack',
    '',
    ...(results.incomplete === undefined ? [] : [`**Incomplete:** ${results.incomplete.split('\n')[0]}`, '']),
    `Started ${results.startedAt}, finished ${results.finishedAt}.`,
    '',
    `Command: \`${results.command}\``,
    '',
    settings.apiError === undefined
      ? `API settings: ${Object.entries(settings.api).map(([name, value]) => `${name}=${value}`).join(', ') || 'none set'} (the rest at their defaults).`
      : `API settings: **could not be read** (${settings.apiError.split('\n')[0]}).`,
    '',
    `Load (${settings.scenario}): ${settings.request}. Closed model: ${settings.vus} concurrent users, each sending its next`,
    `request when the previous one is answered; ${settings.durationS} s per run after ${settings.warmupS > 0 ? `a ${settings.warmupS} s warm-up` : 'no warm-up'};`,
    results.comparison === undefined
      ? `${settings.runs} run${settings.runs === 1 ? '' : 's'} per replica count${settings.runs > 1 ? ' (the median of each figure is reported)' : ''}.`
      : `${results.comparison.rounds.length} round${results.comparison.rounds.length === 1 ? '' : 's'} of one run of A and one of B, at ${settings.replicas.join(', ')} API replica(s) (A first in odd rounds, B in even ones).`,
    settings.open.length === 0
      ? 'No open-model run.'
      : `Then open model: requests arrive at ${settings.open.join(' and ')} x the closed-model requests/s, ${settings.durationS} s each,` +
        ' whether or not earlier ones were answered (latency without coordinated omission).',
    `Generator: ${settings.loadGenerator}.`,
    '',
    'CPU % is computed as `docker stats` does: 100% is one full core, so a tier can exceed 100% and all tiers',
    `together can reach ${results.machine.cores * 100}% on this ${results.machine.cores}-core machine. Memory excludes reclaimable page cache.`,
    'A tier\'s figure adds up its containers at each one-second reading; CPU ms/request is the CPU time its containers\'',
    'cumulative counters advanced by from the load\'s start to its end, over the requests served. The load generator',
    '(tier `k6`) runs on the same machine and uses the same cores.',
    `"Host load" is the 1-minute load average as a run ended: far above ${results.machine.cores} means other work competed for the CPU`,
    'and the run understates the stack.',
    '',
    ...(results.comparison !== undefined
      ? [renderComparison(results.comparison)]
      : results.faults === undefined
      ? [
          '## Summary',
          '',
          renderSummary(results.results),
          '',
          ...(openSummary === '' ? [] : [openSummary, '']),
          'The charts: [report.html](report.html) (opens from disk, no network needed).',
          '',
          renderBreakdownSection(results.results),
          ...results.results.map(renderReplicaSection),
        ]
      : [renderFaultSection(results)]),
    renderRecord(results),
    '',
  ].join('\n');
}

/** Writes results.json, report.md and report.html into `dir`. */
export async function writeReport(dir: string, results: BenchResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), renderReport(results));
  await writeFile(join(dir, 'report.html'), renderHtml(results, await chartLibrary()));
}
