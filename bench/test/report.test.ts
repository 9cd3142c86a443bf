import { describe, expect, it } from 'vitest';
import { figure, formatBytes, formatNumber, formatRate, renderOpenSummary, renderReport, renderSummary, table, unhealthyRuns } from '../report.js';
import { benchResults, openRun, runResult } from './fixtures.js';

/** The cells of the table row whose first cell is `first`, in the section starting at `heading`. */
function row(markdown: string, heading: string, first: string): string[] {
  const section = markdown.slice(markdown.indexOf(heading));
  const line = section.split('\n').find((text) => text.startsWith(`| ${first} |`));
  if (line === undefined) throw new Error(`no row "${first}" after "${heading}"`);
  return line.slice(2, -2).split(' | ');
}

describe('formatting', () => {
  it('formats numbers, bytes and rates, and marks what was not measured', () => {
    expect(formatNumber(201.66)).toBe('201.7');
    expect(formatNumber(800, 0)).toBe('800');
    expect(formatNumber(Number.NaN)).toBe('n/a');
    expect(formatBytes(85 * 1024 * 1024)).toBe('85.0 MiB');
    expect(formatBytes(3 * 1024 * 1024 * 1024)).toBe('3.00 GiB');
    expect(formatRate(0.00125)).toBe('0.13%');
    expect(formatRate(Number.NaN)).toBe('n/a');
  });

  it('builds a table from column definitions, figures right-aligned, escaping pipes so a value cannot split a cell', () => {
    const text = table<{ name: string; count: number }>(
      [{ header: 'a', cell: (row) => row.name }, figure('b', (row) => String(row.count))],
      [{ name: 'x|y', count: 3 }],
    );
    expect(text.split('\n')).toEqual(['| a | b |', '|---|---:|', '| x\\|y | 3 |']);
  });
});

