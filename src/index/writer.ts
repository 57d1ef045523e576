/**
 * Live writes: every change (an HTTP write, a file the folder watch saw) goes through here, one
 * batch at a time: logged and flushed to disk (wal.ts), then applied to the segmented index
 * (segments.ts): a delete or update marks the old copy dead, a put goes into the in-memory write
 * buffer. A write is answered after both, so an answered write is durable and already
 * searchable, and costs time in proportion to the buffer, not the index. Writes arriving while a
 * batch is applied form the next batch.
 *
 * The buffer is flushed (sealed as a segment, the reader's derived state updated, then merges if
 * the tiered policy asks) once it holds `flushDocs` documents or `flushChars` code points, or
 * `flushMs` after its first write. A commit (store.ts: the segments and live-docs the directory
 * lacks written and fsynced on the thread pool, the commit switched, the log records it holds
 * deleted) follows a flush once the log passes `compactBytes`, after a replay, and on close; with
 * `commitOnFlush` (a cluster's writer) after every flush and merge too.
 *
 * The served reader is never changed by a write: queries running on the old one finish on it.
 * The user-dictionary update (which rewrites word starts in place) waits for any commit being
 * written.
 */
import type { Logger } from '../log.js';
import type { NewsIndex } from './news-index.js';
import { WriteAheadLog, type WalOp, type WalRecord } from './wal.js';
import { analyzeArticle } from './analyze-post.js';
import { saveIndexAsync } from './store.js';
import type { AnalyzedArticle } from './builder.js';
import { type IndexReader, readerOf } from './reader.js';
import { applyChanges, flush, mergeInto, mergePolicy } from './segments.js';
import { MergeWorker } from './merge-worker.js';
import { LexiconWorker } from './lexicon.js';
import { AnalysisPool } from './analysis-pool.js';

export type WriteOutcome = 'created' | 'updated' | 'deleted' | 'not_found';

export interface WriteResult {
  id: string;
  result: WriteOutcome;
  /** The log record holding the change (absent for not_found). */
  seq?: number;
}

export interface WriterOptions {
  /** Commit once the log holds this many bytes. */
  compactBytes?: number;
  /** Flush the write buffer at this many documents (default 256). */
  flushDocs?: number;
  /** … or this many code points of text (default 2 M). */
  flushChars?: number;
  /** … or this long after its first write (ms, default 1000). */
  flushMs?: number;
  /** Segments of one size tier merged at once (segments.ts, default 10). */
  mergeFactor?: number;
  logger?: Logger;
  /**
   * Called after each batch is searchable: its last seq, and for each write in it the time from
   * submit to searchable (ms). Metrics and the cluster's commit signal hang here.
   */
  onCommit?: (commit: { seq: number; latenciesMs: number[] }) => void;
  /** Called once a batch's records are flushed to the log, before they are merged. */
  onLogged?: (seq: number) => void;
  /**
   * Commit after every flush and merge, not only when the log is long (a cluster's writer:
   * followers open the committed segments and replay only the log after them, follower.ts).
   */
  commitOnFlush?: boolean;
  /** Called once a commit is current (CURRENT names it), with the last record it holds. */
  onSaved?: (appliedSeq: number) => void;
  /**
   * Analyze puts in worker threads (analysis-pool.ts: one ingest + jieba pair, started by the
   * first backlog of writes and kept) from the moment they are submitted, so that a burst is analyzed while
   * earlier batches are logged and applied, off the query thread. A lone put to an idle writer
   * is analyzed on its thread (no hop), as is everything until the pool's dictionary is loaded.
   */
  analysisThreads?: boolean;
}

/** What the writer has done to the segments (GET /health, /metrics). Times in ms since the epoch. */
export interface WriterActivity {
  flushes: number;
  lastFlushAt: number | null;
  commits: number;
  lastCommitAt: number | null;
  mergesRunning: number;
  mergesCompleted: number;
  lastMergeAt: number | null;
  lastMergeMs: number | null;
}

interface Pending {
  ops: WalOp[];
  /** Its puts being analyzed in the analysis threads (in order), if they are. */
  analysis: Promise<AnalyzedArticle[]> | null;
  submitted: number;
  done: (results: WriteResult[]) => void;
  fail: (err: unknown) => void;
}

const DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024;
/** Writes waiting to be applied that start the analysis threads (options.analysisThreads). */
const ANALYSIS_BACKLOG = 8;
/** Articles analysed between yields to the event loop while a batch is applied. */
const ANALYSIS_CHUNK = 8;

const opId = (op: WalOp) => (op.op === 'put' ? op.article.id : op.id);

export class IndexWriter {
  private pending: Pending[] = [];
  private scheduled = false;
  /** A batch is being applied (then a lone put is analyzed ahead in the analysis threads). */
  private applying = false;
  private chain: Promise<unknown> = Promise.resolve();
  private saving: Promise<unknown> = Promise.resolve();
  private memorySeq = 0;
  private closed = false;
  private closing = false;
  private flushTimer: NodeJS.Timeout | null = null;
  /** A commit is being written; another was asked for meanwhile (commitOnFlush). */
  private saveRunning = false;
  private saveAgain = false;
  /** The merge running in the worker thread, if any (one at a time). */
  private merging: Promise<unknown> | null = null;
  private readonly merger = new MergeWorker();
  /** Builds each new vocabulary's lexicon off the query thread (lexicon.ts). */
  private readonly lexicons = new LexiconWorker();
  private readonly done: WriterActivity = {
    flushes: 0,
    lastFlushAt: null,
    commits: 0,
    lastCommitAt: null,
    mergesRunning: 0,
    mergesCompleted: 0,
    lastMergeAt: null,
    lastMergeMs: null,
  };
  /** Analysis threads for batches of puts (options.analysisThreads), once started. */
  private pool: AnalysisPool | null = null;
  private poolReady = false;
  /** Articles analyzed in the analysis threads so far. */
  analyzedInThreads = 0;
  /** The last lexicon build started, swapped in once done. */
  private lexiconBuilt: Promise<void> = Promise.resolve();
  private readonly compactBytes: number;
  private readonly flushDocs: number;
  private readonly flushChars: number;
  private readonly flushMs: number;

  private state: { index: IndexReader | NewsIndex | null };

  private constructor(
    index: IndexReader,
    private readonly dir: string | null,
    private readonly log: WriteAheadLog | null,
    private readonly options: WriterOptions,
  ) {
    this.compactBytes = options.compactBytes ?? DEFAULT_COMPACT_BYTES;
    this.flushDocs = options.flushDocs ?? 256;
    this.flushChars = options.flushChars ?? 2_000_000;
    this.flushMs = options.flushMs ?? 1000;
    this.state = { index };
    this.memorySeq = index.appliedSeq;
    this.refreshLexicon();
  }

  /** The current reader (the last write included). */
  get index(): IndexReader {
    return readerOf(this.state.index!);
  }

  /** Flushes, commits and merges so far (a copy). */
  get activity(): WriterActivity {
    return { ...this.done, mergesRunning: this.merging === null ? 0 : 1 };
  }

  /** Writes submitted and not yet applied. */
  get queueDepth(): number {
    return this.pending.length;
  }

  /** Bytes in the write-ahead log (what a snapshot has not absorbed yet). */
  get logBytes(): number {
    return this.log?.size ?? 0;
  }

  /** Serve through `state`: its index is set now and replaced after every write. */
  attach(state: { index: IndexReader | NewsIndex | null }): void {
    state.index = this.state.index;
    this.state = state;
  }

  /**
   * A writer over `index`. With a directory, opens its log and first replays the records the
   * loaded commit lacks (returns how many); without one, changes live in memory only.
   * `attach` then makes it replace a served index.
   */
  static async open(
    index: NewsIndex | IndexReader,
    dir: string | null,
    options: WriterOptions = {},
  ): Promise<{ writer: IndexWriter; replayed: number }> {
    const reader = readerOf(index);
    if (!dir) return { writer: new IndexWriter(reader, null, null, options), replayed: 0 };
    const { log, records } = WriteAheadLog.open(dir, reader.appliedSeq);
    const writer = new IndexWriter(reader, dir, log, options);
    if (records.length) {
      writer.state.index = await applyRecords(reader, records);
      // Make start-up fast next time and the log short.
      await writer.compact();
    }
    return { writer, replayed: records.length };
  }

