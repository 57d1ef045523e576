/**
 * The PostgreSQL backend (DATABASE_URL): the documents, their analysis and the collection's
 * counts live in the database, which provides durability, replicas and partitioning. The
 * service analyzes (our analyzer, jieba) before it writes, so the database holds what the
 * embedded index would: normalized code points and word starts per field, and a tsvector of
 * character bigrams with positions (backend/tsvector.ts) under a RUM index.
 *
 * A search asks the database for the documents holding one of the query's terms (the bigram AND,
 * with the phrase check as a row filter where positions are exact), fetches the rows it does not
 * hold in its cache, and searches them as a small index with the collection's counts
 * (backend/backend.ts): the same matching, ranking and snippets as the embedded index. An
 * ordinary relevance search (backend.ts, fastQuery) takes the fast path instead: only the best
 * `candidateDepth` matches by RUM's `tsv <=> q`, with the query's total and every term's document
 * frequency counted by the database in the same statement (shardTop).
 */
import pg from 'pg';
import { LRUCache } from 'lru-cache';
import type { AnalyzedArticle } from '../index/builder.js';
import { IndexBuilder } from '../index/builder.js';
import { mergeIndex } from '../index/merge.js';
import { IndexReader, Segment, SegmentCore } from '../index/reader.js';
import type { StoredDoc } from '../index/news-index.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import type { WalOp } from '../index/wal.js';
import type { WriteResult } from '../index/writer.js';
import { analyzeArticle } from '../index/analyze-post.js';
import { everyPositionStarts } from '../analysis/analyzer.js';
import { analyzerFingerprint } from '../analysis/analyzer.js';
import type { Article } from '../ingest/article.js';
import { documentVector, termQuery } from './tsvector.js';
import type { Candidates, FastQuery, StorageBackend, Term } from './backend.js';

const ARTICLES_TSV_INDEX = 'CREATE INDEX articles_tsv ON articles USING rum (tsv rum_tsvector_ops)';

/** Schema versions, applied in order inside one transaction each; never edited once shipped. */
const MIGRATIONS: string[] = [
  `CREATE EXTENSION IF NOT EXISTS rum;
   CREATE SEQUENCE article_version;
   CREATE TABLE articles (
     id text PRIMARY KEY,
     -- article_version at its last write: how the service's cache tells a changed row
     version bigint NOT NULL,
     -- the article without its body, as JSON text (escapes keep any JS string exact)
     doc text NOT NULL,
     body text NOT NULL,
     published timestamptz,
     source text,
     -- normalized code points (int32 LE) and jieba word starts (a byte per position, + 1)
     title_cp bytea NOT NULL,
     body_cp bytea NOT NULL,
     extra_cp bytea NOT NULL,
     title_ws bytea NOT NULL,
     body_ws bytea NOT NULL,
     title_len integer NOT NULL,
     body_len integer NOT NULL,
     -- near-duplicate group: the id of its representative (the earliest member), or null
     dup_rep text,
     tsv tsvector NOT NULL,
     -- positions incomplete (PostgreSQL keeps <= 256 per lexeme, up to 16,383): no phrase check
     inexact boolean NOT NULL
   );
   CREATE INDEX articles_tsv ON articles USING rum (tsv rum_tsvector_ops);
   -- the counts behind idf and BM25F's length normalization, kept exact by every write
   CREATE TABLE collection (
     one boolean PRIMARY KEY DEFAULT true CHECK (one),
     docs bigint NOT NULL,
     title_total bigint NOT NULL,
     body_total bigint NOT NULL
   );
   INSERT INTO collection VALUES (true, 0, 0, 0);
   -- the suggestion vocabulary (title terms), as the last full load computed it
   CREATE TABLE vocabulary (rank integer PRIMARY KEY, entry text NOT NULL);`,
  // bumped by every write transaction: counts the service cached at one generation still hold
  `ALTER TABLE collection ADD COLUMN generation bigint NOT NULL DEFAULT 0;`,
];

