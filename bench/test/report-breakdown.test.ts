import { describe, expect, it } from 'vitest';
import { renderReport } from '../report.js';
import { renderFaultBreakdowns, renderRoundBreakdowns } from '../report-breakdown.js';
import { benchResults, openRun, runResult, syntheticBreakdown } from './fixtures.js';

/** The cells of the first table row starting with `first` after `heading`. */
function row(markdown: string, heading: string, first: string): string[] {
  const section = markdown.slice(markdown.indexOf(heading));
  const line = section.split('\n').find((text) => text.startsWith(`| ${first} |`));
  if (line === undefined) throw new Error(`no row "${first}" after "${heading}"`);
  return line.slice(2, -2).split(' | ');
}

describe("report.md's breakdown", () => {
  const results = benchResults();
  const report = renderReport(results);

  it("gives every run's client mean beside its parts, the remainder, and the share explained", () => {
    // Run 1 at 1 replica: p99 210 ms, so a client mean of 70 ms; the fixture's parts leave 5% unexplained.
    const cells = row(report, '## Where the time goes', '1 replica, run 1');
    expect(cells[1]).toBe('70.00');
    expect(cells[2]).toBe('42.00');
    expect(cells.at(-6)).toBe('3.50');
    expect(cells.at(-5)).toBe('95%');
    expect(report.slice(report.indexOf('## Where the time goes')).split('\n').filter((line) => /^\| \d replicas?, run \d \|/.test(line))).toHaveLength(6);
  });

  it('gives the open-model runs their rows too', () => {
    const withOpen = benchResults();
    withOpen.results[0]?.open.push(openRun(1, 0.8, 640, 20, 90));
    expect(row(renderReport(withOpen), '## Where the time goes', '1 replica, open model at 640 req/s')[1]).toBe('30.00');
  });

  it('gives a verdict per replica count naming the limit and its knob', () => {
    expect(report).toMatch(/- \*\*1 replica\*\* \(api-cpu\): Time piles up in HAProxy's queue, .*more replicas or more CPU per replica/);
    expect(report).toMatch(/- \*\*2 replicas\*\* \(\w[\w-]*\): /);
  });

  it("shows HAProxy's servers and the busiest statements", () => {
    expect(row(report, '### HAProxy per server', '1')).toEqual(['1', 'app1', '1.0', '0.0', '10.0', '12.0', '3']);
    expect(row(report, '### Busiest statements', '1')[1]).toBe('20000');
  });

  it('lists the readings that failed instead of hiding them', () => {
    const broken = benchResults();
    const first = broken.results[0]?.runs[0];
    if (first === undefined) throw new Error('no run');
    first.breakdown = { ...first.breakdown, errors: ['PgBouncer SHOW STATS: connection refused'] };
    expect(renderReport(broken)).toContain('- 1 replica, run 1: PgBouncer SHOW STATS: connection refused');
  });

  it("gives each fault run's breakdown", () => {
    const run = { ...runResult(1, 2, 800, 90), breakdown: syntheticBreakdown(2, 30, { pgbouncerWaitMs: Number.NaN }) };
    const text = renderFaultBreakdowns([{ fault: 'restart-pgbouncer', run } as Parameters<typeof renderFaultBreakdowns>[0][number]]);
    expect(row(text, '###', 'restart-pgbouncer')[1]).toBe('30.00');
    expect(row(text, '###', 'restart-pgbouncer')[7]).toBe('n/a');
  });

  it("gives each comparison round's breakdown, A and B", () => {
    const a = runResult(1, 1, 800, 90);
    const b = { ...runResult(1, 1, 700, 120), breakdown: syntheticBreakdown(1, 40, { poolWaitMs: 20 }) };
    const text = renderRoundBreakdowns([{ round: 1, a, b }]);
    expect(row(text, '###', 'round 1 A')[1]).toBe('30.00');
    expect(row(text, '###', 'round 1 B')[5]).toBe('20.00');
  });
});
