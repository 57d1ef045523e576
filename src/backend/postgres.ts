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
import { named, StatementNames } from './statements.js';
import { LRUCache } from 'lru-cache';
import type { AnalyzedArticle } from '../index/builder.js';
import { IndexBuilder } from '../index/builder.js';
import { mergeIndex } from '../index/merge.js';
import { IndexReader, Segment, SegmentCore } from '../index/reader.js';
import type { StoredDoc } from '../index/news-index.js';
import {
  MAX_VOCABULARY_ENTRIES,
  titleTerms,
  vocabularyOrder,
  type VocabularyEntry,
} from '../index/vocabulary.js';
import { mergeVocabulary } from '../index/merge-vocabulary.js';
import {
  DUP_BANDS,
  nearDuplicateBands,
  nearDuplicatePair,
  unionFind,
  type DupCandidate,
} from '../index/near-duplicates.js';
import type { WalOp } from '../index/wal.js';
import type { WriteResult } from '../index/writer.js';
import { analyzeArticle } from '../index/analyze-post.js';
import { analyzeText, everyPositionStarts } from '../analysis/analyzer.js';
import { analyzerFingerprint } from '../analysis/analyzer.js';
import type { Article } from '../ingest/article.js';
import { documentVector, termQuery } from './tsvector.js';
import type { Candidates, FastQuery, StorageBackend, Term } from './backend.js';
import { VOCABULARY_CHANNEL, VocabularyListener } from './vocabulary-listener.js';

const ARTICLES_TSV_INDEX = 'CREATE INDEX articles_tsv ON articles USING rum (tsv zh_tsvector_ops)';

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
  // Writes keep near-duplicate groups and suggestions current: each article's LSH band hashes
  // (null: too short to be grouped); the groups in a table of their own, so a write regrouping
  // an article does not rewrite its row (and its RUM entries: 100 ms a row); the vocabulary as
  // counts a write changes in place.
  `ALTER TABLE articles ADD COLUMN dup_bands integer[];
   CREATE INDEX articles_dup_bands ON articles USING gin (dup_bands) WITH (fastupdate = off);
   -- near-duplicate group members (the representative too) and the id of its representative
   CREATE TABLE article_groups (id text PRIMARY KEY, rep text NOT NULL);
   CREATE INDEX article_groups_rep ON article_groups (rep);
   INSERT INTO article_groups SELECT id, dup_rep FROM articles WHERE dup_rep IS NOT NULL;
   ALTER TABLE articles DROP COLUMN dup_rep;
   CREATE TABLE suggestion_terms (text text PRIMARY KEY, df integer NOT NULL, entry jsonb NOT NULL);
   INSERT INTO suggestion_terms
     SELECT e->>'text', (e->>'df')::int, e - 'df' FROM (SELECT entry::jsonb AS e FROM vocabulary) v;
   DROP TABLE vocabulary;`,
  // PostgreSQL evaluates an ORDER BY expression on every row it returns, even when the index
  // supplies the order: `tsv <=> q` read each row's tsvector (~15 KB of bigram positions) out of
  // TOAST to rank it again, half of an ordered top 200 (经济 方面: 5.4 -> 2.7 ms). `<~>` is
  // RUM's ranking for the index (the same support functions as rum_tsvector_ops) and a constant
  // for that projection. It orders nothing outside the index: the fast path's connections rule
  // out every other plan (newPool, `ordered`).
  `CREATE FUNCTION zh_ranked_by_index(tsvector, tsquery) RETURNS float4
     LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS 'BEGIN RETURN 0; END';
   CREATE OPERATOR <~> (LEFTARG = tsvector, RIGHTARG = tsquery, PROCEDURE = zh_ranked_by_index);
   CREATE OPERATOR CLASS zh_tsvector_ops FOR TYPE tsvector USING rum AS
     OPERATOR 1 @@ (tsvector, tsquery),
     OPERATOR 2 <~> (tsvector, tsquery) FOR ORDER BY pg_catalog.float_ops,
     FUNCTION 1 gin_cmp_tslexeme(text, text),
     FUNCTION 2 rum_extract_tsvector(tsvector, internal, internal, internal, internal),
     FUNCTION 3 rum_extract_tsquery(tsquery, internal, smallint, internal, internal, internal, internal),
     FUNCTION 4 rum_tsquery_consistent(internal, smallint, tsvector, int, internal, internal, internal, internal),
     FUNCTION 5 gin_cmp_prefix(text, text, smallint, internal),
     FUNCTION 6 rum_tsvector_config(internal),
     FUNCTION 7 rum_tsquery_pre_consistent(internal, smallint, tsvector, int, internal, internal, internal, internal),
     FUNCTION 8 rum_tsquery_distance(internal, smallint, tsvector, int, internal, internal, internal, internal, internal),
     FUNCTION 10 rum_ts_join_pos(internal, internal),
     STORAGE text;
   DROP INDEX articles_tsv;
   CREATE INDEX articles_tsv ON articles USING rum (tsv zh_tsvector_ops);`,
];

/**
 * A fetched document as the service keeps it: its own one-document index (postings, word
 * starts, body), built once per row version, so a search assembles its candidates as segments
 * of a reader instead of indexing their text again.
 */
interface CachedDoc {
  version: string;
  core: SegmentCore;
}

/** Seconds a replica that failed is left out before it is tried again. */
const REPLICA_RETRY_MS = 5_000;

/**
 * One shard: its primary, where writes go, and its streaming replicas, which serve reads in turn.
 * A replica that fails a read is skipped for a while and the read is retried on the primary, so
 * a replica going away costs no failed search.
 */
class Node {
  private readonly replicas: { pool: pg.Pool; ordered: pg.Pool; downUntil: number }[];
  private turn = 0;
  readonly counts = new MatchCounts();
  /** The primary's connections for RUM-ordered reads (newPool, `ordered`). */
  private readonly primaryOrdered: pg.Pool;

