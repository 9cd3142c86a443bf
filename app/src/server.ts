import { loadConfigOrExit } from './config.js';
import { createSql } from './db/client.js';
import { exitOnSignal, startServer } from './http-server.js';
import { createLogger } from './logger.js';

// The production entry point: `node dist/server.js`, PID 1 under an init in the container.
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (`npm run dev` starts an embedded database instead)');
  process.exit(1);
}
exitOnSignal(await startServer(config, createSql(config), logger), logger);
