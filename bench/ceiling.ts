// The database's ceiling for the measured endpoint: pgbench runs exactly the statements GET /api/v1/recipes runs
// (bench/list-endpoint.sql) through the stack's own PgBouncer, from inside the stack's network, with as many
// clients as PgBouncer has server connections and in the protocol mode the API uses. The full path's requests/s
// over this figure is how close the API tier comes to what the database can serve.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_SIZE, POSTGRES_PASSWORD_SHELL, execInContainer, serviceContainer } from '../tools/stack/index.js';

const SCRIPT_FILE = fileURLToPath(new URL('list-endpoint.sql', import.meta.url));
const PGBOUNCER_INI = fileURLToPath(new URL('../pgbouncer/pgbouncer.ini', import.meta.url));
// PgBouncer as the postgres container reaches it on the stack's network (compose.yaml's service name and port).
const PGBOUNCER_HOST = 'pgbouncer';
const PGBOUNCER_PORT = '6432';

/** One pgbench run of the endpoint's statements. */
export interface CeilingResult {
  /** Transactions per second: one transaction is one request's statements. */
  tps: number;
  latencyMs: number;
  transactions: number;
  clients: number;
  /** pgbench's -M: `extended` (unnamed statements, like postgres.js with prepare: false) or `prepared`. */
  protocol: 'extended' | 'prepared';
  file: string;
}

/** The statements of a pgbench script as a server receives them in extended mode: `:name` becomes $1, $2, ... */
export function scriptStatements(script: string): string[] {
  const code = script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return code
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
    .map((statement) => {
      let index = 0;
      return statement.replace(/:[a-z_]+/g, () => `$${++index}`).replace(/\s+/g, ' ');
    });
}

/** PgBouncer's server connections per pool (default_pool_size in pgbouncer/pgbouncer.ini). */
export async function pgbouncerPoolSize(ini = PGBOUNCER_INI): Promise<number> {
  const match = /^\s*default_pool_size\s*=\s*(\d+)/m.exec(await readFile(ini, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no default_pool_size in ${ini}`);
  return Number(match[1]);
}

/** Reads pgbench's report: "tps = 2437.12 (without initial connection time)" and friends. */
export function parsePgbench(output: string): Pick<CeilingResult, 'tps' | 'latencyMs' | 'transactions'> {
  const number = (pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? Number.NaN);
  const tps = number(/^tps = ([\d.]+)/m);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${output.slice(-500)}`);
  return {
    tps,
    latencyMs: number(/^latency average = ([\d.]+) ms/m),
    transactions: number(/^number of transactions actually processed: (\d+)/m),
  };
}

/**
 * Runs pgbench in the stack's postgres container (the image carries it) against PgBouncer for `durationMs`, as the
 * user whose session cookie is `cookie`, fetching the first page as the API does (PAGE_SIZE recipes, and one more to
 * tell whether a next page exists).
 */
export async function measureCeiling(options: {
  project: string;
  cookie: string;
  durationMs: number;
  prepare: boolean;
  outDir: string;
  file: string;
}): Promise<CeilingResult> {
  const clients = await pgbouncerPoolSize();
  const protocol = options.prepare ? 'prepared' : 'extended';
  const token = options.cookie.slice(options.cookie.indexOf('=') + 1);
  const hash = `\\x${createHash('sha256').update(token).digest('hex')}`;
  const postgres = await serviceContainer(options.project, 'postgres');
  const pgbench = [
    'pgbench', '-h', PGBOUNCER_HOST, '-p', PGBOUNCER_PORT, '-U', '"$POSTGRES_USER"', '-n', '-M', protocol,
    '-c', String(clients), '-j', '2', '-T', String(Math.max(1, Math.round(options.durationMs / 1000))),
    '-D', `hash='${hash}'`, '-D', 'after_id=0', '-D', `page=${PAGE_SIZE}`, '-D', `rows=${PAGE_SIZE + 1}`,
    '-f', '/tmp/list-endpoint.sql', '"$POSTGRES_DB"',
  ].join(' ');
  // The container's own POSTGRES_* settings carry the credentials; the script travels in an environment variable.
  const output = await execInContainer(
    postgres.Id,
    ['sh', '-c', `printf '%s' "$CEILING_SQL" > /tmp/list-endpoint.sql && PGPASSWORD="${POSTGRES_PASSWORD_SHELL}" ${pgbench} 2>&1`],
    { CEILING_SQL: await readFile(SCRIPT_FILE, 'utf8') },
  );
  await writeFile(join(options.outDir, options.file), output);
  return { ...parsePgbench(output), clients, protocol, file: options.file };
}
