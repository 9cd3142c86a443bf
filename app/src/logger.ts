import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** A JSON logger on stdout; at the default level each request is one line. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'recipes-api' } });
}