/**
 * A fetched document as the service keeps it: its own one-document index (postings, word
 * starts, body), built once per row version, so a search assembles its candidates as segments
 * of a reader instead of indexing their text again.
 */
interface CachedDoc {
  version: string;
  core: SegmentCore;
  dupRep: string | null;
}

/** Seconds a replica that failed is left out before it is tried again. */
const REPLICA_RETRY_MS = 5_000;

/**
 * One shard: its primary, where writes go, and its streaming replicas, which serve reads in turn.
 * A replica that fails a read is skipped for a while and the read is retried on the primary, so
 * a replica going away costs no failed search.
 */
class Node {
  private readonly replicas: { pool: pg.Pool; downUntil: number }[];
  private turn = 0;
  readonly counts = new MatchCounts();

  constructor(
    readonly primary: pg.Pool,
    replicas: pg.Pool[],
  ) {
    this.replicas = replicas.map((pool) => ({ pool, downUntil: 0 }));
  }

  async read<T>(run: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const now = Date.now();
    for (let k = 0; k < this.replicas.length; k++) {
      const r = this.replicas[this.turn++ % this.replicas.length];
      if (r.downUntil > now) continue;
      try {
        return await run(r.pool);
      } catch {
        r.downUntil = Date.now() + REPLICA_RETRY_MS;
      }
    }
    return run(this.primary);
  }

  async end(): Promise<void> {
    await Promise.all([this.primary, ...this.replicas.map((r) => r.pool)].map((p) => p.end()));
  }
}

/**
 * A shard's match counts (per term; per query, its total and newest match) as of one generation
 * of its collection: counting a common bigram visits thousands of rows (20 ms), and the counts
 * hold until the next write. Replicas and primary share it: a count is stored with the
 * generation it was read at, and a read at another generation starts the cache afresh.
 */
class MatchCounts {
  generation: string | null = null;
  readonly docFreq = new LRUCache<string, number>({ max: 100_000 });
  readonly matched = new LRUCache<string, { total: number; newest: number }>({ max: 10_000 });

  /**
   * Whether counts read at `generation` may be kept: yes when they are the cache's, or newer
   * (the cache then starts afresh); no for an older snapshot (a lagging replica).
   */
  keeps(generation: string): boolean {
    if (generation === this.generation) return true;
    if (this.generation !== null && BigInt(generation) < BigInt(this.generation)) return false;
    this.generation = generation;
    this.docFreq.clear();
    this.matched.clear();
    return true;
  }
}

function newPool(url: string): pg.Pool {
  // A sequential scan evaluates @@ on every row's tsvector, read out of TOAST: 0.59 s for a
  // bigram in a third of the corpus, against 0.06 s through the RUM index, whose matches need no
  // recheck. The planner, counting rows rather than TOAST reads, picks the scan: rule it out.
  // That cost (and the collection row's scan, costed the same way) then makes every plan look
  // dear enough to JIT-compile: 0.8 s of compiling for a 4 ms statement. Rule JIT out too.
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    options: '-c enable_seqscan=off -c jit=off',
  });
  // An idle client's error (its server went away) must not crash the service.
  pool.on('error', () => {});
  return pool;
}

