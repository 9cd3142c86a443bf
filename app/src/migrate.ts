import { loadConfigOrExit } from './config.js';
import { createSql } from './db/client.js';
import { migrate } from './db/migrations.js';

// `npm run db:migrate` / `node dist/migrate.js`: applies pending migrations to DATABASE_URL.
const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error('DATABASE_URL is not set');
  process.exit(1);
}
const sql = createSql({ ...config, dbPoolMax: 1 });
try {
  const applied = await migrate(sql);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
} finally {
  await sql.end({ timeout: 5 });
}
