// HAProxy's statistics (the CSV of its stats page): replicas' state and sessions for the tests, and the queue and
// per-request times the bench splits a request's latency with.
import { request } from './api.js';
import { serviceContainer, execInContainer } from './docker.js';

/** One row of HAProxy's statistics CSV: a server of a backend, or the backend itself (svname BACKEND). */
export interface StatsRow {
  proxy: string;
  server: string;
  /** UP, DOWN, MAINT (resolution) for a slot without a replica, ... */
  status: string;
  /** Requests waiting in the queue now, and the most ever. */
  queueCurrent: number;
  queueMax: number;
  /** Concurrent sessions now, and the most ever (never above the server's maxconn). */
  sessionsCurrent: number;
  sessionsMax: number;
  /** Sessions limit (the server's maxconn), or 0 when unset. */
  sessionsLimit: number;
  /** Requests (HTTP responses) answered so far: a counter. */
  responses: number;
  /**
   * Averages over the last 1024 requests, in ms: time in the queue, to connect to the server, until the response
   * headers came (rtime), and the whole request (ttime). Not counters: HAProxy keeps no totals of these.
   */
  queueMs: number;
  connectMs: number;
  responseMs: number;
  totalMs: number;
}

/** Parses the stats page's CSV (`;csv`, or `show stat` on the socket): one row per frontend, server and backend. */
export function parseHaproxyStats(text: string): StatsRow[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const index = (name: string): number => {
    const at = columns.indexOf(name);
    if (at < 0) throw new Error(`HAProxy stats CSV has no column ${name}`);
    return at;
  };
  const at = {
    proxy: index('pxname'),
    server: index('svname'),
    status: index('status'),
    qcur: index('qcur'),
    qmax: index('qmax'),
    scur: index('scur'),
    smax: index('smax'),
    slim: index('slim'),
    hrsp: ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'].map(index),
    qtime: index('qtime'),
    ctime: index('ctime'),
    rtime: index('rtime'),
    ttime: index('ttime'),
  };
  return lines.map((line) => {
    const cells = line.split(',');
    const cell = (i: number): string => cells[i] ?? '';
    const num = (i: number): number => Number(cell(i) || 0);
    return {
      proxy: cell(at.proxy),
      server: cell(at.server),
      status: cell(at.status),
      queueCurrent: num(at.qcur),
      queueMax: num(at.qmax),
      sessionsCurrent: num(at.scur),
      sessionsMax: num(at.smax),
      sessionsLimit: num(at.slim),
      responses: at.hrsp.reduce((sum, i) => sum + num(i), 0),
      queueMs: num(at.qtime),
      connectMs: num(at.ctime),
      responseMs: num(at.rtime),
      totalMs: num(at.ttime),
    };
  });
}

/** Reads HAProxy's statistics page as CSV, with the credentials compose.yaml gives it. */
export async function readHaproxyStats(baseUrl: string, user: string, password: string): Promise<StatsRow[]> {
  const reply = await request<string>(
    baseUrl,
    '/haproxy-stats;csv',
    { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } },
    10_000,
  );
  const text = reply.body;
  if (reply.status !== 200) throw new Error(`HAProxy stats answered ${reply.status}: ${text.slice(0, 200)}`);
  return parseHaproxyStats(text);
}

/** The stats page's user and password, from inside the project's haproxy container (its environment and secret file). */
export async function haproxyStatsCredentials(project: string): Promise<{ user: string; password: string }> {
  const haproxy = await serviceContainer(project, 'haproxy');
  const text = await execInContainer(haproxy.Id, ['sh', '-c', 'printf "%s\\n" "$HAPROXY_STATS_USER"; cat /run/secrets/haproxy_stats_password']);
  const [user = '', password = ''] = text.split('\n');
  return { user, password: password.trim() };
}

/** The rows of one backend: its server slots and its own summary row. */
export function backendRows(rows: StatsRow[], backend: string): { servers: StatsRow[]; summary: StatsRow } {
  const mine = rows.filter((row) => row.proxy === backend);
  const summary = mine.find((row) => row.server === 'BACKEND');
  if (!summary) throw new Error(`HAProxy stats have no backend ${backend}`);
  return { servers: mine.filter((row) => row.server !== 'BACKEND'), summary };
}
