import { runDatabaseTask } from '../db/cli-task.js';
import { migrate } from '../db/migrations.js';

// `npm run db:migrate` / `node dist/main/migrate.js`: applies pending migrations to DATABASE_URL.
await runDatabaseTask(async (sql) => {
  const applied = await migrate(sql);
  return applied.length ? `applied ${applied.join(', ')}` : 'database is up to date';
});
