import { join } from 'node:path';
import { loadConfigOrExit } from './config.js';
import { createSql } from './db/client.js';
import { migrate } from './db/migrations.js';
import { DEFAULT_SEED_PASSWORD, seed } from './db/seeder.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { exitOnSignal, startServer } from './http-server.js';
import { createLogger } from './logger.js';

// `npm run dev`: the API on PORT, against DATABASE_URL or, when that is unset, an embedded PostgreSQL 14.
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const seedPassword = process.env.SEED_PASSWORD || DEFAULT_SEED_PASSWORD;

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  const dataDir = join(import.meta.dirname, '..', '..', '.data', 'dev-postgres');
  logger.info({ dataDir }, 'DATABASE_URL is unset: starting an embedded PostgreSQL 14');
  embedded = await startEmbeddedPostgres({ dataDir });
  databaseUrl = embedded.url;
}

const sql = createSql(config, databaseUrl);
const applied = await migrate(sql);
const seeded = await seed(sql, seedPassword);
logger.info({ applied, seeded }, 'database ready');

const running = await startServer(config, sql, logger);
exitOnSignal(running, logger, async () => embedded?.stop());
console.log(`
  Recipes API on http://localhost:${running.port}
  Demo login:  demo@example.com / ${seedPassword === DEFAULT_SEED_PASSWORD ? DEFAULT_SEED_PASSWORD : '$SEED_PASSWORD'}

  curl -c /tmp/cookies -H 'content-type: application/json' \\
       -d '{"email":"demo@example.com","password":"${seedPassword === DEFAULT_SEED_PASSWORD ? DEFAULT_SEED_PASSWORD : '...'}"}' \\
       http://localhost:${running.port}/api/v1/auth/login
  curl -b /tmp/cookies http://localhost:${running.port}/api/v1/recipes
`);
