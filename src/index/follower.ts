/**
 * A read-only view of an index directory that another process writes (cluster.ts), as a Lucene
 * near-real-time reader follows an IndexWriter's commits:
 *
 * - the writer's current commit (CURRENT): its immutable segment files, opened as they are;
 *   moving to a later commit reuses every segment already open by name (a segment file never
 *   changes under one name), so only new segments (a flush, a merge) and live-docs are read;
 * - plus the write-ahead log's records after the commit's last one, applied to a small write
 *   buffer of this process's own (the writer commits after each flush in a cluster, so the tail
 *   holds at most about one flush's worth of writes).
 *
 * The reader this gives equals the writer's: the same live documents in the same segments, the
 * same collection statistics, hence the same hits and scores.
 *
 * The writer may switch to a new commit and drop the files and log records it no longer needs
 * at any moment; a follower that finds a gap in the log, or a file gone while it loads, loads
 * the newer commit.
 *
 * A new commit's suggestion lexicon is built in a worker thread, as the writer builds its own
 * (lexicon.ts), not on the query thread: building it there took about a second per commit,
 * a second during which the process answered nothing. Meanwhile the new reader serves the
 * previous lexicon; `onLexicon` is told when the new one is ready (cli.ts swaps it in).
 */
import { SearchError } from '../errors.js';
import { LexiconWorker, type Lexicon } from './lexicon.js';
import type { IndexReader, SegmentCore } from './reader.js';
import { currentGeneration, loadIndexAsync } from './store.js';
import { readLog } from './wal.js';
import { applyRecords } from './writer.js';

const ATTEMPTS = 20;
const RETRY_MS = 100;

export class IndexFollower {
  /** The segments of the commit followed, by name. */
  private segments = new Map<string, SegmentCore>();
  /** The generation of that commit (-1: none yet). */
  private generation = -1;
  /** Commits loaded so far (logs, tests). */
  commitsLoaded = 0;
  /** The newest lexicon built, served by each newer reader until its own is built. */
  private lexicon: Lexicon | undefined;
  private readonly lexicons = new LexiconWorker();
  private building: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly fingerprint: () => string,
    /** A lexicon built off the query thread for the vocabulary of a reader given earlier. */
    private readonly onLexicon: (lexicon: Lexicon) => void = () => undefined,
  ) {}

  /**
   * The current commit plus every logged record after it, at least up to `seq` (the writer's
   * last logged record). `fresh`: read every segment again (the analyzer changed).
   */
  async open(seq: number, fresh = false): Promise<IndexReader> {
    if (fresh) this.segments.clear();
    let last: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        // Read before loading: if the commit changes meanwhile, the next advance loads it again.
        const generation = currentGeneration(this.dir);
        const commit = await loadIndexAsync(this.dir, this.fingerprint(), { open: this.segments });
        const index = await this.tail(commit);
        if (index && index.appliedSeq >= seq) {
          this.segments = new Map(commit.segments.map((s) => [s.core.name, s.core]));
          this.generation = generation;
          this.commitsLoaded++;
          return this.withLexicon(index);
        }
        last = new Error(`reached record ${index?.appliedSeq ?? '?'} of ${seq}`);
      } catch (e) {
        // Another analyzer (the writer's user dictionary changed): retrying cannot help; the
        // writer's reload signal comes next.
        if (e instanceof SearchError && e.code === 'index_incompatible') throw e;
        last = e; // a commit replaced while read
      }
      await new Promise((ok) => setTimeout(ok, RETRY_MS));
    }
    throw last;
  }

  /**
   * `index` moved forward: onto the writer's new commit if it made one, and to at least `seq`
   * by the log's new records.
   */
  async advance(index: IndexReader, seq: number): Promise<IndexReader> {
    if (currentGeneration(this.dir) !== this.generation) return this.open(seq);
    if (index.appliedSeq >= seq) return this.newestLexicon(index);
    const next = await this.tail(index);
    return next && next.appliedSeq >= seq ? this.newestLexicon(next) : this.open(seq);
  }

  /** `index` with the lexicon built for its vocabulary, if it was built meanwhile. */
  private newestLexicon(index: IndexReader): IndexReader {
    const lexicon = this.lexicon;
    return lexicon && !index.lexiconCurrent && lexicon.vocabulary === index.vocabulary
      ? index.with({ lexicon })
      : index;
  }

  /**
   * `index` with a lexicon to serve: its own if built; else, for the first commit, built now
   * (suggestion tables before the first keystroke); else the previous one while the worker
   * builds its own.
   */
  private withLexicon(index: IndexReader): IndexReader {
    if (!this.lexicon || index.lexiconCurrent) {
      this.lexicon = index.lexicon;
      return index;
    }
    if (this.lexicon.vocabulary === index.vocabulary) return index.with({ lexicon: this.lexicon });
    this.building = this.lexicons
      .build(index.vocabulary)
      .then((lexicon) => {
        if (!lexicon) return; // superseded by a newer commit's
        this.lexicon = lexicon;
        this.onLexicon(lexicon);
      })
      .catch(() => undefined); // the next commit builds again; meanwhile the previous one serves
    return index.with({ lexicon: this.lexicon });
  }

  /** Resolves once the lexicon of the last commit opened is built (`advance` then serves it). */
  lexiconReady(): Promise<void> {
    return this.building;
  }

  /** Stop the lexicon worker. */
  close(): Promise<void> {
    return this.lexicons.close();
  }

  /** The log's records after `index` applied to it; null when the log no longer starts there. */
  private async tail(index: IndexReader): Promise<IndexReader | null> {
    const records = readLog(this.dir, index.appliedSeq);
    if (records.length === 0) return index;
    if (records[0].seq !== index.appliedSeq + 1) return null;
    return applyRecords(index, records);
  }
}
