/**
 * The environment, read in one place (src/config.ts): defaults, values, and a clear error for a
 * value out of range, named after its variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { jiebaDictionary, loadConfig, logLevel, userDictionaryPath } from '../src/config.js';

/** The defaults of the public-endpoint variables (CORS, limits, workers…). */
const SERVING_DEFAULTS = {
  corsOrigins: [],
  rateLimitRead: 0,
  rateLimitWrite: 0,
  trustProxy: false,
  searchTimeoutMs: 1000,
  maxInFlight: 256,
  maxEventLoopDelayMs: 500,
  metricsKey: null,
  searchKey: null,
  slowQueryMs: 500,
  searchCacheMb: 32,
  workers: 1,
  databaseUrl: null,
  databaseReadUrls: [],
  databaseShards: [],
  databaseCandidates: 200,
};

test('defaults when nothing is set; empty strings count as unset', () => {
  for (const env of [{}, { PORT: '', INDEX_DIR: '', WRITE_KEY: '', FRESHNESS_WEIGHT: '' }])
    assert.deepEqual(loadConfig(env), {
      port: 3000,
      indexDir: resolve('index-data'),
      writeKey: null,
      logLevel: 'info',
      freshnessHalfLifeDays: 30,
      freshnessWeight: 0.05,
      compactBytes: 64 * 1024 * 1024,
      flushDocs: 256,
      flushMs: 1000,
      mergeFactor: 10,
      ...SERVING_DEFAULTS,
    });
  assert.equal(jiebaDictionary({}), null);
  assert.equal(userDictionaryPath({ USER_DICT: '' }), null);
  assert.equal(logLevel({}), 'info');
});

test('values are read and checked', () => {
  const c = loadConfig({
    PORT: '0',
    INDEX_DIR: '/srv/index',
    WRITE_KEY: 'k',
    LOG_LEVEL: 'warn',
    FRESHNESS_HALF_LIFE_DAYS: '7',
    FRESHNESS_WEIGHT: '0',
    WAL_COMPACT_BYTES: '1048576',
    FLUSH_DOCS: '10',
    FLUSH_MS: '100',
    MERGE_FACTOR: '3',
  });
  assert.deepEqual(c, {
    port: 0,
    indexDir: '/srv/index',
    writeKey: 'k',
    logLevel: 'warn',
    freshnessHalfLifeDays: 7,
    freshnessWeight: 0,
    compactBytes: 1_048_576,
    flushDocs: 10,
    flushMs: 100,
    mergeFactor: 3,
    ...SERVING_DEFAULTS,
  });
  assert.equal(jiebaDictionary({ JIEBA_DICT: '/d/dict.utf8' }), '/d/dict.utf8');
  assert.equal(userDictionaryPath({ USER_DICT: '/d/user.txt' }), '/d/user.txt');
  for (const [env, message] of [
    [{ PORT: '70000' }, /PORT must be a port number, got "70000"/],
    [{ PORT: 'http' }, /PORT must be a port number/],
    [{ FRESHNESS_WEIGHT: '-1' }, /FRESHNESS_WEIGHT must be a number from 0 to 10, got "-1"/],
    [{ FRESHNESS_HALF_LIFE_DAYS: 'soon' }, /FRESHNESS_HALF_LIFE_DAYS must be a number/],
    [{ WAL_COMPACT_BYTES: '0' }, /WAL_COMPACT_BYTES must be a number from 1/],
    [{ MERGE_FACTOR: '1' }, /MERGE_FACTOR must be a number from 2 to 1000, got "1"/],
    [{ FLUSH_DOCS: 'many' }, /FLUSH_DOCS must be a number/],
    [{ DATABASE_URL: 'mysql://db/news' }, /DATABASE_URL must be a postgres:\/\/ URL/],
  ] as const)
    assert.throws(() => loadConfig(env), message);
});

test('DATABASE_URL switches to PostgreSQL', () => {
  assert.equal(
    loadConfig({ DATABASE_URL: ' postgres://news@db:5432/news ' }).databaseUrl,
    'postgres://news@db:5432/news',
  );
  assert.equal(
    loadConfig({ DATABASE_URL: 'postgresql://db/news' }).databaseUrl,
    'postgresql://db/news',
  );
});

test('the public-endpoint variables: lists, proxies, workers, and clear errors', () => {
  const c = loadConfig({
    CORS_ORIGINS: 'https://news.example.com, http://localhost:8080',
    TRUST_PROXY: 'loopback, 10.0.0.0/8',
    WORKERS: '3',
    SEARCH_KEY: 's',
  });
  assert.deepEqual(c.corsOrigins, ['https://news.example.com', 'http://localhost:8080']);
  assert.equal(c.trustProxy, 'loopback, 10.0.0.0/8');
  assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*');
  assert.deepEqual([c.workers, c.searchKey], [3, 's']);
  assert.throws(
    () => loadConfig({ CORS_ORIGINS: 'https://news.example.com/search' }),
    /did you mean "https:\/\/news.example.com"/,
  );
  assert.throws(() => loadConfig({ CORS_ORIGINS: 'news.example.com' }), /not an origin/);
  assert.throws(() => loadConfig({ WORKERS: '0' }), /WORKERS must be a number from 1/);
  assert.throws(() => loadConfig({ SEARCH_TIMEOUT_MS: 'soon' }), /SEARCH_TIMEOUT_MS/);
});