  constructor(
    readonly primary: pg.Pool,
    readonly primaryUrl: string,
    replicaUrls: string[],
  ) {
    this.primaryOrdered = newPool(primaryUrl, true);
    this.replicas = replicaUrls.map((url) => ({
      pool: newPool(url),
      ordered: newPool(url, true),
      downUntil: 0,
    }));
  }

  /** A read on a replica in turn, or the primary; on the `ordered` connections when asked. */
  async read<T>(run: (pool: pg.Pool) => Promise<T>, ordered = false): Promise<T> {
    const now = Date.now();
    for (let k = 0; k < this.replicas.length; k++) {
      const r = this.replicas[this.turn++ % this.replicas.length];
      if (r.downUntil > now) continue;
      try {
        return await run(ordered ? r.ordered : r.pool);
      } catch {
        r.downUntil = Date.now() + REPLICA_RETRY_MS;
      }
    }
    return run(ordered ? this.primaryOrdered : this.primary);
  }

  async end(): Promise<void> {
    await Promise.all(
      [this.primary, this.primaryOrdered, ...this.replicas.flatMap((r) => [r.pool, r.ordered])].map(
        (p) => p.end(),
      ),
    );
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

/**
 * `ordered`: connections for the fast path's statement, with bitmap scans ruled out too. For a
 * common pair of words the planner, misjudging how many rows match, read every match through a
 * bitmap and sorted them by `tsv <=> q` computed on each row's tsvector out of TOAST (62 ms for
 * 932 matches), where RUM's ordered index scan stops after the best 200. Over the 190 fast-path
 * forms of the public queries (16k posts; planning + execution, best of three): p99 57 -> 19 ms,
 * max 83 -> 19 ms, p50 and p95 unchanged. Sorts are ruled out too: the order must be the index's,
 * as `<~>` is a constant anywhere else (migration 4). The other statements keep bitmaps: OR-ed
 * terms need them, and the exact path's unordered scan is no faster without.
 */
function newPool(url: string, ordered = false): pg.Pool {
  // A sequential scan evaluates @@ on every row's tsvector, read out of TOAST: 0.59 s for a
  // bigram in a third of the corpus, against 0.06 s through the RUM index, whose matches need no
  // recheck. The planner, counting rows rather than TOAST reads, picks the scan: rule it out.
  // That cost (and the collection row's scan, costed the same way) then makes every plan look
  // dear enough to JIT-compile: 0.8 s of compiling for a 4 ms statement. Rule JIT out too.
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    options: `-c enable_seqscan=off -c jit=off${ordered ? ' -c enable_bitmapscan=off -c enable_sort=off' : ''}`,
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
  /**
   * Follow other services' changes to the suggestion vocabulary (LISTEN on the first shard's
   * primary, backend/vocabulary-listener.ts). Default: on, but for `readOnly` (a hot standby
   * cannot LISTEN); the `index` command turns it off.
   */
  follow?: boolean;
}

const int32 = (b: Buffer) =>
  new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const bytes = (b: Buffer) =>
  new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const buf = (a: Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Cached documents' rows, by id. */
const FETCH_ROWS = named(
  'zh_fetch_rows',
  `SELECT id, version::text, doc, body, title_cp, body_cp, extra_cp, title_ws, body_ws
   FROM articles WHERE id = ANY($1)`,
);

export class PostgresBackend implements StorageBackend {
  private readonly nodes: Node[];
  private readonly cache: LRUCache<string, CachedDoc>;
  private vocab: VocabularyEntry[] = [];
  /** The first shard's collection generation that the last read of `vocab` saw. */
  private vocabGeneration = -1n;
  /** Set while a reload reads: this service's writes meanwhile, which its snapshot may miss. */
  private ownWrites: VocabularyWrite[] | null = null;
  /**
   * This service's writes not yet merged into `vocab`: merged when the vocabulary is next read
   * (a suggestion, a correction), not in the write's answer: merging costs ~5 ms at 16k posts
   * per write (the whole vocabulary is walked), and a burst of writes is then one merge.
   */
  private unmerged: VocabularyWrite[] = [];
  /** Other services' vocabulary changes (null: not followed). */
  private readonly listener: VocabularyListener | null;
  /** The payload of this service's notifications (its listener skips them). */
  private readonly instance: string;
  private readonly empty = new IndexBuilder().build(analyzerFingerprint());
  readonly candidateDepth: number;
  /** Names of the search statements, prepared once per connection. */
  private readonly statements = new StatementNames('zh_search_');
  /**
   * Per query, the term document frequencies its search counted over every document holding one
   * of its terms, with the shards' generations then (backend.ts, narrowCandidates).
   */
  private narrowed = 0;
  private readonly termDocFreqs = new LRUCache<string, { generation: string; dfs: number[] }>({
    max: 10_000,
  });

  /** `urls`: one primary, or the primaries of the shards (DATABASE_SHARDS), in shard order. */
  private constructor(urls: string[], options: PostgresOptions) {
    this.nodes = urls.map(
      (u, i) => new Node(newPool(u), u, i === 0 ? (options.readUrls ?? []) : []),
    );
    this.cache = new LRUCache({ max: options.cacheDocs ?? 50_000 });
    this.candidateDepth = options.candidateDepth ?? 200;
    const follow = options.follow ?? !options.readOnly;
    this.listener = follow
      ? new VocabularyListener(this.nodes[0].primaryUrl, () => this.reloadVocabulary())
      : null;
    this.instance = this.listener?.id ?? '';
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
      // Listening first: a change committed before the load is in it, one after is notified.
      await b.listener?.start();
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
    this.useVocabulary(await readVocabulary(this.nodes[0].read((p) => p.query(VOCABULARY_SQL))));
  }

  /**
   * Another service changed the vocabulary (vocabulary-listener.ts): read it again from the
   * primary, which has the change when it notifies (a replica may lag).
   */
  private async reloadVocabulary(): Promise<void> {
    this.ownWrites = [];
    try {
      this.useVocabulary(await readVocabulary(this.nodes[0].primary.query(VOCABULARY_SQL)));
    } finally {
      this.ownWrites = null;
    }
  }

  /**
   * Serve a vocabulary read at `generation`, with this service's writes that committed after
   * its snapshot merged in again (each merged itself into the vocabulary it replaces). A new
   * array: the suggestion tables are built for it on first use (backend.ts, vocabularyReader),
   * as after this service's own writes.
   */
  private useVocabulary({ vocab, generation }: VocabularyRead): void {
    if (generation < this.vocabGeneration) return; // older than the one served
    // Writes after the snapshot, whether or not merged into the vocabulary it replaces.
    const after = new Set([...(this.ownWrites ?? []), ...this.unmerged]);
    this.unmerged = [...after].filter((w) => w.generation > generation);
    this.vocab = vocab;
    this.vocabGeneration = generation;
  }

  /** Reloads after other services' changes so far (tests: a burst is one reload). */
  get vocabularyReloads(): number {
    return this.listener?.reloads ?? 0;
  }

  vocabulary(): readonly VocabularyEntry[] {
    if (this.unmerged.length) {
      const writes = this.unmerged;
      this.unmerged = [];
      this.vocab = mergeVocabulary(
        this.vocab,
        writes.flatMap((w) => w.removed),
        writes.flatMap((w) => w.added),
      );
    }
    return this.vocab;
  }

  async size(): Promise<number> {
    const counts = await Promise.all(
      this.nodes.map((n) => n.read((p) => p.query('SELECT docs FROM collection'))),
    );
    return counts.reduce((sum, r) => sum + Number(r.rows[0].docs), 0);
  }

  candidates(terms: Term[], all = false): Promise<Candidates> {
    return this.gather((p) => shardCandidates(p, this.statements, all ? null : terms));
  }

  topCandidates(query: FastQuery): Promise<Candidates> {
    return this.gather(
      (p, node) => shardTop(p, this.statements, node.counts, query, this.candidateDepth),
      true,
    );
  }

  async narrowCandidates(q: string, query: FastQuery): Promise<Candidates | undefined> {
    const known = this.termDocFreqs.get(q);
    if (!known) return undefined;
    const c = await this.gather((p) => shardMatches(p, this.statements, query));
    if (c.generation !== known.generation) {
      // Written since: the frequencies are counted again by the search that follows.
      this.termDocFreqs.delete(q);
      return undefined;
    }
    this.narrowed++;
    return { ...c, collection: { ...c.collection, termDocFreqs: known.dfs } };
  }

  /** Searches answered from their possible matches alone (narrowCandidates) so far. */
  get narrowedSearches(): number {
    return this.narrowed;
  }

  rememberTermDocFreqs(q: string, generation: string, dfs: number[]): void {
    this.termDocFreqs.set(q, { generation, dfs });
  }

  matchCandidates(query: FastQuery): Promise<Candidates> {
    return this.gather((p, node) => shardTop(p, this.statements, node.counts, query, null));
  }

  /** Every shard at once: its counts and its candidates (each read on one replica or primary). */
  private async gather(
    read: (pool: pg.Pool, node: Node) => Promise<ShardCandidates>,
    ordered = false,
  ): Promise<Candidates> {
    const parts = await Promise.all(this.nodes.map((n) => n.read((p) => read(p, n), ordered)));
    let docCount = 0;
    let titleTotal = 0;
    let bodyTotal = 0;
    const docs: { core: SegmentCore; rep: string | null }[] = [];
    let counts: { docFreq: Map<string, number>; total?: number; newest?: number } | undefined;
    for (let i = 0; i < parts.length; i++) {
      const { stats, ids, matches } = parts[i];
      docCount += Number(stats.docs);
      titleTotal += Number(stats.title_total);
      bodyTotal += Number(stats.body_total);
      if (matches) {
        counts ??= { docFreq: new Map() };
        // The exact path's total and newest are the searcher's, over every match.
        if (matches.total !== undefined) counts.total = (counts.total ?? 0) + matches.total;
        if (matches.newest !== undefined)
          counts.newest = Math.max(counts.newest ?? 0, matches.newest);
        for (const [t, df] of matches.docFreq)
          counts.docFreq.set(t, (counts.docFreq.get(t) ?? 0) + df);
      }
      const cached = await this.fetch(this.nodes[i], ids);
      for (const { id, rep } of ids) {
        const c = cached.get(id);
        if (c) docs.push({ core: c.core, rep });
      }
    }
    const n = Math.max(1, docCount);
    const generations = parts.map((p) => p.generation);
    return {
      ...(generations.every((g) => g !== undefined) ? { generation: generations.join(',') } : {}),
      reader: candidateReader(docs),
      collection: {
        docCount,
        stats: { avgTitleLength: titleTotal / n, avgBodyLength: bodyTotal / n },
        ...counts,
      },
    };
  }

  /** The rows named, from the cache when their version is the one cached. */
  private async fetch(
    node: Node,
    ids: { id: string; version: string }[],
  ): Promise<Map<string, CachedDoc>> {
    const out = new Map<string, CachedDoc>();
    const missing: string[] = [];
    for (const { id, version } of ids) {
      const c = this.cache.get(id);
      if (c && c.version === version) out.set(id, c);
      else missing.push(id);
    }
    if (missing.length) {
      const { rows } = await node.read((p) => p.query(FETCH_ROWS([missing])));
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
        const c: CachedDoc = { version: r.version, core: new SegmentCore(r.id, index) };
        this.cache.set(r.id, c);
        out.set(r.id, c);
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
   * Puts and deletes, durable and searchable when it resolves: one transaction per shard (with
   * one primary, one transaction), in which the collection's counts, the near-duplicate groups
   * the writes touch (on any shard) and the suggestion vocabulary change too. Every shard's
   * collection row is locked first, in shard order: writes are serialized, without deadlocks.
   */
  async submit(ops: WalOp[]): Promise<WriteResult[]> {
    const analyzed = ops.map((op) =>
      op.op === 'put' ? analyzeArticle(op.article, op.extra) : null,
    );
    const clients: pg.PoolClient[] = [];
    let added: TitleTerms = [];
    let removed: TitleTerms = [];
    try {
      for (const n of this.nodes) {
        const client = await n.primary.connect();
        clients.push(client);
        await client.query('BEGIN');
        await client.query(LOCK_COLLECTION());
      }
      const results: WriteResult[] = new Array(ops.length);
      const changes = this.nodes.map(() => ({ docs: 0, titles: 0, bodies: 0 }));
      const broken = new Set<string>();
      const fresh: { id: string; shard: number; bands: Int32Array; row: DupRow }[] = [];
      added = [];
      removed = [];
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        const a = analyzed[i];
        const id = op.op === 'put' ? op.article.id : op.id;
        const shard = shardOf(id, this.nodes.length);
        const client = clients[shard];
        const change = changes[shard];
        const old = await client.query(DELETE_ARTICLE([id]));
        const gone = old.rows[0];
        if (gone) {
          change.docs--;
          change.titles -= gone.title_len;
          change.bodies -= gone.body_len;
          const title = (JSON.parse(gone.doc) as StoredDoc).title;
          removed.push(titleTerms(title, analyzeText(title)));
          if (gone.dup_rep !== null) broken.add(gone.dup_rep);
          const f = fresh.findIndex((x) => x.id === id);
          if (f >= 0) fresh.splice(f, 1);
        }
        if (a === null) {
          results[i] = gone ? { id, result: 'deleted', seq: 0 } : { id, result: 'not_found' };
          continue;
        }
        const { version, bands } = await insertArticle(client, a);
        if (bands) {
          // The document as grouping reads it, from memory rather than selected back.
          const date = a.article.date ? Date.parse(a.article.date) || 0 : 0;
          const doc = { title: a.title.codePoints, body: a.body.codePoints, date };
          fresh.push({ id, shard, bands, row: { id, shard, rep: null, bands, doc } });
        }
        added.push(titleTerms(a.article.title, a.title));
        change.docs++;
        change.titles += a.title.codePoints.length;
        change.bodies += a.body.codePoints.length;
        results[i] = { id, result: gone ? 'updated' : 'created', seq: Number(version) };
      }
      await regroup(clients, broken, fresh);
      if (added.length || removed.length) {
        await countTerms(clients[0], removed, added);
        // Delivered to the other services at commit (vocabulary-listener.ts).
        await notifyVocabulary(clients[0], this.instance);
      }
      let generation = 0n;
      for (let s = 0; s < clients.length; s++) {
        const { rows } = await clients[s].query(
          COUNT_WRITES([changes[s].docs, changes[s].titles, changes[s].bodies]),
        );
        if (s === 0) generation = BigInt(rows[0].generation);
      }
      for (const c of clients) await c.query('COMMIT');
      // Unless the vocabulary served was read after this commit (a reload meanwhile).
      if (generation > this.vocabGeneration) {
        const write = { generation, removed, added };
        this.unmerged.push(write);
        this.ownWrites?.push(write);
      }
      return results;
    } catch (e) {
      await Promise.all(clients.map((c) => c.query('ROLLBACK').catch(() => {})));
      throw e;
    } finally {
      for (const c of clients) c.release();
    }
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
          await client.query('TRUNCATE articles, article_groups, suggestion_terms');
          // One index build after the rows is far faster than maintaining it row by row.
          await client.query('DROP INDEX articles_tsv');
          let count = 0;
          let titles = 0;
          let bodies = 0;
          const members: string[] = [];
          const reps: string[] = [];
          for (let i = 0; i < articles.length; i++) {
            const a = articles[i];
            if (shardOf(a.article.id, this.nodes.length) !== s) continue;
            if (dupOf[i] >= 0) {
              members.push(a.article.id);
              reps.push(articles[dupOf[i]].article.id);
            }
            await insertArticle(client, a);
            count++;
            titles += a.title.codePoints.length;
            bodies += a.body.codePoints.length;
            done++;
            if (onProgress && (done % 500 === 0 || done === articles.length))
              onProgress(done, articles.length);
          }
          await client.query(ARTICLES_TSV_INDEX);
          await client.query(
            'INSERT INTO article_groups (id, rep) SELECT * FROM unnest($1::text[], $2::text[])',
            [members, reps],
          );
          await client.query(
            `UPDATE collection SET docs = $1, title_total = $2, body_total = $3,
               generation = generation + 1`,
            [count, titles, bodies],
          );
          if (s !== 0) return;
          await notifyVocabulary(client, this.instance);
          for (let i = 0; i < vocabulary.length; i += 1000) {
            const slice = vocabulary.slice(i, i + 1000);
            await client.query(
              `INSERT INTO suggestion_terms (text, df, entry)
               SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[])`,
              [
                slice.map((e) => e.text),
                slice.map((e) => e.df),
                slice.map(({ text: _, df: __, ...rest }) => JSON.stringify(rest)),
              ],
            );
          }
        }),
      ),
    );
    this.cache.clear();
    await this.loadVocabulary();
  }

