// The report's comparison section: what each side ran, the verdict, each side's medians with the difference and its
// interval, and every round.
import type { Difference, SideFigures, Verdict } from './comparison.js';
import { figure, formatNumber, formatRate, table } from './markdown.js';
import { renderRoundBreakdowns } from './report-breakdown.js';
import type { ComparisonRecord } from './results.js';

const VERDICT: Record<Verdict, string> = {
  'a-faster': '**A is faster**: it served more requests/s in a way the rounds\' noise does not explain',
  'b-faster': '**B is faster**: it served more requests/s in a way the rounds\' noise does not explain',
  'no-difference': '**No difference detected** at this noise',
};

function percent(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%` : 'n/a';
}

function interval(difference: Difference): string {
  return `${percent(difference.estimate)} [${percent(difference.low)}, ${percent(difference.high)}]`;
}

function describeSettings(settings: Record<string, string>): string {
  const entries = Object.entries(settings);
  return entries.length === 0 ? 'the defaults' : entries.map(([name, value]) => `\`${name}=${value}\``).join(' ');
}

/** One row of the medians table: a figure of each side and, for two of them, the difference with its interval. */
interface MedianRow {
  figure: string;
  a: number;
  b: number;
  decimals: number;
  difference?: Difference;
}

export function renderComparison(comparison: ComparisonRecord): string {
  const { medians, difference, stacks } = comparison;
  const tiers = [...new Set([...Object.keys(medians.a.cpuMsPerRequest), ...Object.keys(medians.b.cpuMsPerRequest)])].sort();
  const rows: MedianRow[] = [
    { figure: 'requests/s', a: medians.a.requestsPerSecond, b: medians.b.requestsPerSecond, decimals: 0, difference: difference.requestsPerSecond },
    { figure: 'p50 ms', a: medians.a.p50Ms, b: medians.b.p50Ms, decimals: 1 },
    { figure: 'p99 ms', a: medians.a.p99Ms, b: medians.b.p99Ms, decimals: 1, difference: difference.p99Ms },
    ...tiers.map((tier) => ({
      figure: `${tier} CPU ms/request`,
      a: medians.a.cpuMsPerRequest[tier] ?? Number.NaN,
      b: medians.b.cpuMsPerRequest[tier] ?? Number.NaN,
      decimals: 2,
    })),
  ];
  const mediansTable = table<MedianRow>(
    [
      { header: 'median over the rounds', cell: (row) => row.figure },
      figure('A', (row) => formatNumber(row.a, row.decimals)),
      figure('B', (row) => formatNumber(row.b, row.decimals)),
      figure('B vs A', (row) => percent(row.b / row.a - 1)),
      figure('median difference [95% interval]', (row) => (row.difference === undefined ? '' : interval(row.difference))),
    ],
    rows,
  );
  type RoundRow = ComparisonRecord['rounds'][number] & { reports?: { a: string; b: string } };
  const hostLoads = new Map(comparison.runs.map((run) => [run.round, { a: run.a.hostLoad1m, b: run.b.hostLoad1m }]));
  const reports = new Map(comparison.runs.map((run) => [run.round, { a: run.a.files.dashboard, b: run.b.files.dashboard }]));
  const side = (get: (figures: SideFigures) => number, decimals: number, which: 'a' | 'b') => (round: RoundRow): string => formatNumber(get(round[which]), decimals);
  const roundsTable = table<RoundRow>(
    [
      figure('round', (round) => String(round.round)),
      { header: 'order', cell: (round) => round.order.join(' then ').toUpperCase() },
      figure('A req/s', side((f) => f.requestsPerSecond, 0, 'a')),
      figure('B req/s', side((f) => f.requestsPerSecond, 0, 'b')),
      figure('req/s B vs A', (round) => percent(round.b.requestsPerSecond / round.a.requestsPerSecond - 1)),
      figure('A p50 ms', side((f) => f.p50Ms, 1, 'a')),
      figure('B p50 ms', side((f) => f.p50Ms, 1, 'b')),
      figure('A p99 ms', side((f) => f.p99Ms, 1, 'a')),
      figure('B p99 ms', side((f) => f.p99Ms, 1, 'b')),
      figure('p99 B vs A', (round) => percent(round.b.p99Ms / round.a.p99Ms - 1)),
      figure('A errors', (round) => formatRate(round.a.errorRate)),
      figure('B errors', (round) => formatRate(round.b.errorRate)),
      figure('host load A / B', (round) => { const r = hostLoads.get(round.round); return r === undefined ? '' : `${formatNumber(r.a)} / ${formatNumber(r.b)}`; }),
      { header: 'k6 reports', cell: (round) => { const r = reports.get(round.round); return r === undefined ? '' : `[A](${r.a}) [B](${r.b})`; } },
    ],
    comparison.rounds,
  );
  const apiLine = (label: 'A' | 'B', stack: ComparisonRecord['stacks']['a']): string =>
    `- ${label}: ${describeSettings(label === 'A' ? comparison.a : comparison.b)}; compose project \`${stack.project}\` at ${stack.baseUrl}; ` +
    (stack.apiError === undefined
      ? `the API ran with ${Object.entries(stack.api).map(([name, value]) => `${name}=${value}`).join(', ') || 'no setting of its own'}`
      : `its API settings **could not be read** (${stack.apiError.split('\n')[0]})`) +
    `; API image ${stack.images.find((image) => image.service === 'app')?.image ?? 'n/a'}.`;
  return [
    '## Comparison',
    '',
    apiLine('A', stacks.a),
    apiLine('B', stacks.b),
    '',
    `${VERDICT[difference.verdict]}${
      difference.note !== undefined ? `: ${difference.note}.` : difference.verdict === 'no-difference' ? ': the interval of the requests/s difference includes 0.' : '.'
    }`,
    `Requests/s of B against A: ${interval(difference.requestsPerSecond)}; p99 of B against A: ${interval(difference.p99Ms)}.`,
    `Method: ${difference.method}. Both stacks were up throughout, the idle one waiting while the other was measured.`,
    '',
    mediansTable,
    '',
    '### Rounds',
    '',
    roundsTable,
    '',
    renderRoundBreakdowns(comparison.runs),
  ].join('\n');
}
