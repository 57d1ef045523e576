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
 * (backend/backend.ts): the same matching, ranking and snippets as the embedded index.
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
import type { Candidates, StorageBackend, Term } from './backend.js';

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
];

interface CachedDoc {
  version: string;
  article: AnalyzedArticle;
  stored: StoredDoc;
  dupRep: string | null;
}

export interface PostgresOptions {
  /** Analyzed documents kept in the service between searches (default 50,000). */
  cacheDocs?: number;
  /** A read replica: no migration (the primary's schema arrives by replication). */
  readOnly?: boolean;
}

const int32 = (b: Buffer) =>
  new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const bytes = (b: Buffer) =>
  new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const buf = (a: Int32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export class PostgresBackend implements StorageBackend {
  private readonly pool: pg.Pool;
  private readonly cache: LRUCache<string, CachedDoc>;
  private vocab: VocabularyEntry[] = [];
  private readonly empty = new IndexBuilder().build(analyzerFingerprint());

  private constructor(url: string, options: PostgresOptions) {
    this.pool = new pg.Pool({ connectionString: url, max: 8 });
    // An idle client's error (the server went away) must not crash the service.
    this.pool.on('error', () => {});
    this.cache = new LRUCache({ max: options.cacheDocs ?? 50_000 });
  }

  /** Connect, create or migrate the schema, and read the vocabulary. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresBackend> {
    const b = new PostgresBackend(url, options);
    try {
      if (!options.readOnly) await b.migrate();
      await b.loadVocabulary();
    } catch (e) {
      await b.pool.end();
      throw e;
    }
    return b;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
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

  private async loadVocabulary(): Promise<void> {
    const { rows } = await this.pool.query('SELECT entry FROM vocabulary ORDER BY rank');
    this.vocab = rows.map((r) => JSON.parse(r.entry) as VocabularyEntry);
  }

  vocabulary(): readonly VocabularyEntry[] {
    return this.vocab;
  }

  async size(): Promise<number> {
    const { rows } = await this.pool.query('SELECT docs FROM collection');
    return Number(rows[0].docs);
  }

  async candidates(terms: Term[] | null): Promise<Candidates> {
    const stats = this.pool.query('SELECT docs, title_total, body_total FROM collection');
    let ids: { id: string; version: string }[] = [];
    if (terms === null) {
      ids = (await this.pool.query('SELECT id, version::text FROM articles')).rows;
    } else {
      const conditions: string[] = [];
      const values: string[] = [];
      for (const t of terms) {
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
      if (conditions.length)
        ids = (
          await this.pool.query(
            `SELECT id, version::text FROM articles WHERE ${conditions.join(' OR ')}`,
            values,
          )
        ).rows;
    }
    const docs = await this.fetch(ids);
    const c = (await stats).rows[0];
    const docCount = Number(c.docs);
    const n = Math.max(1, docCount);
    return {
      reader: this.readerOf(docs),
      collection: {
        docCount,
        stats: {
          avgTitleLength: Number(c.title_total) / n,
          avgBodyLength: Number(c.body_total) / n,
        },
      },
    };
  }

  /** The rows named, from the cache when their version is the one cached. */
  private async fetch(ids: { id: string; version: string }[]): Promise<CachedDoc[]> {
    const out: CachedDoc[] = [];
    const missing: string[] = [];
    for (const { id, version } of ids) {
      const c = this.cache.get(id);
      if (c && c.version === version) out.push(c);
      else missing.push(id);
    }
    if (missing.length) {
      const { rows } = await this.pool.query(
        `SELECT id, version::text, doc, body, title_cp, body_cp, extra_cp, title_ws, body_ws, dup_rep
         FROM articles WHERE id = ANY($1)`,
        [missing],
      );
      for (const r of rows) {
        const stored = JSON.parse(r.doc) as StoredDoc;
        const article: Article = { ...stored, body: JSON.parse(r.body) as string };
        const extra = int32(r.extra_cp);
        const c: CachedDoc = {
          version: r.version,
          stored,
          dupRep: r.dup_rep,
          article: {
            article,
            title: { codePoints: int32(r.title_cp), wordStarts: bytes(r.title_ws) },
            body: { codePoints: int32(r.body_cp), wordStarts: bytes(r.body_ws) },
            extra: { codePoints: extra, wordStarts: everyPositionStarts(extra.length) },
          },
        };
        this.cache.set(r.id, c);
        out.push(c);
      }
    }
    return out;
  }

  /** The candidates as a one-segment reader, with their near-duplicate groups. */
  private readerOf(docs: CachedDoc[]): IndexReader {
    const index = mergeIndex(
      this.empty,
      [],
      docs.map((d) => d.article),
      { derived: false },
    );
    const number = new Map(docs.map((d, i) => [d.stored.id, i]));
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
      segments: [Segment.whole(new SegmentCore('candidates', index))],
      buffered: false,
      fingerprint: index.fingerprint,
      appliedSeq: 0,
      sources: [],
      vocabulary: [],
      dupRep,
    });
  }

  async document(id: string): Promise<(StoredDoc & { body: string }) | undefined> {
    const { rows } = await this.pool.query('SELECT doc, body FROM articles WHERE id = $1', [id]);
    if (!rows.length) return undefined;
    return { ...(JSON.parse(rows[0].doc) as StoredDoc), body: JSON.parse(rows[0].body) };
  }

  /** Puts and deletes in one transaction: durable and searchable when it resolves. */
  async submit(ops: WalOp[]): Promise<WriteResult[]> {
    const analyzed = ops.map((op) =>
      op.op === 'put' ? analyzeArticle(op.article, op.extra) : null,
    );
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const results: WriteResult[] = [];
      let docs = 0;
      let titles = 0;
      let bodies = 0;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        const a = analyzed[i];
        const id = op.op === 'put' ? op.article.id : op.id;
        const old = await client.query(
          'DELETE FROM articles WHERE id = $1 RETURNING title_len, body_len',
          [id],
        );
        if (old.rows.length) {
          docs--;
          titles -= old.rows[0].title_len;
          bodies -= old.rows[0].body_len;
        }
        if (a === null) {
          results.push(
            old.rows.length ? { id, result: 'deleted', seq: 0 } : { id, result: 'not_found' },
          );
          continue;
        }
        const version = await insertArticle(client, a, null);
        docs++;
        titles += a.title.codePoints.length;
        bodies += a.body.codePoints.length;
        results.push({
          id,
          result: old.rows.length ? 'updated' : 'created',
          seq: Number(version),
        });
      }
      await client.query(
        `UPDATE collection SET docs = docs + $1, title_total = title_total + $2,
           body_total = body_total + $3`,
        [docs, titles, bodies],
      );
      await client.query('COMMIT');
      return results;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  /**
   * A full load (the `index` command): every article of a build, with the build's near-duplicate
   * groups and vocabulary, replacing what the database held. Batches of `batch` rows, each in
   * the one transaction, so readers see the old collection until the load commits.
   */
  async load(
    articles: AnalyzedArticle[],
    dupOf: Int32Array,
    vocabulary: VocabularyEntry[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('TRUNCATE articles, vocabulary');
      let titles = 0;
      let bodies = 0;
      for (let i = 0; i < articles.length; i++) {
        const a = articles[i];
        const rep = dupOf[i] >= 0 ? articles[dupOf[i]].article.id : null;
        await insertArticle(client, a, rep);
        titles += a.title.codePoints.length;
        bodies += a.body.codePoints.length;
        if (onProgress && ((i + 1) % 500 === 0 || i + 1 === articles.length))
          onProgress(i + 1, articles.length);
      }
      await client.query('UPDATE collection SET docs = $1, title_total = $2, body_total = $3', [
        articles.length,
        titles,
        bodies,
      ]);
      for (let i = 0; i < vocabulary.length; i += 1000) {
        const slice = vocabulary.slice(i, i + 1000);
        await client.query(
          'INSERT INTO vocabulary (rank, entry) SELECT * FROM unnest($1::int[], $2::text[])',
          [slice.map((_, k) => i + k), slice.map((e) => JSON.stringify(e))],
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
    this.cache.clear();
    await this.loadVocabulary();
  }

  async close(): Promise<void> {
    await this.pool.end();
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
