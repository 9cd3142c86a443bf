// SQL against a running stack, from inside its postgres container (which has psql and the credentials in its
// environment), so nothing needs a published database port or a password from the caller.
import { execInContainer, serviceContainer } from './docker.js';

export type Row = Record<string, string>;

/**
 * The database password inside the postgres container, as shell: POSTGRES_PASSWORD (compose), else the file
 * POSTGRES_PASSWORD_FILE names (a Docker or Swarm secret).
 */
export const POSTGRES_PASSWORD_SHELL = '${POSTGRES_PASSWORD:-$(cat "$POSTGRES_PASSWORD_FILE" 2>/dev/null)}';

/** Splits CSV text into records of fields (RFC 4180: double-quoted fields may hold commas, quotes and newlines). */
export function csvRecords(text: string): string[][] {
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
  return records;
}

/** Parses psql --csv output (header line, then rows). */
export function parseCsv(text: string): Row[] {
  const [header = [], ...rows] = csvRecords(text);
  return rows.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

/** Where a statement goes: straight to Postgres over its Unix socket, or through PgBouncer (`database: 'pgbouncer'` is its admin console). */
export interface QueryTarget {
  via?: 'postgres' | 'pgbouncer';
  database?: string;
}

/**
 * The psql command, run inside the postgres container (which has psql and the credentials in its environment), that
 * runs one statement as the stack's database user and prints CSV: a command line and the variables to run it with.
 */
export function psqlCommand(sql: string, options: QueryTarget = {}): { command: string[]; env: Record<string, string> } {
  const target = options.via === 'pgbouncer' ? '-h pgbouncer -p 6432' : '';
  const database = options.database === undefined ? '"$POSTGRES_DB"' : '"$QUERY_DATABASE"';
  return {
    command: ['sh', '-c', `PGPASSWORD="${POSTGRES_PASSWORD_SHELL}" psql --csv -v ON_ERROR_STOP=1 ${target} -U "$POSTGRES_USER" -d ${database} -c "$QUERY"`],
    env: { QUERY: sql, QUERY_DATABASE: options.database ?? '' },
  };
}

/** Runs one statement (psqlCommand) in the project's postgres container, found by compose's labels. */
export async function queryStack(project: string, sql: string, options: QueryTarget = {}): Promise<Row[]> {
  const postgres = await serviceContainer(project, 'postgres');
  const { command, env } = psqlCommand(sql, options);
  return parseCsv(await execInContainer(postgres.Id, command, env));
}
