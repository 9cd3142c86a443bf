// What the bench prints when it is done, and its exit code: 0 when every run measured service, 1 when a run mostly
// measured failures or a fault lost an acknowledged write (the figures are written either way).
import type { BenchResults } from './results.js';
import { renderFaults, renderOpenSummary, renderSummary, unhealthyRuns } from './report.js';
import { renderComparison } from './report-comparison.js';

const MAX_HEALTHY_ERROR_RATE = 0.01;

/** Prints the summary of `record` to stdout and problems to stderr; returns the exit code. */
export function reportOutcome(record: BenchResults, reportPath: string): number {
  const out = (text: string): boolean => process.stdout.write(text);
  const problem = (text: string): number => {
    process.stderr.write(`bench: ${text}; see the report\n`);
    return 1;
  };
  if (record.comparison !== undefined) {
    out(`${renderComparison(record.comparison)}\nReport: ${reportPath}\n`);
    const failing = record.comparison.rounds.filter((round) => round.a.errorRate > MAX_HEALTHY_ERROR_RATE || round.b.errorRate > MAX_HEALTHY_ERROR_RATE);
    return failing.length > 0 ? problem(`more than 1% of requests failed in round ${failing.map((round) => round.round).join(', ')}`) : 0;
  }
  if (record.faults !== undefined) {
    out(`${renderFaults(record.faults)}\n\nReport: ${reportPath}\n`);
    // A fault may fail requests, which the report shows; losing a write the API acknowledged is a bug.
    const lost = record.faults.filter((run) => run.writeLoss !== null && run.writeLoss.acknowledgedCreatesLost + run.writeLoss.acknowledgedDeletesLost > 0);
    return lost.length > 0 ? problem(`acknowledged writes were lost in ${lost.map((run) => run.fault).join(', ')}`) : 0;
  }
  const open = renderOpenSummary(record.results);
  out(`${renderSummary(record.results)}\n${open === '' ? '' : `\n${open}\n`}\nReport: ${reportPath}\n`);
  // Like a crossed k6 threshold: the figures are recorded, but a run that mostly measured failures fails the bench.
  const unhealthy = record.results.filter((result) => unhealthyRuns(result).length > 0).map((result) => result.replicas);
  return unhealthy.length > 0 ? problem(`more than 1% of requests failed at ${unhealthy.join(', ')} replica(s)`) : 0;
}
