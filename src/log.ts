/**
 * One pino logger for the process, level from LOG_LEVEL: JSON lines on stdout (or
 * `destination`), or readable lines through pino-pretty when stdout is a terminal.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { logLevel } from './config.js';

export type { Logger };

export function createLogger(level = logLevel(), destination?: DestinationStream): Logger {
  const options = {
    level,
    // Never log credentials, whatever route they arrive on.
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  };
  if (destination) return pino(options, destination);
  // A person at a terminal reads lines; a log collector reads JSON.
  if (process.stdout.isTTY) {
    // Loaded only here: a server under a process manager never needs it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' }));
  }
  // Written asynchronously: lines logged while a write is under way go out together in the
  // next one, so a busy server makes far fewer write calls than requests; flushed on exit.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
