import { loadConfigOrExit } from './config.js';
import { createSql } from './db/client.js';
import { DEFAULT_SEED_PASSWORD, seed } from './db/seeder.js';

// `npm run db:seed` / `node dist/seed.js`: inserts the demo data unless it is there already.
const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error('DATABASE_URL is not set');
  process.exit(1);
}
const sql = createSql({ ...config, dbPoolMax: 1 });
try {
  const summary = await seed(sql, process.env.SEED_PASSWORD || DEFAULT_SEED_PASSWORD);
  console.log(`seeded ${JSON.stringify(summary)}`);
} finally {
  await sql.end({ timeout: 5 });
}
