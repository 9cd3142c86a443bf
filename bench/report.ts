import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { K6Figures } from '../tools/stack/index.js';
import type { TierStats } from './docker-stats.js';
import type { BenchResults, FaultRunResult, OpenRunResult, ReplicaResult, RunResult } from './results.js';
import { renderChart } from './chart.js';

/** A number with fixed decimals, or "n/a" when it was not measured. */
export function formatNumber(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** Bytes as MiB (or GiB from 1 GiB on), or "n/a". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const mib = bytes / 1024 / 1024;
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}

/** A 0..1 rate as a percentage with two decimals, or "n/a". */
export function formatRate(rate: number): string {
  return Number.isFinite(rate) ? `${(rate * 100).toFixed(2)}%` : 'n/a';
}

/** A Markdown table; cells are escaped so a "|" in a value cannot break it. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], alignRight: readonly boolean[] = []): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  const rule = `|${header.map((_, index) => (alignRight[index] ? '---:' : '---')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

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
  return markdownTable(
    ['API replicas', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'error rate', 'ceiling tps', 'of ceiling'],
    results.map((r) => [
      String(r.replicas),
      formatNumber(r.median.requestsPerSecond, 0),
      formatNumber(r.median.p50Ms),
      formatNumber(r.median.p90Ms),
      formatNumber(r.median.p99Ms),
      formatRate(r.median.errorRate),
      formatNumber(r.ceiling?.tps ?? Number.NaN, 0),
      formatNumber(ceilingRatio(r), 2),
    ]),
    [true, true, true, true, true, true, true, true],
  );
}

function describeCeiling(result: ReplicaResult): string {
  const { ceiling } = result;
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
  const rows = results.flatMap((r) =>
    r.open.map((run) => [
      String(r.replicas),
      `${run.fraction} x ${formatNumber(r.median.requestsPerSecond, 0)}`,
      String(run.rate),
      formatNumber(run.load.requestsPerSecond, 0),
      formatNumber(r.median.p50Ms),
      formatNumber(r.median.p99Ms),
      formatNumber(run.load.latencyMs.p50),
      formatNumber(run.load.latencyMs.p99),
      formatNumber(run.load.latencyMs.p99 / run.load.latencyMs.p50),
      String(run.load.droppedIterations),
      formatRate(run.load.errorRate),
    ]),
  );
  if (rows.length === 0) return '';
  return markdownTable(
    ['API replicas', 'of closed req/s', 'arrival rate/s', 'served req/s', 'closed p50 ms', 'closed p99 ms', 'open p50 ms', 'open p99 ms', 'open p99/p50', 'dropped', 'error rate'],
    rows,
    [true, false, true, true, true, true, true, true, true, true, true],
  );
}

/** Each tier's CPU and memory, with the CPU time it spent per request served. */
function renderTiers(tiers: readonly TierStats[]): string {
  return markdownTable(
    ['tier', 'containers', 'peak CPU %', 'mean CPU %', 'CPU ms/request', 'peak memory'],
    tiers.map((tier) => [
      tier.service,
      String(tier.containers),
      formatNumber(tier.peakCpuPercent),
      formatNumber(tier.meanCpuPercent),
      formatNumber(tier.cpuMsPerRequest, 2),
      formatBytes(tier.peakMemoryBytes),
    ]),
    [false, true, true, true, true, true],
  );
}