  async close(): Promise<void> {
    await this.listener?.close();
    await Promise.all(this.nodes.map((n) => n.end()));
  }
}

/** Titles' terms as titleTerms gives them, one list per title. */
type TitleTerms = [string, string][][];

/** One write transaction's change to the title vocabulary, at the generation it committed. */
interface VocabularyWrite {
  generation: bigint;
  removed: TitleTerms;
  added: TitleTerms;
}

/** The vocabulary, kept by the first shard (the most frequent terms), and the generation read. */
interface VocabularyRead {
  vocab: VocabularyEntry[];
  generation: bigint;
}

/** The collection's generation and the vocabulary, in one statement (one snapshot). */
const VOCABULARY_SQL = `SELECT c.generation::text, t.text, t.df, t.entry FROM collection c
  LEFT JOIN LATERAL (SELECT text, df, entry FROM suggestion_terms
    ORDER BY df DESC, text COLLATE "C" LIMIT ${MAX_VOCABULARY_ENTRIES}) t ON true`;

/** The vocabulary in the index's order. */
async function readVocabulary(query: Promise<pg.QueryResult>): Promise<VocabularyRead> {
  const { rows } = await query;
  const vocab: VocabularyEntry[] = rows
    .filter((r) => r.text !== null)
    .map((r) => ({ ...(r.entry as Omit<VocabularyEntry, 'df'>), text: r.text, df: r.df }))
    .sort((a, b) => vocabularyOrder(a.text, a.df, b.text, b.df));
  return { vocab, generation: BigInt(rows[0].generation) };
}

