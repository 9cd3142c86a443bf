import { runDatabaseTask } from '../db/cli-task.js';
import { seed } from '../db/seeder.js';

// `npm run db:seed` / `node dist/main/seed.js`: inserts the demo data unless it is there already.
await runDatabaseTask(async (sql, config) => {
  const summary = await seed(sql, config.seedPassword);
  return `seeded ${JSON.stringify(summary)}`;
});
