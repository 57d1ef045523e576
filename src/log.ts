/** One pino logger for the process: JSON lines on stdout (or `destination`), level from LOG_LEVEL. */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(
  level = process.env.LOG_LEVEL || 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    // Never log credentials, whatever route they arrive on.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  return destination ? pino(options, destination) : pino(options);
}
