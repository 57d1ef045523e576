/** Configuration from the environment (DESIGN.md contract), read once at start. */
import { resolve } from 'node:path';

export interface Config {
  port: number;
  indexDir: string;
  writeKey: string | null;
  logLevel: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    indexDir: resolve(env.INDEX_DIR || 'index-data'),
    writeKey: env.WRITE_KEY || null,
    logLevel: env.LOG_LEVEL || 'info',
  };
}