  /** Apply changes in order; resolves once they are on disk and searchable. */
  submit(ops: WalOp[]): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new Error('the index writer is closed'));
    const analysis = this.analyzeAhead(ops);
    return new Promise((done, fail) => {
      this.pending.push({ ops, analysis, submitted: performance.now(), done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        // applyPending hands its failures to the writes waiting on it.
        void this.serial(() => this.applyPending());
      }
    });
  }

  /** Run `fn` with no write or commit under way (for in-place changes such as re-segmenting). */
  exclusive<T>(fn: (index: IndexReader) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.saving;
      return fn(this.index);
    });
  }

  /** Wait for the segment merge in the worker, if one is running (and any it leads to). */
  async mergesDone(): Promise<void> {
    while (this.merging !== null) await this.merging;
    await this.chain;
  }

  /** Flush the write buffer, then commit (a segment file for it, the log records it holds dropped). */
  compact(): Promise<void> {
    return this.serial(() => this.flushAndCommit());
  }

  /** Flush the write buffer now (searchable either way; this builds its derived state). */
  flush(): Promise<void> {
    return this.serial(async () => {
      this.flushNow();
      this.commitSoon();
    });
  }

  /** Wait for the queued writes and the commit being written, if any. */
  async saved(): Promise<void> {
    for (;;) {
      const { chain, saving } = this;
      await chain;
      await saving;
      if (chain === this.chain && saving === this.saving) return;
    }
  }

  /**
   * With commitOnFlush: commit now, or once the commit being written is current (writes are not
   * held up behind a commit).
   */
  private commitSoon(): void {
    if (!this.options.commitOnFlush || !this.dir || this.closing) return;
    if (this.saveRunning) this.saveAgain = true;
    else void this.compact().catch(() => undefined);
  }

  /** Resolves once the lexicon of the last flush's vocabulary serves suggestions. */
  async lexiconReady(): Promise<void> {
    await this.chain;
    await this.lexiconBuilt;
  }

  /** Finish queued writes and any commit; commit what is left; close the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    while (this.merging !== null) await this.merging;
    await this.chain;
    const reader = this.index;
    if (reader.buffered || reader.removedTitles.length || (this.log && this.log.size > 0))
      await this.compact();
    await this.chain;
    await this.saving;
    this.closed = true;
    this.clearFlushTimer();
    await this.lexiconBuilt;
    await this.lexicons.close();
    await this.merger.close();
    await this.pool?.close();
    this.pool = null;
    await this.log?.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private clearFlushTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /**
   * Seal the buffer; then the new vocabulary's lexicon and a merge, if the policy asks for one,
   * start in their workers.
   */
  private flushNow(): void {
    this.clearFlushTimer();
    const before = this.index;
    this.state.index = flush(before, { lexicon: 'keep' });
    if (this.index !== before) {
      this.done.flushes++;
      this.done.lastFlushAt = Date.now();
    }
    this.refreshLexicon();
    this.startMerge();
  }

  /**
   * Build the lexicon of the current vocabulary in the worker unless the reader has it; queries
   * meanwhile use the previous one. Builds finish in the order asked, so each one swapped in is
   * newer than the one it replaces.
   */
  private refreshLexicon(): void {
    const reader = this.index;
    if (reader.lexiconCurrent) return;
    const started = performance.now();
    this.lexiconBuilt = this.lexicons
      .build(reader.vocabulary)
      .then((lexicon) =>
        this.serial(async () => {
          if (!lexicon) return; // superseded by a newer vocabulary's
          this.state.index = this.index.with({ lexicon });
          this.options.logger?.debug(
            { entries: lexicon.vocabulary.length, ms: Math.round(performance.now() - started) },
            'suggestion lexicon built',
          );
        }),
      )
      .catch((err: unknown) =>
        this.options.logger?.error({ err }, 'suggestion lexicon build failed'),
      );
  }

  /**
   * Start the merge the tiered policy asks for in the worker thread. Queries and writes go on
   * meanwhile; when it is done, the merged segment replaces its parts in the reader of that
   * moment (documents deleted meanwhile marked dead in it), as one more step of the writer.
   */
  private startMerge(): void {
    if (this.merging || this.closing) return;
    const reader = this.index;
    const picked = mergePolicy(reader, { mergeFactor: this.options.mergeFactor });
    if (!picked) return;
    const parts = picked.map((s) => reader.segments[s]);
    const started = performance.now();
    this.merging = this.merger
      .merge(
        parts.map((p) => ({ index: p.index, live: p.live })),
        reader.fingerprint,
      )
      .then((merged) =>
        this.serial(async () => {
          const current = this.index;
          const slots = parts.map((p) => current.segments.findIndex((s) => s.core === p.core));
          // Re-segmented meanwhile (user dictionary): the merged copy is stale; merge again later.
          if (parts.some((p) => p.core.dirty) || slots.some((s) => s < 0)) return;
          this.state.index = mergeInto(
            current,
            slots,
            merged,
            parts.map((p) => p.live),
          );
          this.done.mergesCompleted++;
          this.done.lastMergeAt = Date.now();
          this.done.lastMergeMs = Math.round(performance.now() - started);
          this.options.logger?.info(
            {
              segments: parts.length,
              documents: merged.size,
              ms: Math.round(performance.now() - started),
            },
            'segments merged',
          );
          this.commitSoon();
        }),
      )
      .catch((err: unknown) => this.options.logger?.error({ err }, 'segment merge failed'))
      .finally(() => {
        this.merging = null;
        this.startMerge();
      });
  }

  private async flushAndCommit(): Promise<void> {
    this.flushNow();
    const { dir, log } = this;
    if (!dir || !log) return;
    await this.saving;
    const commit = this.index;
    await log.rotate();
    const started = performance.now();
    this.saveRunning = true;
    this.saving = saveIndexAsync(commit, dir)
      .then(() => {
        log.dropThrough(commit.appliedSeq);
        this.options.onSaved?.(commit.appliedSeq);
        this.options.logger?.info(
          {
            documents: commit.size,
            segments: commit.segments.length,
            appliedSeq: commit.appliedSeq,
            ms: Math.round(performance.now() - started),
          },
          'index committed',
        );
        this.done.commits++;
        this.done.lastCommitAt = Date.now();
      })
      .catch((err: unknown) =>
        this.options.logger?.error({ err }, 'index commit failed; the log still holds every write'),
      )
      .finally(() => {
        this.saveRunning = false;
        if (this.saveAgain) {
          this.saveAgain = false;
          this.commitSoon();
        }
      });
  }

  private async applyPending(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.applying = true;
    try {
      const reader = this.index;
      // Outcomes in order, each seeing the changes before it (in this batch too).
      const exists = new Map<string, boolean>();
      const isThere = (id: string) => exists.get(id) ?? reader.docNumber(id) !== undefined;
      const logged: WalOp[] = [];
      const outcomes = batch.map(({ ops }) =>
        ops.map((op): { id: string; result: WriteOutcome; logged: boolean } => {
          const id = opId(op);
          const was = isThere(id);
          if (op.op === 'delete' && !was) return { id, result: 'not_found', logged: false };
          exists.set(id, op.op === 'put');
          logged.push(op);
          return {
            id,
            result: op.op === 'delete' ? 'deleted' : was ? 'updated' : 'created',
            logged: true,
          };
        }),
      );
      let records: WalRecord[] = [];
      if (logged.length) {
        records = this.log
          ? await this.log.append(logged)
          : logged.map((op) => ({ ...op, seq: ++this.memorySeq }) as WalRecord);
        if (this.log) this.options.onLogged?.(records[records.length - 1].seq);
        // Puts analyzed in the analysis threads since they were submitted; the rest here.
        const analyzed = await this.analyzedAhead(batch);
        records.forEach((r, i) => {
          const a = analyzed.get(logged[i]);
          if (a && r.op === 'put') r.prepared = a;
        });
        this.state.index = await applyRecords(reader, records);
      }
      let r = 0;
      batch.forEach(({ done }, i) => {
        done(
          outcomes[i].map((o) =>
            o.logged
              ? { id: o.id, result: o.result, seq: records[r++].seq }
              : { id: o.id, result: o.result },
          ),
        );
      });
      if (records.length && this.options.onCommit) {
        const now = performance.now();
        this.options.onCommit({
          seq: records[records.length - 1].seq,
          latenciesMs: batch.map((p) => now - p.submitted),
        });
      }
    } catch (err) {
      for (const p of batch) p.fail(err);
      return;
    } finally {
      this.applying = false;
    }
    this.afterWrite();
  }

  /**
   * Start the analysis threads (with options.analysisThreads) if they are not running; resolves
   * once they take batches of puts (jieba's dictionary loaded there).
   */
  async analysisThreadsReady(): Promise<void> {
    if (!this.options.analysisThreads || this.closing) return;
    if (!this.pool) {
      const pool = (this.pool = new AnalysisPool(1));
      void pool.ready.then(() => (this.poolReady = this.pool === pool));
    }
    await this.pool.ready;
  }

  /**
   * Send a submit's puts to the analysis threads, if they are ready and it is more than one put
   * or the writer is busy: they are then analyzed while earlier batches are applied here, and a
   * lone put to an idle writer (nothing to overlap with) makes no thread hop. Null: analyzed on
   * this thread when applied (also until the threads have loaded jieba's dictionary).
   */
  private analyzeAhead(ops: WalOp[]): Promise<AnalyzedArticle[]> | null {
    if (!this.options.analysisThreads || this.closing) return null;
    const puts = ops.filter(
      (op): op is WalOp & { op: 'put' } => op.op === 'put' && op.prepared === undefined,
    );
    if (puts.length === 0) return null;
    const pool = this.pool;
    if (!pool) {
      // Started by the first backlog of writes (a burst), not by single writes: loading jieba's
      // dictionary there costs a core for a second or so and ~280 MB.
      if (this.pending.length + 1 >= ANALYSIS_BACKLOG) void this.analysisThreadsReady();
      return null;
    }
    if (!this.poolReady) return null;
    if (puts.length === 1 && !this.scheduled && !this.applying) return null;
    const analysis = pool.analyzeArticles(puts.map((op) => [op.article, op.extra]));
    analysis.catch(() => undefined); // awaited when the batch is applied
    return analysis;
  }

  /**
   * The batch's puts analyzed in the analysis threads, by operation. A failure there is logged,
   * the threads are dropped (started again at a later put), and those puts analyzed here.
   */
  private async analyzedAhead(batch: Pending[]): Promise<Map<WalOp, AnalyzedArticle>> {
    const byOp = new Map<WalOp, AnalyzedArticle>();
    for (const { ops, analysis } of batch) {
      if (!analysis) continue;
      try {
        const analyzed = await analysis;
        let k = 0;
        for (const op of ops)
          if (op.op === 'put' && op.prepared === undefined) byOp.set(op, analyzed[k++]);
        this.analyzedInThreads += analyzed.length;
      } catch (err) {
        this.options.logger?.error(
          { err },
          'analysis threads failed; analyzing on the main thread',
        );
        const pool = this.pool;
        this.pool = null;
        this.poolReady = false;
        void pool?.close().catch(() => undefined);
      }
    }
    return byOp;
  }

  /**
   * Flush when the buffer is full, else within flushMs of its first write; commit when the log
   * is long (a commit is what lets the log be trimmed, and bounds the replay at start-up).
   */
  private afterWrite(): void {
    const reader = this.index;
    const buffer = reader.buffer;
    const chars = buffer ? buffer.index.arrays.docStarts[buffer.size] : 0;
    if (this.log && this.log.size >= this.compactBytes) {
      void this.compact().catch(() => undefined);
      return;
    }
    if (buffer !== null && (buffer.size >= this.flushDocs || chars >= this.flushChars)) {
      void this.flush().catch(() => undefined);
      return;
    }
    if (!this.flushTimer && (buffer || reader.removedTitles.length)) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (!this.closed) void this.flush().catch(() => undefined);
      }, this.flushMs);
      this.flushTimer.unref();
    }
  }
}

/** The reader after the records (in seq order): one batch, the last change per id winning. */
export async function applyRecords(
  index: NewsIndex | IndexReader,
  records: WalRecord[],
): Promise<IndexReader> {
  let analyzed = 0;
  return applyChanges(readerOf(index), records, async (r) => {
    if (r.prepared) return r.prepared as AnalyzedArticle; // analyzed by a worker (analysis-pool.ts)
    const a = analyzeArticle(r.article, r.extra);
    if (++analyzed % ANALYSIS_CHUNK === 0) await new Promise((ok) => setImmediate(ok));
    return a;
  });
}
