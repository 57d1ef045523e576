/**
 * Configuration from the environment (the contract is in docs/api.md, "Environment"; every
 * variable is described in docs/operations.md). The only module that reads `process.env`.
 */
import { resolve } from 'node:path';

export interface Config {
  port: number;
  indexDir: string;
  writeKey: string | null;
  logLevel: string;
  freshnessHalfLifeDays: number;
  freshnessWeight: number;
  /** Write-ahead log size that triggers a commit (bytes). */
  compactBytes: number;
  /** Documents in the write buffer that trigger a flush to a segment. */
  flushDocs: number;
  /** Longest a write waits in the buffer before a flush (ms). */
  flushMs: number;
  /** Segments of one size tier merged at once. */
  mergeFactor: number;
}

// Read where they are used rather than passed down, because indexing worker threads need them
// too (they share the process's environment, not its objects).

/** JIEBA_DICT: part of the analyzer, so every thread must segment with the same one. */
export function jiebaDictionary(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.JIEBA_DICT || null;
}

/** USER_DICT: the user dictionary file, instead of the index directory's. */
export function userDictionaryPath(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.USER_DICT || null;
}

/** LOG_LEVEL: a pino level. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOG_LEVEL || 'info';
}

function numberFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  return {
    port,
    indexDir: resolve(env.INDEX_DIR || 'index-data'),
    writeKey: env.WRITE_KEY || null,
    logLevel: logLevel(env),
    freshnessHalfLifeDays: numberFrom(env, 'FRESHNESS_HALF_LIFE_DAYS', 30, 0.01, 36500),
    freshnessWeight: numberFrom(env, 'FRESHNESS_WEIGHT', 0.05, 0, 10),
    compactBytes: numberFrom(env, 'WAL_COMPACT_BYTES', 64 * 1024 * 1024, 1, 2 ** 40),
    flushDocs: Math.floor(numberFrom(env, 'FLUSH_DOCS', 256, 1, 1_000_000)),
    flushMs: numberFrom(env, 'FLUSH_MS', 1000, 1, 3_600_000),
    mergeFactor: Math.floor(numberFrom(env, 'MERGE_FACTOR', 10, 2, 1000)),
  };
}
