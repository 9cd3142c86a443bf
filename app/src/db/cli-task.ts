import { loadConfigOrExit } from '../config.js';
import { createSql, type Sql } from './client.js';

/** Runs a one-off database task for a command-line entry point against DATABASE_URL, then closes the pool. */
export async function runDatabaseTask(task: (sql: Sql) => Promise<string>): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.databaseUrl) {
    console.error('DATABASE_URL is not set');
    process.exit(1);
  }
  const sql = createSql({ ...config, dbPoolMax: 1 });
  try {
    console.log(await task(sql));
  } finally {
    await sql.end({ timeout: 5 });
  }
}
