import { runDatabaseTask } from './db/cli-task.js';
import { DEFAULT_SEED_PASSWORD, seed } from './db/seeder.js';

// `npm run db:seed` / `node dist/seed.js`: inserts the demo data unless it is there already.
await runDatabaseTask(async (sql) => {
  const summary = await seed(sql, process.env.SEED_PASSWORD || DEFAULT_SEED_PASSWORD);
  return `seeded ${JSON.stringify(summary)}`;
});
