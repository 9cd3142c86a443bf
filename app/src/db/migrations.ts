import { readdir, readFile } from 'node:fs/promises';
import type { Sql } from './client.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// Any constant works; it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_304_221;

export interface Migration {
  name: string;
  sql: string;
}

/** The migration files shipped with the app, in the order they apply. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(new URL(name, dir), 'utf8') })));
}

/** Applies pending migrations in one transaction; safe to run concurrently and repeatedly. Returns the names applied. */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations());
  return sql.begin(async (tx) => {
    // A transaction-scoped lock works through PgBouncer in transaction mode, unlike a session lock.
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        name       text primary key,
        applied_at timestamptz not null default now()
      )
    `;
    const done = new Set((await tx<{ name: string }[]>`select name from schema_migrations`).map((row) => row.name));
    const applied: string[] = [];
    for (const migration of all) {
      if (done.has(migration.name)) continue;
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (name) values (${migration.name})`;
      applied.push(migration.name);
    }
    return applied;
  });
}
