import { describe, expect, it } from 'vitest';
import { parseCsv, parseHaproxyStats } from '../../tools/stack/index.js';
import { apiCounters, apiCountersBetween, haproxyReading, histogramTotals, pgbouncerPools, pgbouncerStats, statementCounters, statementsBetween } from '../tier-counters.js';

// HAProxy 2.6's CSV columns up to ttime, in its order; the rows fill the ones the bench reads.
const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,';
function row(cells: Record<string, string | number>): string {
  const columns = HEADER.replace(/^# /, '').split(',');
  return columns.map((name) => String(cells[name] ?? '')).join(',');
}

const CSV = [
  HEADER,
  row({ pxname: 'api', svname: 'FRONTEND', status: 'OPEN', hrsp_2xx: 5000 }),
  row({ pxname: 'app', svname: 'app1', status: 'UP', qcur: 3, qmax: 9, scur: 25, smax: 25, slim: 25, hrsp_2xx: 2990, hrsp_5xx: 10, qtime: 4, ctime: 0, rtime: 18, ttime: 23 }),
  row({ pxname: 'app', svname: 'app2', status: 'MAINT (resolution)', slim: 25 }),
  row({ pxname: 'app', svname: 'BACKEND', status: 'UP', qcur: 3, qmax: 9, scur: 25, smax: 25, hrsp_2xx: 2990, hrsp_5xx: 10, qtime: 4, ctime: 1, rtime: 18, ttime: 23 }),
].join('\n');

describe("HAProxy's stats CSV", () => {
  it('reads the queue, the answered requests and the four average times of each row', () => {
    const [, server] = parseHaproxyStats(CSV);
    expect(server).toMatchObject({ proxy: 'app', server: 'app1', queueCurrent: 3, queueMax: 9, sessionsLimit: 25, responses: 3000, queueMs: 4, connectMs: 0, responseMs: 18, totalMs: 23 });
  });

  it("reads the backend's summary and the servers that have a replica", () => {
    const reading = haproxyReading(parseHaproxyStats(CSV));
    expect(reading).toMatchObject({ responses: 3000, queueCurrent: 3, queueMs: 4, connectMs: 1 });
    expect(reading.servers.map((server) => server.server)).toEqual(['app1']);
  });

  it('refuses a CSV without the time columns', () => {
    expect(() => parseHaproxyStats('# pxname,svname,status\napp,BACKEND,UP')).toThrow(/no column qcur/);
  });
});

const METRICS = `# HELP http_request_duration_seconds Time from request to response
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/recipes",status="200"} 90
http_request_duration_seconds_sum{method="GET",route="/api/v1/recipes",status="200"} 1.5
http_request_duration_seconds_count{method="GET",route="/api/v1/recipes",status="200"} 100
http_request_duration_seconds_sum{method="GET",route="/readyz",status="200"} 0.3
http_request_duration_seconds_count{method="GET",route="/readyz",status="200"} 30
http_request_duration_seconds_sum{method="POST",route="/api/v1/auth/login",status="200"} 0.5
http_request_duration_seconds_count{method="POST",route="/api/v1/auth/login",status="200"} 1
db_pool_wait_seconds_bucket{le="0.0001"} 100
db_pool_wait_seconds_sum 0.25
db_pool_wait_seconds_count 131
db_round_trip_seconds_sum 0.75
db_round_trip_seconds_count 131
nodejs_event_loop_delay_seconds_sum 0.02
nodejs_event_loop_delay_seconds_count 1000
`;

describe("the API's /metrics", () => {
  it("adds up a histogram's label sets, leaving out probes and scrapes", () => {
    expect(histogramTotals(METRICS, 'http_request_duration_seconds')).toEqual({ count: 101, sum: 2 });
    expect(histogramTotals(METRICS, 'db_pool_wait_seconds')).toEqual({ count: 131, sum: 0.25 });
  });

  it('adds up what the replicas up at both readings counted in between', () => {
    const before = apiCounters(METRICS);
    const after = apiCounters(METRICS.replace('db_round_trip_seconds_count 131', 'db_round_trip_seconds_count 231'));
    const restarted = apiCounters('');
    const between = apiCountersBetween({ a: before, b: before, killed: after, restarted: before }, { a: after, b: after, started: after, restarted });
    expect(between?.roundTrip).toEqual({ count: 200, sum: 0 });
    expect(between?.requests).toEqual({ count: 0, sum: 0 });
    expect(apiCountersBetween({ a: before }, { b: after })).toBeUndefined();
  });
});

describe("PgBouncer's admin console", () => {
  const stats = parseCsv(
    'database,total_xact_count,total_query_count,total_received,total_sent,total_xact_time,total_query_time,total_wait_time\n' +
      'pgbouncer,5,5,0,0,0,0,0\nrecipes,1000,1000,1,1,2500000,2000000,400000\n',
  );

  it('SHOW STATS: the totals of the application database, the admin console left out', () => {
    expect(pgbouncerStats(stats)).toEqual({ transactions: 1000, queries: 1000, transactionUs: 2_500_000, queryUs: 2_000_000, waitUs: 400_000 });
  });

  it('SHOW POOLS: clients waiting and server connections in use', () => {
    const pools = parseCsv('database,user,cl_active,cl_waiting,sv_active,sv_idle\npgbouncer,pgbouncer,1,0,0,0\nrecipes,recipes,40,7,25,0\n');
    expect(pgbouncerPools(pools)).toEqual({ clientsWaiting: 7, serversActive: 25 });
  });
});

describe('pg_stat_statements', () => {
  const read = (calls: number, total: number) =>
    statementCounters(
      parseCsv(
        `queryid,calls,total_exec_time,query\n` +
          `11,${calls},${total},"select coalesce(string_agg(page.json, ',')\n  filter (where page.n <= $1), '')"\n` +
          `12,3,1.5,select queryid from pg_stat_statements\n` +
          `13,2,0.4,select 1 where $1\n`,
      ),
    );

  it("leaves out the bench's own readings and folds a statement's lines", () => {
    const statements = read(10, 5);
    expect(statements.map((s) => s.queryId)).toEqual(['11', '13']);
    expect(statements[0]?.query).toBe("select coalesce(string_agg(page.json, ',') filter (where page.n <= $1), '')");
  });

  it('gives each statement its calls, mean and total during the run, busiest first, idle ones left out', () => {
    const between = statementsBetween(read(10, 5), read(1010, 905));
    expect(between).toEqual([{ query: expect.stringMatching(/^select coalesce/), calls: 1000, totalMs: 900, meanMs: 0.9 }]);
  });
});
