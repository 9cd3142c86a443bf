import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadFigures } from './load.js';
import type { BenchResults, ReplicaResult } from './results.js';
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

/** The runs of a replica count whose failed requests exceed 1%: they measured failures, not service. */
export function unhealthyRuns(result: Pick<ReplicaResult, 'runs'>): ReplicaResult['runs'] {
  return result.runs.filter((run) => run.load.errorRate > MAX_HEALTHY_ERROR_RATE);
}

function describeStatuses(load: LoadFigures): string {
  if (load.statusCodes === null) return `${load.errors} failed requests`;
  return Object.entries(load.statusCodes)
    .map(([status, count]) => `${count} x ${status}`)
    .join(', ');
}

function replicaLabel(replicas: number): string {
  return `${replicas} API replica${replicas === 1 ? '' : 's'}`;
}

/** The table of median figures, one row per replica count. */
export function renderSummary(results: readonly ReplicaResult[]): string {
  return markdownTable(
    ['API replicas', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'error rate'],
    results.map((r) => [
      String(r.replicas),
      formatNumber(r.median.requestsPerSecond, 0),
      formatNumber(r.median.p50Ms),
      formatNumber(r.median.p90Ms),
      formatNumber(r.median.p99Ms),
      formatRate(r.median.errorRate),
    ]),
    [true, true, true, true, true, true],
  );
}

function renderReplicaSection(result: ReplicaResult): string {
  const load = markdownTable(
    ['run', 'requests', 'requests/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'error rate', 'host load'],
    [
      ...result.runs.map((run) => [
        String(run.run),
        String(run.load.requests),
        formatNumber(run.load.requestsPerSecond, 0),
        formatNumber(run.load.latencyMs.p50),
        formatNumber(run.load.latencyMs.p90),
        formatNumber(run.load.latencyMs.p99),
        formatNumber(run.load.latencyMs.max),
        String(run.load.errors),
        formatRate(run.load.errorRate),
        formatNumber(run.hostLoad1m),
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
          ]]
        : []),
    ],
    [false, true, true, true, true, true, true, true, true, true],
  );
  const tiers = markdownTable(
    ['tier', 'containers', 'peak CPU %', 'mean CPU %', 'peak memory'],
    result.tiers.map((tier) => [
      tier.service,
      String(tier.containers),
      formatNumber(tier.peakCpuPercent),
      formatNumber(tier.meanCpuPercent),
      formatBytes(tier.peakMemoryBytes),
    ]),
    [false, true, true, true, true],
  );
  const containers = markdownTable(
    ['container', 'tier', 'peak CPU %', 'mean CPU %', 'peak memory'],
    result.containers.map((c) => [c.container, c.service, formatNumber(c.peakCpuPercent), formatNumber(c.meanCpuPercent), formatBytes(c.peakMemoryBytes)]),
    [false, false, true, true, true],
  );
  const thresholds = result.runs.some((run) => run.load.thresholdsPassed === false)
    ? '\nThe k6 script\'s thresholds were crossed in at least one run (see its log).\n'
    : '';
  const failing = unhealthyRuns(result);
  const failures =
    failing.length === 0
      ? ''
      : `\n**More than ${formatRate(MAX_HEALTHY_ERROR_RATE)} of requests failed** in run ${failing.map((run) => run.run).join(', ')} ` +
        `(${failing.map((run) => describeStatuses(run.load)).join('; ')}): the throughput and latency figures describe failures, not service.\n`;
  const samplerErrors = result.runs.flatMap((run) => run.samplerErrors);
  const gaps = samplerErrors.length > 0 ? `\n${samplerErrors.length} stats reading(s) failed; see results.json.\n` : '';
  const notes = [failures, thresholds, gaps].filter((note) => note !== '').map((note) => note.trim());
  return [
    `## ${replicaLabel(result.replicas)}`,
    '',
    `HAProxy routed to: ${result.servedBy.map((name) => `\`${name}\``).join(', ') || 'n/a'}`,
    '',
    '### Load',
    '',
    load,
    '',
    ...notes.flatMap((note) => [note, '']),
    `### Tiers${result.runs.length > 1 ? ' (median over runs)' : ''}`,
    '',
    tiers,
    '',
    '### Containers',
    '',
    containers,
    '',
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
    `Load: ${settings.request}; ${settings.vus} concurrent users, each sending its next request when the previous`,
    `one is answered (closed model); ${settings.durationS} s per run after ${settings.warmupS > 0 ? `a ${settings.warmupS} s warm-up` : 'no warm-up'};`,
    `${settings.runs} run${settings.runs === 1 ? '' : 's'} per replica count${settings.runs > 1 ? ' (the median of each figure is reported)' : ''}. Generator: ${settings.loadGenerator}.`,
    '',
    'CPU % is computed as `docker stats` does: 100% is one full core, so a tier can exceed 100% and all tiers',
    `together can reach ${results.machine.cores * 100}% on this ${results.machine.cores}-core machine. Memory excludes reclaimable page cache.`,
    'A tier\'s figure adds up its containers at each one-second reading. The load generator runs on the same',
    `machine and uses the same cores. "Host load" is the 1-minute load average as a run ended: far above ${results.machine.cores}`,
    'means other work competed for the CPU and the run understates the stack.',
    '',
    '## Summary',
    '',
    renderSummary(results.results),
    '',
    '![Requests per second and p99 latency against API replicas](chart.svg)',
    '',
    ...results.results.map(renderReplicaSection),
    renderRecord(results),
    '',
  ].join('\n');
}

/** Writes results.json, report.md and chart.svg into `dir`. */
export async function writeReport(dir: string, results: BenchResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), renderReport(results));
  await writeFile(
    join(dir, 'chart.svg'),
    renderChart(results.results.map((r) => ({ replicas: r.replicas, requestsPerSecond: r.median.requestsPerSecond, p99Ms: r.median.p99Ms }))),
  );
}