/** Tell the other services, at commit, that the suggestion vocabulary changed. */
async function notifyVocabulary(client: pg.PoolClient, instance: string): Promise<void> {
  await client.query(NOTIFY_VOCABULARY([VOCABULARY_CHANNEL, instance]));
}
const NOTIFY_VOCABULARY = named('zh_notify_vocabulary', 'SELECT pg_notify($1, $2)');

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
): Promise<{ version: string; bands: Int32Array | null }> {
  const { body, ...stored } = a.article;
  const vector = documentVector([
    { codePoints: a.title.codePoints, weight: 'A' },
    { codePoints: a.body.codePoints, weight: 'D' },
    { codePoints: a.extra.codePoints, weight: 'C' },
  ]);
  const bands = bandsOf(a.body.codePoints, a.title.codePoints);
  const { rows } = await client.query(
    INSERT_ARTICLE([
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
      vector.text,
      vector.inexact,
      bands && Array.from(bands),
    ]),
  );
  return { version: rows[0].version, bands };
}

// The write's statements, prepared once per connection (statements.ts).
const LOCK_COLLECTION = named('zh_lock_collection', 'SELECT 1 FROM collection FOR UPDATE');
const DELETE_ARTICLE = named(
  'zh_delete_article',
  `WITH g AS (DELETE FROM article_groups WHERE id = $1 RETURNING rep)
   DELETE FROM articles WHERE id = $1
   RETURNING title_len, body_len, doc, (SELECT rep FROM g) AS dup_rep`,
);
const INSERT_ARTICLE = named(
  'zh_insert_article',
  `INSERT INTO articles (id, version, doc, body, published, source, title_cp, body_cp, extra_cp,
     title_ws, body_ws, title_len, body_len, tsv, inexact, dup_bands)
   VALUES ($1, nextval('article_version'), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
     $13::tsvector, $14, $15)
   RETURNING version::text`,
);
const SHARING_BANDS = named(
  'zh_sharing_bands',
  'SELECT id, dup_bands FROM articles WHERE dup_bands && $1 AND id <> $2',
);
const COUNT_WRITES = named(
  'zh_count_writes',
  `UPDATE collection SET docs = docs + $1, title_total = title_total + $2,
     body_total = body_total + $3, generation = generation + 1
   RETURNING generation::text`,
);

