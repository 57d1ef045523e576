/**
 * The storage backends the HTTP tests run against: the embedded index and PostgreSQL. A test
 * file that uses PostgreSQL gets one private cluster (started on first use, on a free loopback
 * port, stopped when the file's process exits) and a fresh database in it per fixture, loaded
 * with seeds/ as `index` with DATABASE_URL loads a folder: no mock of the database.
 */
import { test } from 'node:test';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { buildIndex } from '../src/index/build.js';
import type { AnalyzedArticle } from '../src/index/builder.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { PostgresBackend, type PostgresOptions } from '../src/backend/postgres.js';
import { createApp, type AppOptions, type ServerState } from '../src/server/app.js';
import type { Logger } from '../src/log.js';
import { createLogger } from '../src/log.js';
import { postgresAvailable, startCluster, type PgCluster } from '../bench/pg-cluster.js';
import { SEEDS, writableServers } from './helpers.js';

export type BackendKind = 'embedded' | 'postgres';
export const BACKENDS: BackendKind[] = ['embedded', 'postgres'];

/**
 * node:test's `test` on backend `want` only: a test of one backend's behaviour (or one that never
 * reaches the backend) is not registered, nor reported skipped, on the other.
 */
export function testOn(want: BackendKind, kind: BackendKind): typeof test {
  return want === kind ? test : ((() => {}) as unknown as typeof test);
}

/** node:test's skip option for a backend: PostgreSQL needs postgresql-15 and its RUM. */
export function skipOf(kind: BackendKind): string | false {
  if (kind === 'embedded' || postgresAvailable()) return false;
  return 'PostgreSQL 15 with RUM is not installed (.ci/run installs postgresql-15 postgresql-15-rum)';
}

let cluster: Promise<PgCluster> | undefined;
let seeds: Promise<{ index: NewsIndex; articles: AnalyzedArticle[] }> | undefined;
let databases = 0;
const opened: PostgresBackend[] = [];

function theCluster(): Promise<PgCluster> {
  if (!cluster) {
    cluster = startCluster();
    void cluster.then((c) => process.on('exit', () => c.stop()));
  }
  return cluster;
}

/** The seeds as the `index` command analyzes them (once per test file). */
function seedsArticles(): Promise<{ index: NewsIndex; articles: AnalyzedArticle[] }> {
  seeds ??= (async () => {
    const articles: AnalyzedArticle[] = [];
    const { index } = await buildIndex([SEEDS], {
      workers: 0,
      onArticle: (a) => articles.push(a),
    });
    return { index, articles };
  })();
  return seeds;
}

/** A new database of this file's cluster, with the seeds loaded: a backend of its own. */
export async function seedsBackend(options: PostgresOptions = {}): Promise<PostgresBackend> {
  const backend = await emptyBackend(options);
  const { index, articles } = await seedsArticles();
  await backend.load(articles, index.arrays.dupOf, index.vocabulary);
  return backend;
}

/** A new, empty database of this file's cluster (documents arrive through writes). */
export async function emptyBackend(options: PostgresOptions = {}): Promise<PostgresBackend> {
  const c = await theCluster();
  const name = `seeds_${++databases}`;
  const admin = new pg.Client({ connectionString: c.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const backend = await PostgresBackend.open(c.url.replace(/\/postgres$/, `/${name}`), options);
  opened.push(backend);
  return backend;
}

/** Close every backend this file opened (their pools would keep the process alive). */
export async function closeBackends(): Promise<void> {
  await Promise.all(opened.splice(0).map((b) => b.close()));
}

/** A server state serving the seeds on `kind`. */
export async function seedsState(kind: BackendKind): Promise<ServerState> {
  if (kind === 'embedded') return { index: (await seedsArticles()).index };
  return { index: null, backend: await seedsBackend() };
}

async function listening(server: Server): Promise<string> {
  // See writableServers: a test may sit idle past Node's keep-alive timeout on a busy machine.
  server.keepAliveTimeout = 60_000;
  if (!server.listening) await new Promise((ok) => server.once('listening', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The app serving `state` on a free loopback port. */
export async function serve(
  state: ServerState,
  options: AppOptions = {},
  logger: Logger = createLogger('silent'),
): Promise<{ server: Server; base: string }> {
  const server = createApp(state, logger, options).listen(0, '127.0.0.1');
  return { server, base: await listening(server) };
}

/**
 * writableServers on `kind`: the seeds served with writes on (key `key`), and the seeds served
 * with writes off. On PostgreSQL each has a database of its own.
 */
export async function writableServersOn(
  kind: BackendKind,
  indexDir: string,
  key: string,
  logger: Logger,
): ReturnType<typeof writableServers> {
  if (kind === 'embedded') return writableServers(indexDir, key, logger);
  const state: ServerState = { index: null, backend: await seedsBackend() };
  const server = createApp(state, logger, { writeKey: key, indexDir }).listen(0, '127.0.0.1');
  const closed = createApp(
    { index: null, backend: await seedsBackend() },
    createLogger('silent'),
  ).listen(0, '127.0.0.1');
  const base = await listening(server);
  return { state, server, base, closed, closedBase: await listening(closed) };
}
