import { request } from '../../tools/stack/index.js';

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
    };
  });
}

/** The rows of one backend: its server slots and its own summary row. */
export function backendRows(rows: StatsRow[], backend: string): { servers: StatsRow[]; summary: StatsRow } {
  const mine = rows.filter((row) => row.proxy === backend);
  const summary = mine.find((row) => row.server === 'BACKEND');
  if (!summary) throw new Error(`HAProxy stats have no backend ${backend}`);
  return { servers: mine.filter((row) => row.server !== 'BACKEND'), summary };
}
