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
 */
import { SearchError } from '../errors.js';
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

  constructor(
    private readonly dir: string,
    private readonly fingerprint: () => string,
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
          void index.lexicon; // suggestion tables built now, not on the first keystroke
          return index;
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
    if (index.appliedSeq >= seq) return index;
    const next = await this.tail(index);
    return next && next.appliedSeq >= seq ? next : this.open(seq);
  }

  /** The log's records after `index` applied to it; null when the log no longer starts there. */
  private async tail(index: IndexReader): Promise<IndexReader | null> {
    const records = readLog(this.dir, index.appliedSeq);
    if (records.length === 0) return index;
    if (records[0].seq !== index.appliedSeq + 1) return null;
    return applyRecords(index, records);
  }
}