/** A document's LSH band hashes as PostgreSQL integers, or null when it is never grouped. */
function bandsOf(body: Int32Array, title: Int32Array): Int32Array | null {
  const { bands, signed } = nearDuplicateBands([body], [title]);
  return signed[0] ? new Int32Array(bands.buffer, bands.byteOffset, DUP_BANDS) : null;
}

/** A document as near-duplicate grouping reads it. */
interface DupRow {
  id: string;
  shard: number;
  rep: string | null;
  bands: Int32Array | null;
  doc: DupCandidate;
}

/** An article with its group: from `articles a LEFT JOIN article_groups g USING (id)`. */
const DUP_COLUMNS = `id, g.rep AS dup_rep, a.dup_bands, a.title_cp, a.body_cp, a.doc`;
const DUP_FROM = 'articles a LEFT JOIN article_groups g USING (id)';

/** A row of DUP_COLUMNS as the client returns it. */
interface DupColumns {
  id: string;
  dup_rep: string | null;
  dup_bands: number[] | null;
  title_cp: Buffer;
  body_cp: Buffer;
  doc: string;
}

function dupRow(r: DupColumns, shard: number): DupRow {
  const date = (JSON.parse(r.doc) as StoredDoc).date;
  return {
    id: r.id,
    shard,
    rep: r.dup_rep,
    bands: r.dup_bands ? Int32Array.from(r.dup_bands) : null,
    doc: {
      title: int32(r.title_cp),
      body: int32(r.body_cp),
      date: date ? Date.parse(date) || 0 : 0,
    },
  };
}

/** Whether two documents share an LSH band (the same hash at the same band). */
function shareBand(a: Int32Array | null, b: Int32Array | null): boolean {
  if (!a || !b) return false;
  for (let i = 0; i < DUP_BANDS; i++) if (a[i] === b[i]) return true;
  return false;
}

/**
 * Near-duplicate groups brought up to date in the write's transactions, as a flush of the
 * embedded index does (index/reader.ts, nearDuplicateGroups): a group that lost a member is
 * split again from its remaining members' own pairs, and each new document is compared with
 * every document sharing a band with it, joining their groups. The representative is the
 * earliest-dated member, then the smallest id; a document alone has none.
 */
