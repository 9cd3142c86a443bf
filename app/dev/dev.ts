import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfigOrExit } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { migrate } from '../src/db/migrations.js';
import { DEFAULT_SEED_PASSWORD, seed } from '../src/db/seeder.js';
import { exitOnSignal, startServer } from '../src/http-server.js';
import { createLogger } from '../src/logger.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';

// `npm run dev`: the API on PORT, against DATABASE_URL or, when that is unset, an embedded PostgreSQL 14.
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
// The banner shows the password only when it is the well-known development default.
const shownPassword = config.seedPassword === undefined ? DEFAULT_SEED_PASSWORD : undefined;

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
const seeded = await seed(sql, config.seedPassword);
logger.info({ applied, seeded }, 'database ready');

const running = await startServer(createApp({ sql, config, logger }), sql, config, logger);
exitOnSignal(running, logger, async () => embedded?.stop());
console.log(`
  Recipes API on http://localhost:${running.port}
  Demo login:  demo@example.com / ${shownPassword ?? '$SEED_PASSWORD'}

  curl -c /tmp/cookies -H 'content-type: application/json' \\
       -d '{"email":"demo@example.com","password":"${shownPassword ?? '...'}"}' \\
       http://localhost:${running.port}/api/v1/auth/login
  curl -b /tmp/cookies http://localhost:${running.port}/api/v1/recipes
`);
