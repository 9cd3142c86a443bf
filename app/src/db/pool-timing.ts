// Where a statement's time goes inside the API: waiting for a connection of the replica's own postgres.js pool, then
// the round trip on it. postgres.js has no hook for "a connection took this query" (its `debug` option fires when a
// query is written, builds an Error with a stack trace for every query, and does not say which query it was), and it
// pipelines onto busy connections, so "written" is not "started" either. Instead the pool is modelled: at most `max`
// statements are on connections at once (a connection serves its pipeline one statement at a time) and the others
// wait, first come first served. Per statement that costs a counter, two clock reads and two histogram observations;
// an array operation only while the pool is full.
import type { Sql } from './client.js';

/** The two histograms a pool's statements are observed into, in seconds. */
export interface PoolHistograms {
  poolWait: { observe(seconds: number): void };
  roundTrip: { observe(seconds: number): void };
}

interface Statement {
  issuedAt: number;
  /** When the model handed it a connection; undefined while it waits. */
  startedAt: number | undefined;
}

/**
 * The pool as a queue: `issue` when a statement (or a transaction, which holds one connection throughout) is handed to
 * postgres.js, `settle` when it is answered. While more than `max` are outstanding, the oldest waiting one starts
 * when another settles. The sum of the waits is exact (it is the time integral of the statements beyond `max`); how
 * it is split among statements assumes postgres.js answers them in the order they were issued, which it does unless a
 * pipelined statement overtakes a slower one on another connection (that one is then counted as all wait).
 */
export class PoolModel {
  private outstanding = 0;
  private readonly waiting: Statement[] = [];

  constructor(
    private readonly max: number,
    private readonly histograms: PoolHistograms,
    private readonly now: () => number = () => performance.now(),
  ) {}

  issue(): Statement {
    this.outstanding += 1;
    const issuedAt = this.now();
    if (this.outstanding <= this.max) {
      this.histograms.poolWait.observe(0);
      return { issuedAt, startedAt: issuedAt };
    }
    const statement: Statement = { issuedAt, startedAt: undefined };
    this.waiting.push(statement);
    return statement;
  }

  settle(statement: Statement): void {
    this.outstanding -= 1;
    const now = this.now();
    if (statement.startedAt === undefined) {
      // Answered before the model gave it a connection: it overtook a waiting one, which keeps its place.
      this.waiting.splice(this.waiting.indexOf(statement), 1);
      this.histograms.poolWait.observe((now - statement.issuedAt) / 1000);
      this.histograms.roundTrip.observe(0);
      return;
    }
    this.histograms.roundTrip.observe((now - statement.startedAt) / 1000);
    const next = this.outstanding >= this.max ? this.waiting.shift() : undefined;
    if (next !== undefined) {
      next.startedAt = now;
      this.histograms.poolWait.observe((now - next.issuedAt) / 1000);
    }
  }
}

/** What postgres.js's Query carries: its pool's handler, called once when the query is first awaited, and its settlers. */
interface QueryInternals {
  handler: (query: QueryInternals) => void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

function isQuery(value: unknown): value is QueryInternals {
  return typeof value === 'object' && value !== null && typeof (value as Partial<QueryInternals>).handler === 'function';
}

/** Times the query when postgres.js hands it to the pool (a fragment such as `sql\`r.id\`` never is, and costs nothing). */
function timeQuery(query: QueryInternals, model: PoolModel): void {
  const handler = query.handler;
  query.handler = (q) => {
    const statement = model.issue();
    const { resolve, reject } = q;
    q.resolve = (value) => (model.settle(statement), resolve(value));
    q.reject = (error) => (model.settle(statement), reject(error));
    handler(q);
  };
}

/**
 * The same pool, with every statement and transaction timed: tagged statements and `sql.unsafe` through the model
 * statement by statement, `sql.begin` as one occupant from its call until it commits or rolls back (its statements
 * run on the connection it holds, so they never wait for the pool).
 */
export function timedPool(sql: Sql, max: number, histograms: PoolHistograms): Sql {
  const model = new PoolModel(max, histograms);
  const unsafe = (...args: Parameters<Sql['unsafe']>): ReturnType<Sql['unsafe']> => {
    const query = sql.unsafe(...args);
    if (isQuery(query)) timeQuery(query, model);
    return query;
  };
  const begin = async (...args: unknown[]): Promise<unknown> => {
    const statement = model.issue();
    try {
      return await (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      model.settle(statement);
    }
  };
  return new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const result: unknown = Reflect.apply(target, thisArg, args);
      if (isQuery(result)) timeQuery(result, model);
      return result;
    },
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe;
      if (property === 'begin') return begin;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