async function regroup(
  clients: pg.PoolClient[],
  broken: Set<string>,
  fresh: { id: string; shard: number; bands: Int32Array; row: DupRow }[],
): Promise<void> {
  const everywhere = async (sql: string, values: unknown[]): Promise<DupRow[]> =>
    (await Promise.all(clients.map((c) => c.query(sql, values)))).flatMap((r, s) =>
      r.rows.map((row) => dupRow(row, s)),
    );
  const assign = async (group: DupRow[]) => {
    const rep =
      group.length < 2
        ? null
        : group.reduce((a, b) => {
            const da = when(a.doc.date);
            const db = when(b.doc.date);
            return db < da || (db === da && b.id < a.id) ? b : a;
          }).id;
    // Each member's row lives on its own shard.
    for (let s = 0; s < clients.length; s++) {
      const ids = group.filter((m) => m.shard === s && m.rep !== rep).map((m) => m.id);
      if (!ids.length) continue;
      if (rep === null)
        await clients[s].query('DELETE FROM article_groups WHERE id = ANY($1)', [ids]);
      else
        await clients[s].query(
          `INSERT INTO article_groups (id, rep) SELECT unnest($1::text[]), $2
           ON CONFLICT (id) DO UPDATE SET rep = excluded.rep`,
          [ids, rep],
        );
    }
    for (const m of group) m.rep = rep;
  };
  const components = (rows: DupRow[]): DupRow[][] => {
    const { find, union } = unionFind(rows.length);
    for (let i = 0; i < rows.length; i++)
      for (let j = 0; j < i; j++)
        if (
          find(i) !== find(j) &&
          shareBand(rows[i].bands, rows[j].bands) &&
          nearDuplicatePair(rows[j].doc, rows[i].doc)
        )
          union(i, j);
    const groups = new Map<number, DupRow[]>();
    rows.forEach((r, i) => {
      const g = groups.get(find(i));
      if (g) g.push(r);
      else groups.set(find(i), [r]);
    });
    return [...groups.values()];
  };

  for (const rep of broken) {
    const members = await everywhere(`SELECT ${DUP_COLUMNS} FROM ${DUP_FROM} WHERE g.rep = $1`, [
      rep,
    ]);
    for (const group of components(members)) await assign(group);
  }
  // The planner guesses a share of the table for `&&` over 32 random hashes and scans it all
  // (57 ms at 16k articles); the GIN index finds the few sharing one in well under 1 ms.
  if (fresh.length)
    await Promise.all(clients.map((c) => c.query('SET LOCAL enable_seqscan = off')));
  for (const f of fresh) {
    // Bands first, texts only of the documents sharing a band in place (the GIN operator
    // matches a hash in any place, and a text is kilobytes out of TOAST).
    const sharing = await Promise.all(
      clients.map(async (c) =>
        (
          await c.query<{ id: string; dup_bands: number[] }>(
            SHARING_BANDS([Array.from(f.bands), f.id]),
          )
        ).rows
          .filter((r) => shareBand(f.bands, Int32Array.from(r.dup_bands)))
          .map((r) => r.id),
      ),
    );
    const near = (
      await Promise.all(
        clients.map((c, s) =>
          sharing[s].length
            ? c.query(`SELECT ${DUP_COLUMNS} FROM ${DUP_FROM} WHERE id = ANY($1)`, [sharing[s]])
            : null,
        ),
      )
    ).flatMap((r, s) => (r ? r.rows.map((row) => dupRow(row, s)) : []));
    const self = f.row;
    const joined = near.filter((o) => nearDuplicatePair(self.doc, o.doc));
    if (!joined.length) continue;
    // The groups joined, whole: the new document connects them all.
    const reps = [
      ...new Set([self, ...joined].map((o) => o.rep).filter((r): r is string => r !== null)),
    ];
    const members = reps.length
      ? await everywhere(`SELECT ${DUP_COLUMNS} FROM ${DUP_FROM} WHERE g.rep = ANY($1)`, [reps])
      : [];
    const group = new Map<string, DupRow>([[self.id, self]]);
    for (const m of [...joined, ...members]) group.set(m.id, m);
    await assign([...group.values()]);
  }
}

/** When a document counts as published for choosing a representative: unknown dates last. */
const when = (ms: number) => (ms > 0 || ms < 0 ? ms : Infinity);

/**
 * The suggestion vocabulary's counts, changed by the titles written (added) and replaced or
 * deleted (removed): a new term with the form it was written in and its readings; a term no
 * title holds any more leaves it.
 */
async function countTerms(
  client: pg.PoolClient,
  removed: [string, string][][],
  added: [string, string][][],
): Promise<void> {
  const delta = new Map<string, number>();
  for (const terms of removed)
    for (const [text] of terms) delta.set(text, (delta.get(text) ?? 0) - 1);
  for (const terms of added)
    for (const [text] of terms) delta.set(text, (delta.get(text) ?? 0) + 1);
  // A new entry as the index would make it: forms and readings from the added titles.
  const fresh = mergeVocabulary([], [], added);
  const entries = new Map(fresh.map((e) => [e.text, e]));
  const texts: string[] = [];
  const dfs: number[] = [];
  const json: string[] = [];
  for (const [text, d] of delta) {
    if (d === 0) continue;
    const { text: _, df: __, ...rest } = entries.get(text) ?? { text, df: 0 };
    texts.push(text);
    dfs.push(d);
    json.push(JSON.stringify(rest));
  }
  if (!texts.length) return;
  await client.query(
    `INSERT INTO suggestion_terms (text, df, entry)
     SELECT * FROM unnest($1::text[], $2::int[], $3::jsonb[])
     ON CONFLICT (text) DO UPDATE SET df = suggestion_terms.df + excluded.df,
       entry = excluded.entry || suggestion_terms.entry`,
    [texts, dfs, json],
  );
  const lower = texts.filter((_, i) => dfs[i] < 0);
  if (lower.length)
    await client.query('DELETE FROM suggestion_terms WHERE text = ANY($1) AND df <= 0', [lower]);
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
  /** The shard's collection generation in the candidates' snapshot, where read. */
  generation?: string;
  /** With each document's near-duplicate representative (read with it: groups change without the row). */
  ids: { id: string; version: string; rep: string | null }[];
  /** The fast path's counts over every match: per term, of the query, and the newest (ms). */
  matches?: { docFreq: Map<string, number>; total?: number; newest?: number };
}

/**
 * One shard's counts and the documents holding one of `terms` (all when null): the bigram AND
 * of each term, with its phrase as a row filter where positions are exact. Counts and ids are
 * read in one snapshot (one statement), so they agree under writes.
 */
