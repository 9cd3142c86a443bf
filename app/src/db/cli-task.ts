import { loadConfigOrExit, type Config } from '../config.js';
import { createSql, type Sql } from './client.js';

/** Runs a one-off database task for a command-line entry point against DATABASE_URL, then closes the pool. */
export async function runDatabaseTask(task: (sql: Sql, config: Config) => Promise<string>): Promise<void> {
  const config = loadConfigOrExit();
  const sql = createSql({ ...config, dbPoolMax: 1 });
  try {
    console.log(await task(sql, config));
  } finally {
    await sql.end({ timeout: 5 });
  }
}
