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
  /** Origins allowed to call the read routes from a browser: a list, '*', or none (empty). */
  corsOrigins: string[] | '*';
  /**
   * Requests per minute per client address on read routes (0: no limit, the default: behind a
   * proxy without TRUST_PROXY every client would share one budget).
   */
  rateLimitRead: number;
  /** Requests per minute per client address on write and admin routes (0: no limit). */
  rateLimitWrite: number;
  /** Express's `trust proxy`: false (the socket's address), a hop count, or addresses/subnets. */
  trustProxy: boolean | number | string;
  /** Time budget of one search (ms); the hits found when it runs out, with timed_out. */
  searchTimeoutMs: number;
  /** Requests in flight above which new ones get 503 (0: no limit). */
  maxInFlight: number;
  /** Event-loop delay (median over 2 s, behind most of the last 4 s) for 503s (ms; 0: off). */
  maxEventLoopDelayMs: number;
  /** Bearer key for GET /metrics; null: open. */
  metricsKey: string | null;
  /** Bearer key for the read routes; null: reads are open. */
  searchKey: string | null;
  /** Searches slower than this are logged with their explain summary (ms; 0: off). */
  slowQueryMs: number;
  /** MB of serialized /search answers kept for repeated queries (0: no cache). */
  searchCacheMb: number;
  /**
   * Serving processes; one of them (the primary) applies writes. Default 1: readers replay the
   * log into their own write buffer and are not yet segment-aware (docs/operations.md).
   */
  workers: number;
  /**
   * DATABASE_URL: a postgres:// URL: the documents live in PostgreSQL (backend/postgres.ts)
   * instead of the embedded index; null: the embedded index.
   */
  databaseUrl: string | null;
  /** DATABASE_READ_URLS: streaming replicas of DATABASE_URL that serve searches (comma list). */
  databaseReadUrls: string[];
  /**
   * DATABASE_SHARDS: primaries of hash shards (comma list), documents placed by a hash of their
   * id; instead of DATABASE_URL.
   */
  databaseShards: string[];
  /**
   * DATABASE_CANDIDATES: matches per shard a relevance search ranks in the service (the best by
   * RUM's order); pages ending within half of it take this fast path. 0: always the exact path.
   */
  databaseCandidates: number;
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

/**
 * INDEX_CACHE_MB: memory for postings and bodies read from committed segment files
 * (segment-file.ts), shared by every segment of the process. Read where the index is opened
 * (a follower, a benchmark opens one too), not only by the server.
 */
export function indexCacheMb(env: NodeJS.ProcessEnv = process.env): number {
  return numberFrom(env, 'INDEX_CACHE_MB', 64, 0, 1 << 20);
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

function originsFrom(raw: string | undefined): string[] | '*' {
  if (raw === undefined || raw.trim() === '') return [];
  if (raw.trim() === '*') return '*';
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new Error(`CORS_ORIGINS: "${o}" is not an origin such as https://news.example.com`);
    }
    if (url.origin !== o)
      throw new Error(`CORS_ORIGINS: "${o}" is not an origin; did you mean "${url.origin}"?`);
  }
  return list;
}

function databaseUrlFrom(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (!/^postgres(ql)?:\/\//.test(raw.trim()))
    throw new Error('DATABASE_URL must be a postgres:// URL (or unset for the embedded index)');
  return raw.trim();
}

function databaseUrlsFrom(name: string, raw: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of list)
    if (!/^postgres(ql)?:\/\//.test(u)) throw new Error(`${name}: "${u}" is not a postgres:// URL`);
  return list;
}

function trustProxyFrom(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw.trim() === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // addresses, subnets or names Express knows (loopback, uniquelocal)
}

/**
 * A cluster worker's part and where to find the writer (server/cluster.ts): set by the primary
 * process in the environment of the workers it forks, never by an operator.
 */
export function clusterWorkerEnv(env: NodeJS.ProcessEnv = process.env): {
  role: 'writer' | 'reader' | null;
  writerPort: number;
  committedSeq: number;
} {
  const role = env.ZH_CLUSTER_ROLE;
  return {
    role: role === 'writer' || role === 'reader' ? role : null,
    writerPort: Number(env.ZH_WRITER_PORT ?? 0),
    committedSeq: Number(env.ZH_COMMITTED_SEQ ?? 0),
  };
}

/** The environment for a child process (a benchmark's server): this one's, plus `vars`. */
export function environmentWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...vars };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const databaseUrl = databaseUrlFrom(env.DATABASE_URL);
  const databaseReadUrls = databaseUrlsFrom('DATABASE_READ_URLS', env.DATABASE_READ_URLS);
  const databaseShards = databaseUrlsFrom('DATABASE_SHARDS', env.DATABASE_SHARDS);
  if (databaseShards.length && databaseUrl)
    throw new Error('set DATABASE_URL (one primary) or DATABASE_SHARDS (several), not both');
  if (databaseReadUrls.length && !databaseUrl)
    throw new Error('DATABASE_READ_URLS are replicas of DATABASE_URL: set it too');
  return {
    port,
    indexDir: resolve(env.INDEX_DIR || 'index-data'),
    databaseUrl,
    databaseReadUrls,
    databaseShards,
    databaseCandidates: Math.floor(numberFrom(env, 'DATABASE_CANDIDATES', 200, 0, 100_000)),
    writeKey: env.WRITE_KEY || null,
    logLevel: logLevel(env),
    freshnessHalfLifeDays: numberFrom(env, 'FRESHNESS_HALF_LIFE_DAYS', 30, 0.01, 36500),
    freshnessWeight: numberFrom(env, 'FRESHNESS_WEIGHT', 0.05, 0, 10),
    compactBytes: numberFrom(env, 'WAL_COMPACT_BYTES', 64 * 1024 * 1024, 1, 2 ** 40),
    flushDocs: Math.floor(numberFrom(env, 'FLUSH_DOCS', 256, 1, 1_000_000)),
    flushMs: numberFrom(env, 'FLUSH_MS', 1000, 1, 3_600_000),
    mergeFactor: Math.floor(numberFrom(env, 'MERGE_FACTOR', 10, 2, 1000)),
    corsOrigins: originsFrom(env.CORS_ORIGINS),
    rateLimitRead: numberFrom(env, 'RATE_LIMIT_READ', 0, 0, 1e9),
    rateLimitWrite: numberFrom(env, 'RATE_LIMIT_WRITE', 0, 0, 1e9),
    trustProxy: trustProxyFrom(env.TRUST_PROXY),
    searchTimeoutMs: numberFrom(env, 'SEARCH_TIMEOUT_MS', 1000, 1, 600_000),
    maxInFlight: numberFrom(env, 'MAX_IN_FLIGHT', 256, 0, 1e6),
    maxEventLoopDelayMs: numberFrom(env, 'MAX_EVENT_LOOP_DELAY_MS', 500, 0, 600_000),
    metricsKey: env.METRICS_KEY || null,
    searchKey: env.SEARCH_KEY || null,
    slowQueryMs: numberFrom(env, 'SLOW_QUERY_MS', 500, 0, 600_000),
    searchCacheMb: numberFrom(env, 'SEARCH_CACHE_MB', 32, 0, 65536),
    workers: numberFrom(env, 'WORKERS', 1, 1, 256),
  };
}