async function shardCandidates(
  pool: pg.Pool,
  statements: StatementNames,
  terms: Term[] | null,
): Promise<ShardCandidates> {
  const values: string[] = [];
  let where = 'true';
  if (terms !== null) {
    // Every term's bigrams in one tsquery for the index, and one `@@` on each row for the
    // phrases (each reference to the tsvector reads it out of TOAST again).
    const loose: string[] = [];
    const exact: string[] = [];
    for (const t of terms) {
      if (t.fetch === false) continue;
      const q = termQuery(t.codePoints);
      if (q.all === null) continue;
      loose.push(`(${q.all})`);
      exact.push(`(${q.phrase ?? q.all})`);
    }
    const any = tsAny(loose);
    if (any === null) where = 'false';
    else {
      values.push(any);
      where = `a.tsv @@ $1::tsquery`;
      const phrases = tsAny(exact)!;
      if (phrases !== any) {
        values.push(phrases);
        where += ` AND a.tsv @@ (CASE WHEN a.inexact THEN $1::text ELSE $2::text END)::tsquery`;
      }
    }
  }
  return shardRows(pool, statements, where, values);
}

/** One shard's counts, generation and the documents `where` selects, in one snapshot. */
async function shardRows(
  pool: pg.Pool,
  statements: StatementNames,
  where: string,
  values: string[],
): Promise<ShardCandidates> {
  const { rows } = await pool.query(
    statements.config(
      `SELECT c.docs::text, c.title_total::text, c.body_total::text, c.generation::text,
         (SELECT coalesce(json_agg(json_build_array(a.id, a.version::text, g.rep)), '[]')
          FROM articles a LEFT JOIN article_groups g USING (id) WHERE ${where}) AS ids
       FROM collection c`,
      values,
    ),
  );
  const r = rows[0];
  return { ...statsAndIds(r), generation: r.generation };
}

/**
 * One shard's counts, generation and every document that may match `query` (unordered, nothing
 * counted): the narrowed candidates of a query whose term frequencies the service holds.
 */
async function shardMatches(
  pool: pg.Pool,
  statements: StatementNames,
  query: FastQuery,
): Promise<ShardCandidates> {
  const values: string[] = [];
  const param = (v: string) => {
    values.push(v);
    return `$${values.length}`;
  };
  const { where, order } = queryConditions(query, param);
  return shardRows(pool, statements, `a.tsv @@ ${order}::tsquery AND ${where}`, values);
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
  statements: StatementNames,
  counts: MatchCounts,
  query: FastQuery,
  /** null: every match, unordered (the exact path: the searcher counts and sorts them). */
  depth: number | null,
): Promise<ShardCandidates> {
  const first = await shardTopOnce(pool, statements, counts, query, depth, true);
  if (first) return first;
  // A write since the counts were cached: count everything again, in the new snapshot.
  return (await shardTopOnce(pool, statements, counts, query, depth, false))!;
}

/**
 * A query's conditions as SQL (its values added through `param`): `order`, the parameter holding
 * the bigram tsquery of the whole query that RUM finds and orders by; `where`, the exact match as
 * a row filter; and each term's bigrams and phrase, for counting it.
 */
function queryConditions(
  query: FastQuery,
  param: (v: string) => string,
): {
  match: Map<string, { all: string; phrase: string | null }>;
  where: string;
  order: string;
  /** The tsquery `order` holds. */
  ranking: string;
} {
  // Each term as a tsquery, null where no document can hold it (no word character): its
  // bigrams (what RUM finds), and for the row filter its phrase where positions are exact.
  const loose = new Map<string, string>();
  const exact = new Map<string, string>();
  const match = new Map<string, { all: string; phrase: string | null }>();
  for (const [text, cps] of query.terms) {
    const q = termQuery(cps);
    if (q.all === null) continue;
    loose.set(text, `(${q.all})`);
    exact.set(text, `(${q.phrase ?? q.all})`);
    match.set(text, { all: q.all, phrase: q.phrase });
  }
  const tsq = (t: string) => loose.get(t) ?? `''`;
  const both = (xs: string[], op: string) => (xs.length === 1 ? xs[0] : `(${xs.join(op)})`);
  const partTsq = (p: { term: string; words: string[] }) =>
    p.words.length ? `(${tsq(p.term)} | ${both(p.words.map(tsq), ' & ')})` : tsq(p.term);
  // The whole query as one tsquery, evaluated once per row: each reference to the tsvector in a
  // row filter reads it out of TOAST again (a query of two words with a phrase: 3.5 ms of
  // filtering for 186 rows, against 1 ms as one `@@`).
  const rowQuery = (form: Map<string, string>) =>
    tsAll(
      query.clauses.map((c) =>
        tsAny(
          c.map((a) =>
            tsAll(
              a.map((p) => {
                const t = form.get(p.term) ?? null;
                if (!p.words.length) return t;
                const words = tsAll(p.words.map((w) => form.get(w) ?? null));
                // A document holding the term holds each of its words (the term's bigrams and
                // phrase contain theirs): the words alone decide the match, and words of one or
                // two characters need no phrase, so no row is read for them.
                return p.words.every((w) => p.term.includes(w)) ? words : tsAny([t, words]);
              }),
            ),
          ),
        ),
      ),
    );
  const exactAll = rowQuery(exact);
  const looseAll = rowQuery(loose);
  const where =
    exactAll === null || looseAll === null
      ? 'false'
      : exactAll === looseAll
        ? `tsv @@ ${param(exactAll)}::tsquery`
        : `tsv @@ (CASE WHEN inexact THEN ${param(looseAll)}::text ELSE ${param(exactAll)}::text END)::tsquery`;
  const ranking = both(
    query.clauses.map((c) =>
      both(
        c.map((a) => both(a.map(partTsq), ' & ')),
        ' | ',
      ),
    ),
    ' & ',
  );
  return { match, where, order: param(ranking), ranking };
}

/** The tsquery RUM finds a fast-path query's matches by and ranks them by (for tests). */
export function rankingQuery(query: FastQuery): string {
  return queryConditions(query, () => '').ranking;
}

