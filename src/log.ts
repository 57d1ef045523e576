/** One pino logger for the process: JSON lines on stdout (or `destination`), level from LOG_LEVEL. */
import { pino, type DestinationStream, type Logger } from 'pino';
import { logLevel } from './config.js';

export type { Logger };

export function createLogger(level = logLevel(), destination?: DestinationStream): Logger {
  const options = {
    level,
    // Never log credentials, whatever route they arrive on.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  return destination ? pino(options, destination) : pino(options);
}
