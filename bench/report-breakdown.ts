// The report's "where the time goes": each run's breakdown of the client's mean latency into the tiers' parts, the
// remainder the parts do not explain, and the verdict per replica count.
import { BREAKDOWN_PARTS, type Breakdown, type RunBreakdown } from './breakdown.js';
import { figure, formatNumber, table, type Column } from './markdown.js';
import type { ComparisonRecord, FaultRunResult, ReplicaResult } from './results.js';

/** The share of the client's mean latency the parts explain (all but the remainder). */
export function explainedShare(breakdown: Breakdown): number {
  return 1 - breakdown.remainderMs / breakdown.clientMeanMs;
}

interface Row {
  label: string;
  breakdown: RunBreakdown;
}

function breakdownTable(rows: readonly Row[]): string {
  const ms = (value: number): string => formatNumber(value, 2);
  const columns: Column<Row>[] = [
    { header: 'run', cell: (row) => row.label },
    figure('client mean ms', (row) => ms(row.breakdown.breakdown.clientMeanMs)),
    ...BREAKDOWN_PARTS.map((part) => figure<Row>(part.nested === true ? `(${part.label})` : part.label, (row) => ms(row.breakdown.breakdown[part.key]))),
    figure('explained', (row) => `${formatNumber(explainedShare(row.breakdown.breakdown) * 100, 0)}%`),
    figure('HAProxy queue peak', (row) => formatNumber(row.breakdown.evidence.haproxyQueuePeak, 0)),
    figure('PgBouncer waiting peak', (row) => formatNumber(row.breakdown.evidence.pgbouncerWaitingPeak, 0)),
    figure('Postgres active peak', (row) => formatNumber(row.breakdown.evidence.postgresActivePeak, 0)),
    figure('event loop late ms', (row) => ms(row.breakdown.evidence.eventLoopDelayMs)),
  ];
  return table(columns, rows);
}

function readingErrors(rows: readonly Row[]): string[] {
  return rows.flatMap((row) => [...new Set(row.breakdown.errors)].map((error) => `- ${row.label}: ${error}`));
}

const METHOD =
  "Per request, in ms, from each tier's own counters read at the start and end of the run (queues once a second), in the order a request meets them: " +
  "HAProxy's queue and connect times (its stats: averages over the last 1024 requests, weighted by the requests of each second); " +
  "in the replica, the wait before its handler ran (HAProxy's response time `rtime` less the API's own measure `http_request_duration_seconds`), " +
  "then the API's own measure split into its pool's wait (`db_pool_wait_seconds`), the database round trip (`db_round_trip_seconds`; of which " +
  "PgBouncer's wait for a server connection, SHOW STATS `total_wait_time`, and Postgres executing, pg_stat_statements `total_exec_time`, both over " +
  "the API's requests) and its own time; HAProxy sending the response on (`ttime` less the others). \"Not explained\" is the client's mean less " +
  "HAProxy's `ttime`: the network to the client and k6 itself.";

/** The section for the replica counts: every run's breakdown (closed and open model), HAProxy's servers, the busiest statements, and the verdicts (closed model). */
export function renderBreakdownSection(results: readonly ReplicaResult[]): string {
  const rows = results.flatMap((result) => {
    const name = `${result.replicas} replica${result.replicas === 1 ? '' : 's'}`;
    return [
      ...result.runs.map((run) => ({ label: `${name}, run ${run.run}`, breakdown: run.breakdown })),
      ...result.open.map((run) => ({ label: `${name}, open model at ${run.rate} req/s`, breakdown: run.breakdown })),
    ];
  });
  if (rows.length === 0) return '';
  const statements = results.flatMap((result) =>
    result.evidence.statements.slice(0, 3).map((statement) => ({ replicas: result.replicas, ...statement })),
  );
  const servers = results.flatMap((result) => result.evidence.haproxyServers.map((server) => ({ replicas: result.replicas, ...server })));
  const errors = readingErrors(rows);
  return [
    '## Where the time goes',
    '',
    METHOD,
    '',
    breakdownTable(rows),
    '',
    ...(errors.length === 0 ? [] : ['Readings that failed (their parts are n/a):', '', ...errors, '']),
    '### Verdict',
    '',
    ...results.map((result) => `- **${result.replicas} replica${result.replicas === 1 ? '' : 's'}** (${result.verdict.limit}): ${result.verdict.sentence}`),
    '',
    ...(servers.length === 0
      ? []
      : [
          "### HAProxy per server (the median run; averages over each server's last 1024 requests at its end)",
          '',
          table<(typeof servers)[number]>(
            [
              figure('replicas', (row) => String(row.replicas)),
              { header: 'server', cell: (row) => row.server },
              figure('queue ms', (row) => formatNumber(row.queueMs, 1)),
              figure('connect ms', (row) => formatNumber(row.connectMs, 1)),
              figure('response ms', (row) => formatNumber(row.responseMs, 1)),
              figure('total ms', (row) => formatNumber(row.totalMs, 1)),
              figure('queue peak', (row) => formatNumber(row.queuePeak, 0)),
            ],
            servers,
          ),
          '',
        ]),
    ...(statements.length === 0
      ? []
      : [
          '### Busiest statements (pg_stat_statements, the median run)',
          '',
          table<(typeof statements)[number]>(
            [
              figure('replicas', (row) => String(row.replicas)),
              figure('calls', (row) => String(row.calls)),
              figure('mean ms', (row) => formatNumber(row.meanMs, 3)),
              figure('total ms', (row) => formatNumber(row.totalMs, 0)),
              { header: 'statement', cell: (row) => `\`${row.query.slice(0, 120)}\`` },
            ],
            statements,
          ),
          '',
        ]),
  ].join('\n');
}

/** A titled table of labelled runs' breakdowns, with the readings that failed. */
function renderBreakdowns(title: string, rows: readonly Row[]): string {
  if (rows.length === 0) return '';
  const errors = readingErrors(rows);
  return [title, '', METHOD, '', breakdownTable(rows), '', ...(errors.length === 0 ? [] : [...errors, ''])].join('\n');
}

/** Each comparison round's breakdown, A and B. */
export function renderRoundBreakdowns(runs: ComparisonRecord['runs']): string {
  return renderBreakdowns(
    '### Where the time goes, by round',
    runs.flatMap(({ round, a, b }) => [
      { label: `round ${round} A`, breakdown: a.breakdown },
      { label: `round ${round} B`, breakdown: b.breakdown },
    ]),
  );
}

/** Each fault run's breakdown (a tier restarted during the run leaves its parts out). */
export function renderFaultBreakdowns(faults: readonly FaultRunResult[]): string {
  return renderBreakdowns('### Where the time goes, by fault run', faults.map((fault) => ({ label: fault.fault, breakdown: fault.run.breakdown })));
}