/** shardTop, with the counts cached when `cached` (undefined: they were of another generation). */
async function shardTopOnce(
  pool: pg.Pool,
  statements: StatementNames,
  counts: MatchCounts,
  query: FastQuery,
  depth: number | null,
  cached: boolean,
): Promise<ShardCandidates | undefined> {
  const generation = counts.generation;
  const values: (string | number)[] = [];
  const param = (v: string | number) => {
    values.push(v);
    return `$${values.length}`;
  };
  const { match, where, order } = queryConditions(query, param);
  const key = JSON.stringify(query.clauses);
  const every = depth === null;
  const known = cached && !every ? counts.matched.get(key) : undefined;
  const docFreq = new Map<string, number>();
  const terms: string[] = [];
  for (const t of match.keys()) {
    const df = cached ? counts.docFreq.get(t) : undefined;
    if (df === undefined) terms.push(t);
    else docFreq.set(t, df);
  }
  const dfs = terms.map((t) => {
    const q = match.get(t)!;
    return `(SELECT count(*) FROM articles WHERE ${termMatch(param, q.all, q.phrase)})`;
  });
  // RUM orders by computing `tsv <=> q` from the positions of every match, which costs far more
  // than finding them (由于年轻, 186 matches: 4-9 ms ordered, 0.6 ms not). When the matches are no
  // more than `depth`, all of them are the candidates and no order is needed: decided from the
  // cached total, or inside the statement from the count it makes anyway.
  const matches = (gate: string) =>
    `SELECT id, version FROM articles WHERE ${gate}tsv @@ ${order}::tsquery AND ${where}`;
  const best = (gate: string, d: string) =>
    `(${matches(gate)} ORDER BY tsv <~> ${order}::tsquery LIMIT ${d})`;
  let top: string;
  if (every || (known && known.total <= depth)) top = matches('');
  else if (known) top = best('', param(depth));
  else {
    const d = param(depth);
    top = `${matches(`(SELECT total FROM matched) <= ${d} AND `)}
       UNION ALL ${best(`(SELECT total FROM matched) > ${d} AND `, d)}`;
  }
  const { rows } = await pool.query(
    statements.config(
      `WITH matched AS (
       SELECT count(*) AS total, extract(epoch FROM max(published)) * 1000 AS newest
       FROM articles WHERE ${known || every ? 'false' : `tsv @@ ${order}::tsquery AND ${where}`}),
     top AS (${top}),
     originals AS (
       SELECT id, version FROM articles
       WHERE ${every ? 'false AND ' : ''}id IN (SELECT rep FROM top JOIN article_groups USING (id))
         AND id NOT IN (SELECT id FROM top) AND ${where})
     SELECT c.docs::text, c.title_total::text, c.body_total::text, c.generation::text,
       m.total::text, m.newest::float8,
       ${dfs.length ? `ARRAY[${dfs.join(', ')}]::text[]` : `'{}'::text[]`} AS dfs,
       (SELECT coalesce(json_agg(json_build_array(x.id, x.version::text, g.rep)), '[]')
        FROM (SELECT id, version FROM top UNION ALL SELECT id, version FROM originals) x
          LEFT JOIN article_groups g USING (id)) AS ids
     FROM collection c, matched m`,
      values,
    ),
  );
  const r = rows[0];
  if ((known !== undefined || docFreq.size > 0) && r.generation !== generation) {
    counts.keeps(r.generation);
    return undefined;
  }
  terms.forEach((t, i) => {
    docFreq.set(t, Number(r.dfs[i]));
  });
  const matched = every
    ? undefined
    : (known ?? { total: Number(r.total), newest: Math.max(0, r.newest ?? 0) });
  if (counts.keeps(r.generation)) {
    for (const t of terms) counts.docFreq.set(t, docFreq.get(t)!);
    if (matched) counts.matched.set(key, matched);
  }
  return {
    ...statsAndIds(r),
    matches: { docFreq, ...matched },
  };
}

/**
 * A term's match as SQL: its bigrams through the index, and its phrase on the row where the
 * row's positions are exact (`inexact` rows count when they hold the bigrams).
 */
function termMatch(param: (v: string) => string, all: string, phrase: string | null): string {
  const bigrams = `tsv @@ ${param(all)}::tsquery`;
  if (phrase === null) return bigrams;
  return `(${bigrams} AND tsv @@ (CASE WHEN inexact THEN ${param(all)}::text ELSE ${param(phrase)}::text END)::tsquery)`;
}

/** tsquery conjunction and disjunction, with null for a query that matches nothing. */
function tsAll(xs: (string | null)[]): string | null {
  if (xs.some((x) => x === null)) return null;
  return xs.length === 1 ? xs[0] : `(${xs.join(' & ')})`;
}
function tsAny(xs: (string | null)[]): string | null {
  const some = xs.filter((x): x is string => x !== null);
  if (!some.length) return null;
  return some.length === 1 ? some[0] : `(${some.join(' | ')})`;
}

/** The candidates as a reader of one-document segments, with their near-duplicate groups. */
function candidateReader(docs: { core: SegmentCore; rep: string | null }[]): IndexReader {
  const number = new Map(docs.map((d, i) => [d.core.name, i]));
  // A group's representative outside the candidates still names the group: a number past them.
  const absent = new Map<string, number>();
  const dupRep = Int32Array.from(docs, (d) => {
    if (d.rep === null) return -1;
    const n = number.get(d.rep);
    if (n !== undefined) return n;
    let a = absent.get(d.rep);
    if (a === undefined) absent.set(d.rep, (a = docs.length + absent.size));
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

/** The collection row's counts and the candidates' `[id, version, rep]` triples, as read. */
function statsAndIds(r: {
  docs: string;
  title_total: string;
  body_total: string;
  ids: [string, string, string | null][];
}) {
  return {
    stats: { docs: r.docs, title_total: r.title_total, body_total: r.body_total },
    ids: r.ids.map(([id, version, rep]) => ({ id, version, rep })),
  };
}