describe('renderReport', () => {
  const results = benchResults();
  const report = renderReport(results);

  it('has one summary row per replica count with the median figures', () => {
    const summary = renderSummary(results.results);
    expect(summary.split('\n')[0]).toBe('| API replicas | requests/s | p50 ms | p90 ms | p99 ms | error rate | ceiling tps | of ceiling |');
    expect(row(summary, '|', '1')).toEqual(['1', '800', '52.5', '105.0', '210.0', '0.00%', '2000', '0.40']);
    expect(row(summary, '|', '2')).toEqual(['2', '1450', '30.0', '60.0', '120.0', '0.00%', 'n/a', 'n/a']);
    expect(report).toContain(summary);
  });

  it('has a section per replica count with every run, the median, and the tiers', () => {
    expect(report).toContain('## 1 API replica\n');
    expect(report).toContain('## 2 API replicas\n');
    expect(row(report, '## 1 API replica', '2')).toEqual(['2', '15200', '760', '62.5', '125.0', '250.0', '500.0', '3', '0.02%', '1.7', '[html](k6-r1-run2.html)']);
    expect(row(report, '## 1 API replica', 'median')).toEqual(['median', '', '800', '52.5', '105.0', '210.0', '', '0', '0.00%', '', '']);
    // Tiers of 2 replicas: app adds both containers up, postgres is the median of 41, 42, 43; CPU ms per request is
    // the median of 1500 / 1400, 1500 / 1500 and 1500 / 1450 (app) and 300 / the same (postgres).
    expect(row(report, '## 2 API replicas', 'app')).toEqual(['app', '2', '190.0', '150.0', '1.03', '170.0 MiB']);
    expect(row(report, '## 2 API replicas', 'postgres')).toEqual(['postgres', '1', '42.0', '30.0', '0.21', '120.0 MiB']);
    expect(row(report, '## 2 API replicas', 'recipes-bench_app_2')).toEqual(['recipes-bench_app_2', 'app', '92.0', '72.0', '82.0 MiB']);
    expect(report).toContain('HAProxy routed to: `c0ffee000001`, `c0ffee000002`');
    expect(report).toContain(
      "Ceiling: pgbench ran the list endpoint's statements through the stack's PgBouncer at 2000 transactions/s " +
        '(25 clients, -M extended, mean latency 12.5 ms; [log](pgbench-r1.log)); the full path served 0.40 of it.',
    );
  });

  it('records the command, machine, versions and images', () => {
    expect(report).toContain('Command: `npm run bench -- --replicas 1,2 --runs 3`');
    expect(report).toContain('API settings: DB_POOL_MAX=5, LOG_LEVEL=warn (the rest at their defaults).');
    expect(report).toContain('- Machine: Test CPU @ 2.0GHz, 2 cores, 24.00 GiB memory, Debian GNU/Linux 12 (bookworm)');
    expect(report).toContain('Docker engine 20.10.24 (API 1.41); compose: docker-compose 1.29.2');
    expect(row(report, '## Machine and versions', 'postgres')).toEqual(['postgres', 'postgres:14.23-bookworm', 'fedcba987654']);
    expect(report).toContain('[report.html](report.html)');
    expect(report).toContain('reach 200% on this 2-core machine');
  });

  it('warns when a run failed more than 1% of its requests, with the statuses seen', () => {
    expect(report).not.toContain('of requests failed');
    const failing = benchResults();
    const run = failing.results[1]?.runs[2];
    if (run === undefined) throw new Error('fixture has runs');
    run.load = { ...run.load, errors: 2_000, errorRate: 0.069 };
    const text = renderReport(failing);
    const section = text.slice(text.indexOf('## 2 API replicas'));
    expect(section).toContain('**More than 1.00% of requests failed** in run 3 (2000 of 29000 requests failed)');
    expect(text.slice(0, text.indexOf('## 2 API replicas'))).not.toContain('of requests failed');
  });

  it('counts as unhealthy only the runs above 1% failed requests', () => {
    expect(unhealthyRuns({ runs: [runResult(1, 1, 400, 200), runResult(2, 1, 400, 200, 80)] }).map((run) => run.run)).toEqual([]);
    expect(unhealthyRuns({ runs: [runResult(1, 1, 400, 200), runResult(2, 1, 400, 200, 81)] }).map((run) => run.run)).toEqual([2]);
  });

  it('says at the top when the bench stopped early', () => {
    const partial = { ...benchResults(), incomplete: 'HAProxy did not route to 2 ready replica(s)\nmore detail' };
    expect(renderReport(partial).split('\n').slice(0, 3)).toEqual([
      '# Benchmark: recipes stack',
      '',
      '**Incomplete:** HAProxy did not route to 2 ready replica(s)',
    ]);
  });

  it('leaves out the median row for a single run and says so when k6 thresholds were crossed', () => {
    const single = benchResults();
    const first = single.results[0];
    if (first === undefined) throw new Error('fixture has results');
    first.runs = first.runs.slice(0, 1);
    const firstRun = first.runs[0];
    if (firstRun === undefined) throw new Error('fixture has runs');
    firstRun.thresholdsPassed = false;
    firstRun.load.crossedThresholds = ['http_req_duration: p(99)<1000'];
    single.settings.runs = 1;
    const text = renderReport(single);
    expect(() => row(text.slice(0, text.indexOf('## 2 API replicas')), '## 1 API replica', 'median')).toThrow();
    expect(text).toContain("The k6 script's thresholds were crossed in run 1 (http_req_duration: p(99)<1000)");
    expect(text).toContain('1 run per replica count.\nNo open-model run.\nGenerator: k6 v1.8.1');
  });

  it('puts each open-model run beside the closed-model latency of the same replica count', () => {
    const withOpen = benchResults();
    const [one, two] = withOpen.results;
    if (one === undefined || two === undefined) throw new Error('fixture has results');
    one.open = [openRun(1, 0.8, 640, 20, 45)];
    two.open = [openRun(2, 0.8, 1160, 15, 60, 12)];
    withOpen.settings.open = [0.8];
    const summary = renderOpenSummary(withOpen.results);
    expect(row(summary, '|', '1')).toEqual(['1', '0.8 x 800', '640', '640', '52.5', '210.0', '20.0', '45.0', '2.3', '0', '0.00%']);
    const text = renderReport(withOpen);
    expect(text).toContain(summary);
    expect(text).toContain('Then open model: requests arrive at 0.8 x the closed-model requests/s');
    expect(row(text, '## 2 API replicas', '0.8')).toEqual(['0.8', '1160', '23200', '1160', '15.0', '30.0', '60.0', '120.0', '12', '0.00%', '1.6', '[html](k6-r2-open0.8.html)']);
    expect(text.slice(text.indexOf('## 2 API replicas'))).toContain('The open-model run at 0.8 dropped iterations');
    expect(text.slice(0, text.indexOf('## 2 API replicas'))).not.toContain('dropped iterations:');
  });

  it('writes beside the ceiling why it was not measured, instead of a figure measured the wrong way', () => {
    const failed = benchResults();
    const first = failed.results[0];
    if (first === undefined) throw new Error('fixture has results');
    first.ceiling = null;
    first.ceilingError = 'no running app container in recipes-bench to read the API settings from';
    const text = renderReport(failed);
    expect(text).toContain('Ceiling: **not measured**: no running app container in recipes-bench to read the API settings from');
    expect(row(text, '## Summary', '1')[6]).toBe('n/a');
  });

  it('says the API settings could not be read rather than "none set"', () => {
    const unread = benchResults();
    unread.settings.api = {};
    unread.settings.apiError = 'connect ENOENT /var/run/docker.sock';
    const text = renderReport(unread);
    expect(text).toContain('API settings: **could not be read** (connect ENOENT /var/run/docker.sock).');
    expect(text).not.toContain('none set');
  });

  it('has no open-model table when none was run', () => {
    expect(renderOpenSummary(benchResults().results)).toBe('');
  });
});
