/**
 * `npm run bench:pg`: the PostgreSQL backend on private clusters (PostgreSQL 15 + RUM): load
 * rate, database size, search latency (top 10 with snippets, the public queries in both scripts,
 * after one first pass that fills the service's document cache and its cached match counts, also
 * reported) and PUT latency, on one node,
 * one node with reads on a streaming replica, and two hash shards. The corpus (../shared) when
 * present, else seeds/.
 *   --queries=N   searches per setup (default: every public query form once)
 *   --puts=N      PUTs per setup (default 200)
 *   --synthetic=N the synthetic archive of `bench:scale` (same generator and seed 1) of N posts
 *                 instead of the corpus
 *   --setups=LIST which setups: one,replica,shards (default all three)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import type { AnalyzedArticle } from '../src/index/builder.js';
import { PostgresBackend } from '../src/backend/postgres.js';
import { backendSearch, fastQuery } from '../src/backend/backend.js';
import {
  CORPUS_FOLDERS,
  PUBLIC_QUERIES,
  REPO,
  percentile,
  readQueries,
  sharedAvailable,
} from './shared.js';
import { startCluster, startReplica, type PgCluster } from './pg-cluster.js';
import { generatePosts, postFile, readMaterial, writeFiles } from './synthetic-archive.js';
import pg from 'pg';

const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};

const ms = (x: number) => x.toFixed(2);

async function databaseBytes(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query("SELECT pg_total_relation_size('articles')::bigint AS b");
    return Number(rows[0].b);
  } finally {
    await c.end();
  }
}

interface Row {
  setup: string;
  loadPerSecond: number;
  mb: number;
  /** The first pass: documents fetched and counts read from the database. */
  first: number[];
  search: number[];
  put: number[];
  /** Share of the searches on the fast path (backend.ts, fastQuery). */
  fast: number;
}

/** What every setup loads, asks and writes. */
interface Workload {
  articles: AnalyzedArticle[];
  dupOf: Int32Array;
  vocabulary: Parameters<PostgresBackend['load']>[2];
  queries: string[];
  puts: number;
}

async function measure(
  setup: string,
  open: () => Promise<PostgresBackend>,
  primaries: PgCluster[],
  { articles, dupOf, vocabulary, queries, puts }: Workload,
): Promise<Row> {
  const backend = await open();
  const started = performance.now();
  await backend.load(articles, dupOf, vocabulary);
  const loadSeconds = (performance.now() - started) / 1000;
  let bytes = 0;
  for (const p of primaries) bytes += await databaseBytes(p.url);
  // First pass: the service's document cache, its match counts and PostgreSQL's buffers.
  const first: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await backendSearch(backend, { q, page: 1, size: 10 });
    first.push(performance.now() - t);
  }
  const fast =
    queries.filter((q) => fastQuery({ q, page: 1, size: 10 }, backend.candidateDepth)).length /
    queries.length;
  const search: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    await backendSearch(backend, { q, page: 1, size: 10 });
    search.push(performance.now() - t);
  }
  const put: number[] = [];
  for (let i = 0; i < puts; i++) {
    const a = articles[i % articles.length].article;
    const t = performance.now();
    await backend.submit([
      { op: 'put', article: { ...a, id: `bench/put-${i}`, title: `${a.title} ${i}` }, extra: '' },
    ]);
    put.push(performance.now() - t);
  }
  await backend.close();
  first.sort((a, b) => a - b);
  search.sort((a, b) => a - b);
  put.sort((a, b) => a - b);
  return {
    setup,
    loadPerSecond: articles.length / loadSeconds,
    mb: bytes / 2 ** 20,
    first,
    search,
    put,
    fast,
  };
}

/** The synthetic archive of bench:scale (seed 1) of `size` posts, written to a new folder. */
async function syntheticFolder(size: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'zh-pg-archive-'));
  const material = await readMaterial(CORPUS_FOLDERS);
  const archive = generatePosts(material, size, { seed: 1 });
  for (let have = 0; have < size; ) {
    const files: [string, string][] = [];
    for (; files.length < 2000 && have < size; have++) {
      const p = archive.next().value!;
      files.push([p.path, postFile(p)]);
    }
    writeFiles(dir, files);
  }
  return dir;
}

async function main(): Promise<void> {
  const synthetic = arg('synthetic', 0);
  const setups = new Set(
    (process.argv.find((x) => x.startsWith('--setups='))?.slice(9) ?? 'one,replica,shards').split(
      ',',
    ),
  );
  if (synthetic && !sharedAvailable()) throw new Error('--synthetic needs ../shared/corpus');
  const archive = synthetic ? await syntheticFolder(synthetic) : null;
  const folders = archive ? [archive] : sharedAvailable() ? CORPUS_FOLDERS : [join(REPO, 'seeds')];
  const articles: AnalyzedArticle[] = [];
  const { index } = await buildIndex(folders, { onArticle: (a) => articles.push(a) });
  if (archive) rmSync(archive, { recursive: true, force: true });
  const forms = sharedAvailable()
    ? readQueries(PUBLIC_QUERIES).flatMap((q) => [q.q, q.q_alt])
    : index.docs.map((d) => d.title.slice(0, 4));
  const n = arg('queries', forms.length);
  const queries = Array.from({ length: n }, (_, i) => forms[i % forms.length]);
  const puts = arg('puts', 200);
  console.log(
    `${articles.length} posts, ${queries.length} searches and ${puts} PUTs per setup (machine shared)`,
  );
  const rows: Row[] = [];
  const work: Workload = {
    articles,
    dupOf: index.arrays.dupOf,
    vocabulary: index.vocabulary,
    queries,
    puts,
  };

  const one = setups.has('one') || setups.has('replica') ? await startCluster() : null;
  try {
    if (one && setups.has('one'))
      rows.push(await measure('one node', () => PostgresBackend.open(one.url), [one], work));
    if (one && setups.has('replica')) {
      const replica = await startReplica(one);
      try {
        rows.push(
          await measure(
            'one node + replica (reads on it)',
            () => PostgresBackend.open(one.url, { readUrls: [replica.url] }),
            [one],
            work,
          ),
        );
      } finally {
        replica.stop();
      }
    }
  } finally {
    one?.stop();
  }
  if (setups.has('shards')) await measureShards(rows, work);
  printRows(rows);
}

async function measureShards(rows: Row[], work: Workload): Promise<void> {
  const shards = [await startCluster(), await startCluster()];
  try {
    rows.push(
      await measure(
        'two shards',
        () => PostgresBackend.open(shards.map((s) => s.url)),
        shards,
        work,
      ),
    );
  } finally {
    for (const s of shards) s.stop();
  }
}

function printRows(rows: Row[]): void {
  console.log(
    '\n| setup | load posts/s | articles table MB | fast path | first pass p50 / p95 ms | search p50 / p95 / p99 ms | PUT p50 / p99 ms |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const pcts = (xs: number[], ps: number[]) => ps.map((p) => ms(percentile(xs, p))).join(' / ');
  for (const r of rows)
    console.log(
      `| ${r.setup} | ${Math.round(r.loadPerSecond)} | ${r.mb.toFixed(0)} | ${Math.round(r.fast * 100)}% | ${pcts(r.first, [0.5, 0.95])} | ${pcts(r.search, [0.5, 0.95, 0.99])} | ${pcts(r.put, [0.5, 0.99])} |`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
