import { execInContainer, serviceContainer } from '../../tools/stack/index.js';
import type { Stack } from './stack.js';

export type Row = Record<string, string>;

/** Parses psql --csv output (header line, then rows; fields may be double-quoted). */
function parseCsv(text: string): Row[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  const [header = [], ...rows] = records;
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/**
 * Runs psql inside the postgres container (it has the client; the pgbouncer image need not), so the tests reach
 * the databases over the compose network without publishing their ports.
 */
async function psql(stack: Stack, args: string[], sql: string): Promise<Row[]> {
  const postgres = await serviceContainer(stack.project, 'postgres');
  const output = await execInContainer(postgres.Id, ['psql', '--csv', '-v', 'ON_ERROR_STOP=1', ...args, '-c', sql], {
    PGPASSWORD: stack.db.password,
  });
  return parseCsv(output);
}

/** A PgBouncer admin console command (SHOW POOLS, SHOW STATS, ...) as the database user, an admin_users member. */
export function pgbouncerShow(stack: Stack, what: 'POOLS' | 'STATS' | 'CLIENTS' | 'SERVERS'): Promise<Row[]> {
  return psql(stack, ['-h', 'pgbouncer', '-p', '6432', '-U', stack.db.user, '-d', 'pgbouncer'], `SHOW ${what}`);
}

/** A query straight to PostgreSQL over its Unix socket (not through PgBouncer). */
export function postgresQuery(stack: Stack, sql: string): Promise<Row[]> {
  return psql(stack, ['-U', stack.db.user, '-d', stack.db.name], sql);
}