/** The shard of a document: FNV-1a of its id's UTF-8 bytes, modulo the shard count. */
export function shardOf(id: string, shards: number): number {
  if (shards === 1) return 0;
  let h = 0x811c9dc5;
  for (const b of Buffer.from(id, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % shards;
}

export interface PostgresOptions {
  /** Analyzed documents kept in the service between searches (default 50,000). */
  cacheDocs?: number;
  /** A read replica: no migration (the primary's schema arrives by replication). */
  readOnly?: boolean;
  /** Streaming replicas of a single primary, for reads (DATABASE_READ_URLS). */
  readUrls?: string[];
  /**
   * Matches per shard the fast path ranks in the service, the best by the database's own
   * ranking (default 200; 0 turns the fast path off). Pages ending past half of it take the
   * exact path.
   */
  candidateDepth?: number;
}

const int32 = (b: Buffer) =>
  new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const bytes = (b: Buffer) =>
  new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const buf = (a: Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export class PostgresBackend implements StorageBackend {
  private readonly nodes: Node[];
  private readonly cache: LRUCache<string, CachedDoc>;
  private vocab: VocabularyEntry[] = [];
  private readonly empty = new IndexBuilder().build(analyzerFingerprint());
  readonly candidateDepth: number;

  /** `urls`: one primary, or the primaries of the shards (DATABASE_SHARDS), in shard order. */
  private constructor(urls: string[], options: PostgresOptions) {
    const replicas = (options.readUrls ?? []).map(newPool);
    this.nodes = urls.map((u, i) => new Node(newPool(u), i === 0 ? replicas : []));
    this.cache = new LRUCache({ max: options.cacheDocs ?? 50_000 });
    this.candidateDepth = options.candidateDepth ?? 200;
  }

  /** Connect, create or migrate the schema, and read the vocabulary. */
  static async open(
    url: string | string[],
    options: PostgresOptions = {},
  ): Promise<PostgresBackend> {
    const urls = typeof url === 'string' ? [url] : url;
    if (urls.length === 0) throw new Error('no PostgreSQL URL');
    if (urls.length > 1 && options.readUrls?.length)
      throw new Error('DATABASE_READ_URLS serves one primary; with shards, give each its replicas');
    const b = new PostgresBackend(urls, options);
    try {
      if (!options.readOnly) for (const n of b.nodes) await migrate(n.primary);
      await b.loadVocabulary();
    } catch (e) {
      await b.close();
      throw e;
    }
    return b;
  }

  get shards(): number {
    return this.nodes.length;
  }

  private nodeOf(id: string): Node {
    return this.nodes[shardOf(id, this.nodes.length)];
  }

  private async loadVocabulary(): Promise<void> {
    // The vocabulary of a full load is kept by the first shard.
    const { rows } = await this.nodes[0].read((p) =>
      p.query('SELECT entry FROM vocabulary ORDER BY rank'),
    );
    this.vocab = rows.map((r) => JSON.parse(r.entry) as VocabularyEntry);
  }

  vocabulary(): readonly VocabularyEntry[] {
    return this.vocab;
  }

  async size(): Promise<number> {
    const counts = await Promise.all(
      this.nodes.map((n) => n.read((p) => p.query('SELECT docs FROM collection'))),
    );
    return counts.reduce((sum, r) => sum + Number(r.rows[0].docs), 0);
  }

  candidates(terms: Term[], all = false): Promise<Candidates> {
    return this.gather((p) => shardCandidates(p, all ? null : terms));
  }

  topCandidates(query: FastQuery): Promise<Candidates> {
    return this.gather((p, node) => shardTop(p, node.counts, query, this.candidateDepth));
  }

  /** Every shard at once: its counts and its candidates (each read on one replica or primary). */
  private async gather(
    read: (pool: pg.Pool, node: Node) => Promise<ShardCandidates>,
  ): Promise<Candidates> {
    const parts = await Promise.all(this.nodes.map((n) => n.read((p) => read(p, n))));
    let docCount = 0;
    let titleTotal = 0;
    let bodyTotal = 0;
    const docs: CachedDoc[] = [];
    let counts: { docFreq: Map<string, number>; total: number; newest: number } | undefined;
    for (let i = 0; i < parts.length; i++) {
      const { stats, ids, matches } = parts[i];
      docCount += Number(stats.docs);
      titleTotal += Number(stats.title_total);
      bodyTotal += Number(stats.body_total);
      if (matches) {
        counts ??= { docFreq: new Map(), total: 0, newest: 0 };
        counts.total += matches.total;
        counts.newest = Math.max(counts.newest, matches.newest);
        for (const [t, df] of matches.docFreq)
          counts.docFreq.set(t, (counts.docFreq.get(t) ?? 0) + df);
      }
      docs.push(...(await this.fetch(this.nodes[i], ids)));
    }
    const n = Math.max(1, docCount);
    return {
      reader: candidateReader(docs),
      collection: {
        docCount,
        stats: { avgTitleLength: titleTotal / n, avgBodyLength: bodyTotal / n },
        ...counts,
      },
    };
  }

  /** The rows named, from the cache when their version is the one cached. */
  private async fetch(node: Node, ids: { id: string; version: string }[]): Promise<CachedDoc[]> {
    const out: CachedDoc[] = [];
    const missing: string[] = [];
    for (const { id, version } of ids) {
      const c = this.cache.get(id);
      if (c && c.version === version) out.push(c);
      else missing.push(id);
    }
    if (missing.length) {
      const { rows } = await node.read((p) =>
        p.query(
          `SELECT id, version::text, doc, body, title_cp, body_cp, extra_cp, title_ws, body_ws,
             dup_rep
           FROM articles WHERE id = ANY($1)`,
          [missing],
        ),
      );
      for (const r of rows) {
        const stored = JSON.parse(r.doc) as StoredDoc;
        const article: Article = { ...stored, body: JSON.parse(r.body) as string };
        const extra = int32(r.extra_cp);
        const analyzed: AnalyzedArticle = {
          article,
          title: { codePoints: int32(r.title_cp), wordStarts: bytes(r.title_ws) },
          body: { codePoints: int32(r.body_cp), wordStarts: bytes(r.body_ws) },
          extra: { codePoints: extra, wordStarts: everyPositionStarts(extra.length) },
        };
        const index = mergeIndex(this.empty, [], [analyzed], { derived: false });
        const c: CachedDoc = {
          version: r.version,
          core: new SegmentCore(r.id, index),
          dupRep: r.dup_rep,
        };
        this.cache.set(r.id, c);
        out.push(c);
      }
    }
    return out;
  }

  async document(id: string): Promise<(StoredDoc & { body: string }) | undefined> {
    const { rows } = await this.nodeOf(id).read((p) =>
      p.query('SELECT doc, body FROM articles WHERE id = $1', [id]),
    );
    if (!rows.length) return undefined;
    return { ...(JSON.parse(rows[0].doc) as StoredDoc), body: JSON.parse(rows[0].body) };
  }

  /**
   * Puts and deletes: one transaction per shard touched (with one primary, one transaction),
   * durable and searchable when it resolves. The collection's counts change in it.
   */
  async submit(ops: WalOp[]): Promise<WriteResult[]> {
    const analyzed = ops.map((op) =>
      op.op === 'put' ? analyzeArticle(op.article, op.extra) : null,
    );
    const byShard = new Map<number, number[]>();
    ops.forEach((op, i) => {
      const s = shardOf(op.op === 'put' ? op.article.id : op.id, this.nodes.length);
      const list = byShard.get(s);
      if (list) list.push(i);
      else byShard.set(s, [i]);
    });
    const results: WriteResult[] = new Array(ops.length);
    await Promise.all(
      [...byShard].map(([s, items]) =>
        transaction(this.nodes[s].primary, async (client) => {
          const change = { docs: 0, titles: 0, bodies: 0 };
          for (const i of items) {
            const op = ops[i];
            const a = analyzed[i];
            const id = op.op === 'put' ? op.article.id : op.id;
            const old = await client.query(
              'DELETE FROM articles WHERE id = $1 RETURNING title_len, body_len',
              [id],
            );
            if (old.rows.length) {
              change.docs--;
              change.titles -= old.rows[0].title_len;
              change.bodies -= old.rows[0].body_len;
            }
            if (a === null) {
              results[i] = old.rows.length
                ? { id, result: 'deleted', seq: 0 }
                : { id, result: 'not_found' };
              continue;
            }
            const version = await insertArticle(client, a, null);
            change.docs++;
            change.titles += a.title.codePoints.length;
            change.bodies += a.body.codePoints.length;
            results[i] = {
              id,
              result: old.rows.length ? 'updated' : 'created',
              seq: Number(version),
            };
          }
          await client.query(
            `UPDATE collection SET docs = docs + $1, title_total = title_total + $2,
               body_total = body_total + $3, generation = generation + 1`,
            [change.docs, change.titles, change.bodies],
          );
        }),
      ),
    );
    return results;
  }

  /**
   * A full load (the `index` command): every article of a build, with the build's near-duplicate
   * groups and vocabulary, replacing what the database held; one transaction per shard. Dropping
   * the RUM index locks the table: searches wait until the load commits (a load is a rebuild).
   */
  async load(
    articles: AnalyzedArticle[],
    dupOf: Int32Array,
    vocabulary: VocabularyEntry[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    let done = 0;
    await Promise.all(
      this.nodes.map((node, s) =>
        transaction(node.primary, async (client) => {
          await client.query('TRUNCATE articles, vocabulary');
          // One index build after the rows is far faster than maintaining it row by row.
          await client.query('DROP INDEX articles_tsv');
          let count = 0;
          let titles = 0;
          let bodies = 0;
          for (let i = 0; i < articles.length; i++) {
            const a = articles[i];
            if (shardOf(a.article.id, this.nodes.length) !== s) continue;
            const rep = dupOf[i] >= 0 ? articles[dupOf[i]].article.id : null;
            await insertArticle(client, a, rep);
            count++;
            titles += a.title.codePoints.length;
            bodies += a.body.codePoints.length;
            done++;
            if (onProgress && (done % 500 === 0 || done === articles.length))
              onProgress(done, articles.length);
          }
          await client.query(ARTICLES_TSV_INDEX);
          await client.query(
            `UPDATE collection SET docs = $1, title_total = $2, body_total = $3,
               generation = generation + 1`,
            [count, titles, bodies],
          );
          if (s !== 0) return;
          for (let i = 0; i < vocabulary.length; i += 1000) {
            const slice = vocabulary.slice(i, i + 1000);
            await client.query(
              'INSERT INTO vocabulary (rank, entry) SELECT * FROM unnest($1::int[], $2::text[])',
              [slice.map((_, k) => i + k), slice.map((e) => JSON.stringify(e))],
            );
          }
        }),
      ),
    );
    this.cache.clear();
    await this.loadVocabulary();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.end()));
  }
}

async function transaction(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/** Create or bring up to date the schema of one primary (one service at a time). */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // One service migrates at a time.
    await client.query('SELECT pg_advisory_lock(1919)');
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query('SELECT max(version) AS v FROM schema_migrations');
    const done = Number(rows[0].v ?? 0);
    for (let v = done; v < MIGRATIONS.length; v++) {
      await client.query('BEGIN');
      try {
        await client.query(MIGRATIONS[v]);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(1919)').catch(() => {});
    client.release();
  }
}

async function insertArticle(
  client: pg.PoolClient,
  a: AnalyzedArticle,
  dupRep: string | null,
): Promise<string> {
  const { body, ...stored } = a.article;
  const vector = documentVector([
    { codePoints: a.title.codePoints, weight: 'A' },
    { codePoints: a.body.codePoints, weight: 'D' },
    { codePoints: a.extra.codePoints, weight: 'C' },
  ]);
  const { rows } = await client.query(
    `INSERT INTO articles (id, version, doc, body, published, source, title_cp, body_cp, extra_cp,
       title_ws, body_ws, title_len, body_len, dup_rep, tsv, inexact)
     VALUES ($1, nextval('article_version'), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
       $14::tsvector, $15)
     RETURNING version::text`,
    [
      a.article.id,
      JSON.stringify(stored),
      JSON.stringify(body),
      publishedAt(a.article.date),
      a.article.source,
      buf(a.title.codePoints),
      buf(a.body.codePoints),
      buf(a.extra.codePoints),
      buf(a.title.wordStarts),
      buf(a.body.wordStarts),
      a.title.codePoints.length,
      a.body.codePoints.length,
      dupRep,
      vector.text,
      vector.inexact,
    ],
  );
  return rows[0].version;
}

/** The date as a timestamp PostgreSQL reads (null when unknown or unreadable). */
function publishedAt(date: string | null): string | null {
  const ms = date === null ? Number.NaN : Date.parse(date);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}

interface ShardCandidates {
  stats: { docs: string; title_total: string; body_total: string };
  ids: { id: string; version: string }[];
  /** The fast path's counts over every match: per term, of the query, and the newest (ms). */
  matches?: { docFreq: Map<string, number>; total: number; newest: number };
}

/**
 * One shard's counts and the documents holding one of `terms` (all when null): the bigram AND
 * of each term, with its phrase as a row filter where positions are exact. Counts and ids are
 * read in one snapshot (one statement), so they agree under writes.
 */
async function shardCandidates(pool: pg.Pool, terms: Term[] | null): Promise<ShardCandidates> {
  const conditions: string[] = [];
  const values: string[] = [];
  if (terms === null) conditions.push('true');
  else
    for (const t of terms) {
      if (t.fetch === false) continue;
      const q = termQuery(t.codePoints);
      if (q.all === null) continue;
      values.push(q.all);
      const all = `tsv @@ $${values.length}::tsquery`;
      if (q.phrase === null) conditions.push(all);
      else {
        values.push(q.phrase);
        conditions.push(`(${all} AND (inexact OR tsv @@ $${values.length}::tsquery))`);
      }
    }
  const where = conditions.length ? conditions.join(' OR ') : 'false';
  const { rows } = await pool.query(
    `SELECT c.docs::text, c.title_total::text, c.body_total::text,
       (SELECT coalesce(json_agg(json_build_array(a.id, a.version::text)), '[]')
        FROM articles a WHERE ${where}) AS ids
     FROM collection c`,
    values,
  );
  const r = rows[0];
  return {
    stats: { docs: r.docs, title_total: r.title_total, body_total: r.body_total },
    ids: (r.ids as [string, string][]).map(([id, version]) => ({ id, version })),
  };
}

/**
 * One shard's counts and its best `depth` matches of a fast-path query, in one statement (one
 * snapshot). A term is matched as in shardCandidates, exact but for documents whose positions
 * are not (`inexact`), which count when they hold the term's bigrams. The order is RUM's
 * `tsv <=> q` over the bigram AND of the query, the phrases checked as a row filter; with the
 * best matches come the near-duplicate originals among the matches (promoteOriginals).
 */
async function shardTop(
  pool: pg.Pool,
  counts: MatchCounts,
  query: FastQuery,
  depth: number,
): Promise<ShardCandidates> {
  const first = await shardTopOnce(pool, counts, query, depth, true);
  if (first) return first;
  // A write since the counts were cached: count everything again, in the new snapshot.
  return (await shardTopOnce(pool, counts, query, depth, false))!;
}

/** shardTop, with the counts cached when `cached` (undefined: they were of another generation). */
async function shardTopOnce(
  pool: pg.Pool,
  counts: MatchCounts,
  query: FastQuery,
  depth: number,
  cached: boolean,
): Promise<ShardCandidates | undefined> {
  const generation = counts.generation;
  const values: (string | number)[] = [];
  const param = (v: string | number) => {
    values.push(v);
    return `$${values.length}`;
  };
  const match = new Map<string, string>();
  const bigrams = new Map<string, string>();
  for (const [text, cps] of query.terms) {
    const q = termQuery(cps);
    if (q.all === null) continue;
    const all = `tsv @@ ${param(q.all)}::tsquery`;
    bigrams.set(text, `(${q.all})`);
    match.set(
      text,
      q.phrase === null ? all : `(${all} AND (inexact OR tsv @@ ${param(q.phrase)}::tsquery))`,
    );
  }
  // A term no document can hold (no word character): false, like an empty tsquery.
  const sql = (t: string) => match.get(t) ?? 'false';
  const tsq = (t: string) => bigrams.get(t) ?? `''`;
  const both = (xs: string[], op: string) => (xs.length === 1 ? xs[0] : `(${xs.join(op)})`);
  const partSql = (p: { term: string; words: string[] }) =>
    p.words.length ? `(${sql(p.term)} OR ${both(p.words.map(sql), ' AND ')})` : sql(p.term);
  const partTsq = (p: { term: string; words: string[] }) =>
    p.words.length ? `(${tsq(p.term)} | ${both(p.words.map(tsq), ' & ')})` : tsq(p.term);
  const where = both(
    query.clauses.map((c) =>
      both(
        c.map((a) => both(a.map(partSql), ' AND ')),
        ' OR ',
      ),
    ),
    ' AND ',
  );
  const order = param(
    both(
      query.clauses.map((c) =>
        both(
          c.map((a) => both(a.map(partTsq), ' & ')),
          ' | ',
        ),
      ),
      ' & ',
    ),
  );
  const key = JSON.stringify(query.clauses);
  const known = cached ? counts.matched.get(key) : undefined;
  const docFreq = new Map<string, number>();
  const terms: string[] = [];
  for (const t of match.keys()) {
    const df = cached ? counts.docFreq.get(t) : undefined;
    if (df === undefined) terms.push(t);
    else docFreq.set(t, df);
  }
  const dfs = terms.map((t) => `(SELECT count(*) FROM articles WHERE ${sql(t)})`);
  const { rows } = await pool.query(
    `WITH top AS (
       SELECT id, version, dup_rep FROM articles
       WHERE tsv @@ ${order}::tsquery AND ${where}
       ORDER BY tsv <=> ${order}::tsquery LIMIT ${param(depth)}),
     originals AS (
       SELECT id, version FROM articles
       WHERE id IN (SELECT dup_rep FROM top) AND id NOT IN (SELECT id FROM top) AND ${where}),
     matched AS (
       SELECT count(*) AS total, extract(epoch FROM max(published)) * 1000 AS newest
       FROM articles WHERE ${known ? 'false' : where})
     SELECT c.docs::text, c.title_total::text, c.body_total::text, c.generation::text,
       m.total::text, m.newest::float8,
       ${dfs.length ? `ARRAY[${dfs.join(', ')}]::text[]` : `'{}'::text[]`} AS dfs,
       (SELECT coalesce(json_agg(json_build_array(x.id, x.version::text)), '[]')
        FROM (SELECT id, version FROM top UNION ALL SELECT id, version FROM originals) x) AS ids
     FROM collection c, matched m`,
    values,
  );
  const r = rows[0];
  if ((known !== undefined || docFreq.size > 0) && r.generation !== generation) {
    counts.keeps(r.generation);
    return undefined;
  }
  terms.forEach((t, i) => {
    docFreq.set(t, Number(r.dfs[i]));
  });
  const matched = known ?? { total: Number(r.total), newest: Math.max(0, r.newest ?? 0) };
  if (counts.keeps(r.generation)) {
    for (const t of terms) counts.docFreq.set(t, docFreq.get(t)!);
    counts.matched.set(key, matched);
  }
  return {
    stats: { docs: r.docs, title_total: r.title_total, body_total: r.body_total },
    ids: (r.ids as [string, string][]).map(([id, version]) => ({ id, version })),
    matches: { docFreq, ...matched },
  };
}

/** The candidates as a reader of one-document segments, with their near-duplicate groups. */
function candidateReader(docs: CachedDoc[]): IndexReader {
  const number = new Map(docs.map((d, i) => [d.core.name, i]));
  // A group's representative outside the candidates still names the group: a number past them.
  const absent = new Map<string, number>();
  const dupRep = Int32Array.from(docs, (d) => {
    if (d.dupRep === null) return -1;
    const n = number.get(d.dupRep);
    if (n !== undefined) return n;
    let a = absent.get(d.dupRep);
    if (a === undefined) absent.set(d.dupRep, (a = docs.length + absent.size));
    return a;
  });
  return new IndexReader({
    segments: docs.map((d) => Segment.whole(d.core)),
    buffered: false,
    fingerprint: analyzerFingerprint(),
    appliedSeq: 0,
    sources: [],
    vocabulary: [],
    dupRep,
  });
}