/** Latency per kind of operation (mixed load), one row per run and operation. */
function renderOperations(runs: readonly RunResult[]): string {
  const rows = runs.flatMap((run) =>
    run.load.operations.map((op) => [
      runLabel(run),
      op.op,
      String(op.requests),
      formatNumber(op.latencyMs.p50),
      formatNumber(op.latencyMs.p90),
      formatNumber(op.latencyMs.p99),
      formatNumber(op.latencyMs.max),
    ]),
  );
  if (rows.length === 0) return '';
  return markdownTable(['run', 'operation', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows, [false, false, true, true, true, true, true]);
}

/** Requests/s and the latency percentiles of one run, as table cells. */
function loadCells(load: K6Figures): string[] {
  return [
    formatNumber(load.requestsPerSecond, 0),
    formatNumber(load.latencyMs.p50),
    formatNumber(load.latencyMs.p90),
    formatNumber(load.latencyMs.p99),
    formatNumber(load.latencyMs.max),
  ];
}

function renderReplicaSection(result: ReplicaResult): string {
  const load = markdownTable(
    ['run', 'requests', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'error rate', 'host load', 'k6 report'],
    [
      ...result.runs.map((run) => [
        String(run.run),
        String(run.load.requests),
        ...loadCells(run.load),
        String(run.load.errors),
        formatRate(run.load.errorRate),
        formatNumber(run.hostLoad1m),
        `[html](${run.files.dashboard})`,
      ]),
      ...(result.runs.length > 1
        ? [[
            'median',
            '',
            formatNumber(result.median.requestsPerSecond, 0),
            formatNumber(result.median.p50Ms),
            formatNumber(result.median.p90Ms),
            formatNumber(result.median.p99Ms),
            '',
            formatNumber(result.median.errors, 0),
            formatRate(result.median.errorRate),
            '',
            '',
          ]]
        : []),
    ],
    [false, true, true, true, true, true, true, true, true, true, false],
  );
  const open =
    result.open.length === 0
      ? ''
      : markdownTable(
          ['fraction', 'arrival rate/s', 'requests', 'served req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'dropped', 'error rate', 'host load', 'k6 report'],
          result.open.map((run) => [
            String(run.fraction),
            String(run.rate),
            String(run.load.requests),
            ...loadCells(run.load),
            String(run.load.droppedIterations),
            formatRate(run.load.errorRate),
            formatNumber(run.hostLoad1m),
            `[html](${run.files.dashboard})`,
          ]),
          [true, true, true, true, true, true, true, true, true, true, true, false],
        );
  const containers = markdownTable(
    ['container', 'tier', 'peak CPU %', 'mean CPU %', 'peak memory'],
    result.containers.map((c) => [c.container, c.service, formatNumber(c.peakCpuPercent), formatNumber(c.meanCpuPercent), formatBytes(c.peakMemoryBytes)]),
    [false, false, true, true, true],
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
  return markdownTable(
    [
      'fault', 'requests', 'failed', 'failed %', 'failed by cause', 'longest gap s', 'answers again s',
      'p50 / p99 ms before', 'during', 'after',
      ...(mixed ? ['acknowledged writes lost', 'unacknowledged writes landed'] : []),
    ],
    faults.map(({ fault, impact, writeLoss }) => [
      fault,
      String(impact.requests),
      String(impact.failed),
      formatRate(impact.failedRate),
      Object.entries(impact.failedBy).map(([cause, count]) => `${count} x ${cause}`).join(', ') || 'none',
      seconds(impact.longestGapMs),
      seconds(impact.recoveryMs),
      latencyPair(impact.before),
      latencyPair(impact.during),
      latencyPair(impact.after),
      ...(mixed && writeLoss !== null
        ? [
            String(writeLoss.acknowledgedCreatesLost + writeLoss.acknowledgedDeletesLost),
            String(writeLoss.unacknowledgedCreatesLanded + writeLoss.unacknowledgedDeletesLanded),
          ]
        : mixed
          ? ['n/a', 'n/a']
          : []),
    ]),
    [false, true, true, true, false, true, true, true, true, true, true, true],
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
  ].join('\n');
}

function renderRecord(results: BenchResults): string {
  const { machine, versions, settings } = results;
  const images = markdownTable(
    ['tier', 'image', 'image id'],
    versions.images.map((image) => [image.service, image.image, image.imageId.replace(/^sha256:/, '').slice(0, 12)]),
  );
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
    `API settings: ${Object.entries(settings.api).map(([name, value]) => `${name}=${value}`).join(', ') || 'none set'} (the rest at their defaults).`,
    '',
    `Load (${settings.scenario}): ${settings.request}. Closed model: ${settings.vus} concurrent users, each sending its next`,
    `request when the previous one is answered; ${settings.durationS} s per run after ${settings.warmupS > 0 ? `a ${settings.warmupS} s warm-up` : 'no warm-up'};`,
    `${settings.runs} run${settings.runs === 1 ? '' : 's'} per replica count${settings.runs > 1 ? ' (the median of each figure is reported)' : ''}.`,
    settings.open.length === 0
      ? 'No open-model run.'
      : `Then open model: requests arrive at ${settings.open.join(' and ')} x the closed-model requests/s, ${settings.durationS} s each,` +
        ' whether or not earlier ones were answered (latency without coordinated omission).',
    `Generator: ${settings.loadGenerator}.`,
    '',
    'CPU % is computed as `docker stats` does: 100% is one full core, so a tier can exceed 100% and all tiers',
    `together can reach ${results.machine.cores * 100}% on this ${results.machine.cores}-core machine. Memory excludes reclaimable page cache.`,
    'A tier\'s figure adds up its containers at each one-second reading; CPU ms/request is its mean CPU times the run\'s',
    'duration over the requests served. The load generator (tier `k6`) runs on the same machine and uses the same cores.',
    `"Host load" is the 1-minute load average as a run ended: far above ${results.machine.cores} means other work competed for the CPU`,
    'and the run understates the stack.',
    '',
    ...(results.faults === undefined
      ? [
          '## Summary',
          '',
          renderSummary(results.results),
          '',
          ...(openSummary === '' ? [] : [openSummary, '']),
          '![Requests per second and p99 latency against API replicas](chart.svg)',
          '',
          ...results.results.map(renderReplicaSection),
        ]
      : [renderFaultSection(results)]),
    renderRecord(results),
    '',
  ].join('\n');
}

/** Writes results.json, report.md and chart.svg into `dir`. */
export async function writeReport(dir: string, results: BenchResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), renderReport(results));
  if (results.results.length === 0) return;
  await writeFile(
    join(dir, 'chart.svg'),
    renderChart(
      results.results.map((r) => ({
        replicas: r.replicas,
        requestsPerSecond: r.median.requestsPerSecond,
        p99Ms: r.median.p99Ms,
        // The open-model run at the highest fraction: the one closest to capacity.
        openP99Ms: r.open.reduce<OpenRunResult | undefined>((top, run) => (top === undefined || run.fraction > top.fraction ? run : top), undefined)
          ?.load.latencyMs.p99,
      })),
    ),
  );
}
