/** One pino logger for the process: JSON lines on stdout, level from LOG_LEVEL. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({
    level,
    // Never log credentials, whatever route they arrive on.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
}
