// What users saw during a fault run, from k6's per-request CSV output (`--out csv`, K6_CSV_TIME_FORMAT=unix_milli):
// failed requests by cause, the longest gap without a successful answer, latency before, during and after the fault,
// and the writes the mixed load made, for write-loss accounting.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { csvRecords, type FaultMarks } from '../tools/stack/index.js';
import { median } from './statistics.js';

/** One answered (or failed) request. */
export interface RequestRecord {
  endMs: number;
  durationMs: number;
  /** HTTP status; 0 when no answer came (connection refused, reset, timeout). */
  status: number;
  /** k6's error code when the request failed below HTTP (e.g. 1211 timeout), else "". */
  errorCode: string;
  ok: boolean;
}

/** One create or delete of the mixed load, and whether the API acknowledged it. */
export interface WriteRecord {
  op: 'create' | 'delete';
  /** vu<N>-i<I>: the create's iteration, also part of the recipe's name. */
  key: string;
  id: number | null;
  acknowledged: boolean;
}

/** Reads the requests (http_req_duration samples of the load, setup excluded) and the writes of a k6 CSV file. */
export async function readK6Csv(path: string): Promise<{ requests: RequestRecord[]; writes: WriteRecord[] }> {
  const input = createReadStream(path);
  const lines = createInterface({ input: path.endsWith('.gz') ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const requests: RequestRecord[] = [];
  const writes: WriteRecord[] = [];
  let column: Record<string, number> | undefined;
  for await (const line of lines) {
    if (line === '') continue;
    const fields = csvRecords(line)[0] ?? [];
    if (column === undefined) {
      column = Object.fromEntries(fields.map((name, index) => [name, index]));
      continue;
    }
    const at = (name: string): string => fields[column?.[name] ?? -1] ?? '';
    const metric = at('metric_name');
    if (metric === 'http_req_duration' && !at('group').startsWith('::setup')) {
      const status = Number(at('status') || 0);
      requests.push({
        endMs: Number(at('timestamp')),
        durationMs: Number(at('metric_value')),
        status,
        errorCode: at('error_code'),
        ok: at('expected_response') === 'true',
      });
    } else if (metric === 'recipe_writes') {
      const tags = new URLSearchParams(at('extra_tags'));
      const id = Number(tags.get('id'));
      writes.push({
        op: tags.get('op') === 'delete' ? 'delete' : 'create',
        key: tags.get('key') ?? '',
        id: tags.get('id') === '' || !Number.isFinite(id) ? null : id,
        acknowledged: tags.get('acknowledged') === 'true',
      });
    }
  }
  return { requests, writes };
}

/** Latency of the successful answers in a window of the run. */
export interface WindowFigures {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

/** What a fault did to the users of the stack. */
export interface FaultImpact {
  requests: number;
  failed: number;
  failedRate: number;
  /** Failed requests by cause: "HTTP 503", "no answer (k6 error 1211)", ... */
  failedBy: Record<string, number>;
  /** The longest stretch without a successful answer, and when it began (ms after injection, may be negative). */
  longestGapMs: number;
  gapStartsAfterFaultMs: number;
  /** For restarts: from the restarted service accepting connections to the first successful answer after that. */
  recoveryMs: number | null;
  before: WindowFigures;
  during: WindowFigures;
  after: WindowFigures;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function windowFigures(requests: readonly RequestRecord[]): WindowFigures {
  const latencies = requests.filter((r) => r.ok).map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    requests: requests.length,
    failed: requests.filter((r) => !r.ok).length,
    p50Ms: latencies.length === 0 ? Number.NaN : median(latencies),
    p99Ms: percentile(latencies, 99),
  };
}

function cause(request: RequestRecord): string {
  return request.status === 0 ? `no answer (k6 error ${request.errorCode || 'unknown'})` : `HTTP ${request.status}`;
}

/**
 * Measures a fault's impact. "During" runs from the injection until the cause was gone (the command done, the
 * service accepting again) or the longest gap without a successful answer ended, whichever is later.
 */
export function analyzeFault(requests: readonly RequestRecord[], marks: FaultMarks): FaultImpact {
  const byEnd = [...requests].sort((a, b) => a.endMs - b.endMs);
  const failed = byEnd.filter((r) => !r.ok);
  const failedBy: Record<string, number> = {};
  for (const request of failed) failedBy[cause(request)] = (failedBy[cause(request)] ?? 0) + 1;

  // Gaps count while the load runs, until the last request was sent: after that no answer is due, and a slow answer
  // arriving in the run's graceful stop is no outage. A stack that never answers again has a gap until then too.
  const loadEnd = byEnd.reduce((latest, r) => Math.max(latest, r.endMs - r.durationMs), Number.NEGATIVE_INFINITY);
  const successes = byEnd.filter((r) => r.ok).map((r) => r.endMs);
  let longestGapMs = 0;
  let gapStart = marks.injectedAt;
  for (const [i, from] of successes.entries()) {
    if (from >= loadEnd) break;
    const gap = Math.min(successes[i + 1] ?? loadEnd, loadEnd) - from;
    if (gap > longestGapMs) {
      longestGapMs = gap;
      gapStart = from;
    }
  }
  const recoveredFrom = marks.acceptingAt;
  const firstAfter = recoveredFrom === null ? undefined : successes.find((end) => end >= recoveredFrom);
  const duringEnd = Math.max(marks.doneAt, marks.acceptingAt ?? 0, gapStart + longestGapMs);
  return {
    requests: byEnd.length,
    failed: failed.length,
    failedRate: byEnd.length === 0 ? Number.NaN : failed.length / byEnd.length,
    failedBy,
    longestGapMs,
    gapStartsAfterFaultMs: gapStart - marks.injectedAt,
    recoveryMs: recoveredFrom === null || firstAfter === undefined ? null : firstAfter - recoveredFrom,
    before: windowFigures(byEnd.filter((r) => r.endMs < marks.injectedAt)),
    during: windowFigures(byEnd.filter((r) => r.endMs >= marks.injectedAt && r.endMs <= duringEnd)),
    after: windowFigures(byEnd.filter((r) => r.endMs > duringEnd)),
  };
}

/** Acknowledged writes lost, and unacknowledged ones that landed anyway. */
export interface WriteLoss {
  creates: number;
  deletes: number;
  /** Acknowledged creates whose recipe is not in Postgres (and that no delete touched). */
  acknowledgedCreatesLost: number;
  /** Acknowledged deletes whose recipe is still in Postgres. */
  acknowledgedDeletesLost: number;
  /** Creates the client saw fail that are in Postgres all the same. */
  unacknowledgedCreatesLanded: number;
  /** Deletes the client saw fail whose recipe is gone all the same. */
  unacknowledgedDeletesLanded: number;
}

/**
 * Compares the writes with what Postgres holds afterwards: `stored` maps each of the run's recipes still in the
 * database from its key (vu<N>-i<I>) to its id.
 */
export function accountWrites(writes: readonly WriteRecord[], stored: ReadonlyMap<string, number>): WriteLoss {
  const storedIds = new Set(stored.values());
  const deleteAttempted = new Set(writes.filter((w) => w.op === 'delete' && w.id !== null).map((w) => w.id as number));
  const creates = writes.filter((w) => w.op === 'create');
  const deletes = writes.filter((w) => w.op === 'delete' && w.id !== null);
  return {
    creates: creates.length,
    deletes: deletes.length,
    acknowledgedCreatesLost: creates.filter(
      (w) => w.acknowledged && !stored.has(w.key) && (w.id === null || !deleteAttempted.has(w.id)),
    ).length,
    acknowledgedDeletesLost: deletes.filter((w) => w.acknowledged && storedIds.has(w.id as number)).length,
    unacknowledgedCreatesLanded: creates.filter((w) => !w.acknowledged && stored.has(w.key)).length,
    unacknowledgedDeletesLanded: deletes.filter((w) => !w.acknowledged && !storedIds.has(w.id as number)).length,
  };
}
