import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FaultMarks } from '../../tools/stack/index.js';
import { accountWrites, analyzeFault, readK6Csv, type RequestRecord } from '../fault-timeline.js';

// The header k6 1.x writes with --out csv, and rows of the kinds the bench reads.
const HEADER = 'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata';
const CSV = [
  HEADER,
  'http_req_duration,1000,72.3,,,,true,::setup,POST,POST /api/v1/auth/login,HTTP/1.1,,,200,,,POST /api/v1/auth/login,,',
  'http_req_duration,2000,15.9,,,,true,,GET,GET /api/v1/recipes,HTTP/1.1,default,,200,,,GET /api/v1/recipes,,',
  'http_reqs,2000,1,,,,true,,GET,GET /api/v1/recipes,HTTP/1.1,default,,200,,,GET /api/v1/recipes,,',
  'http_req_duration,2100,3.2,,,,false,,GET,GET /api/v1/recipes,HTTP/1.1,default,,503,,,GET /api/v1/recipes,,',
  'http_req_duration,2200,0,,"read: connection reset by peer",1000,false,,POST,POST /api/v1/recipes,,default,,0,,,POST /api/v1/recipes,,',
  'recipe_writes,2300,1,,,,,,,,,default,,,,,,id=2201&acknowledged=true&op=create&key=vu4-i0,',
  'recipe_writes,2400,1,,,,,,,,,default,,,,,,op=delete&id=2201&acknowledged=false,',
  'recipe_writes,2500,1,,,,,,,,,default,,,,,,acknowledged=false&op=create&key=vu2-i1&id=,',
].join('\n');

describe('readK6Csv', () => {
  it('reads the load\'s requests (not setup\'s) and the writes, gzipped or not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k6-csv-'));
    try {
      await writeFile(join(dir, 'plain.csv'), `${CSV}\n`);
      await writeFile(join(dir, 'packed.csv.gz'), gzipSync(`${CSV}\n`));
      for (const file of ['plain.csv', 'packed.csv.gz']) {
        const { requests, writes } = await readK6Csv(join(dir, file));
        expect(requests).toEqual([
          { endMs: 2000, durationMs: 15.9, status: 200, errorCode: '', ok: true },
          { endMs: 2100, durationMs: 3.2, status: 503, errorCode: '', ok: false },
          { endMs: 2200, durationMs: 0, status: 0, errorCode: '1000', ok: false },
        ]);
        expect(writes).toEqual([
          { op: 'create', key: 'vu4-i0', id: 2201, acknowledged: true },
          { op: 'delete', key: '', id: 2201, acknowledged: false },
          { op: 'create', key: 'vu2-i1', id: null, acknowledged: false },
        ]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function request(endMs: number, ok = true, status = ok ? 200 : 503, durationMs = 10): RequestRecord {
  return { endMs, durationMs, status, errorCode: status === 0 ? '1211' : '', ok };
}

describe('analyzeFault', () => {
  // Answers every 100 ms; the database goes away at 1000 and accepts again at 3000; answers resume at 3400.
  const requests = [
    ...[100, 200, 300, 400, 500, 600, 700, 800, 900].map((t) => request(t)),
    request(1100, false),
    request(1500, false, 0),
    request(2900, false),
    request(3400, true, 200, 900),
    ...[3500, 3600, 3700].map((t) => request(t, true, 200, 20)),
  ];
  const marks: FaultMarks = { fault: 'restart-postgres', injectedAt: 1000, doneAt: 1200, acceptingAt: 3000, detail: 'docker restart' };
  const impact = analyzeFault(requests, marks);

  it('counts failed requests by cause', () => {
    expect(impact).toMatchObject({ requests: 16, failed: 3, failedBy: { 'HTTP 503': 2, 'no answer (k6 error 1211)': 1 } });
  });

  it('finds the longest gap without a successful answer and the recovery after the service accepts again', () => {
    expect(impact.longestGapMs).toBe(2500);
    expect(impact.gapStartsAfterFaultMs).toBe(-100);
    expect(impact.recoveryMs).toBe(400);
  });

  it('splits latency into before, during (until the gap ended) and after', () => {
    expect(impact.before).toEqual({ requests: 9, failed: 0, p50Ms: 10, p99Ms: 10 });
    expect(impact.during).toMatchObject({ requests: 4, failed: 3, p50Ms: 900, p99Ms: 900 });
    expect(impact.after).toMatchObject({ requests: 3, failed: 0, p50Ms: 20 });
  });
});

describe('analyzeFault at the end of the load', () => {
  const marks: FaultMarks = { fault: 'restart-pgbouncer', injectedAt: 1000, doneAt: 1200, acceptingAt: 1500, detail: 'docker restart' };
  const steady = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100].map((t) => request(t));

  it('does not count the wait for a slow answer after the last request was sent', () => {
    // The last request starts at 1090 and is answered 3 s later, in the run's graceful stop.
    const impact = analyzeFault([...steady, request(4090, true, 200, 3000)], marks);
    expect(impact.longestGapMs).toBe(100);
  });

  it('reads a long run: more samples than a function call takes as arguments', () => {
    const long = Array.from({ length: 300_000 }, (_, i) => request(i + 1));
    expect(analyzeFault(long, marks).longestGapMs).toBe(1);
  });

  it('counts a stack that never answers again as a gap until the last request was sent', () => {
    const impact = analyzeFault([...steady, request(1300, false), request(2500, false, 503, 10), request(3000, false)], marks);
    expect(impact.longestGapMs).toBe(3000 - 10 - 1100);
    expect(impact.gapStartsAfterFaultMs).toBe(100);
  });
});

describe('accountWrites', () => {
  it('finds acknowledged writes lost and unacknowledged ones that landed', () => {
    const loss = accountWrites(
      [
        { op: 'create', key: 'vu1-i0', id: 10, acknowledged: true }, // stored: fine
        { op: 'create', key: 'vu1-i1', id: 11, acknowledged: true }, // missing, never deleted: lost
        { op: 'create', key: 'vu1-i2', id: 12, acknowledged: true }, // missing, deleted: fine
        { op: 'delete', key: '', id: 12, acknowledged: true },
        { op: 'create', key: 'vu2-i0', id: null, acknowledged: false }, // stored although the client saw a failure
        { op: 'delete', key: '', id: 10, acknowledged: true }, // acknowledged, yet still stored: lost
      ],
      new Map([
        ['vu1-i0', 10],
        ['vu2-i0', 20],
      ]),
    );
    expect(loss).toEqual({
      creates: 4,
      deletes: 2,
      acknowledgedCreatesLost: 1,
      acknowledgedDeletesLost: 1,
      unacknowledgedCreatesLanded: 1,
      unacknowledgedDeletesLanded: 0,
    });
  });
});
