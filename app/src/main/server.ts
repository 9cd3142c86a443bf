import { createApp } from '../app.js';
import { loadConfigOrExit } from '../config.js';
import { createSql } from '../db/client.js';
import { exitOnSignal, startServer } from '../http-server.js';
import { createLogger } from '../logger.js';

// The production entry point: `node dist/main/server.js`, PID 1 under an init in the container.
const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
const sql = createSql(config);
exitOnSignal(await startServer(createApp({ sql, config, logger }), sql, config, logger), logger);
