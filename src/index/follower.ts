/**
 * A read-only view of an index directory that another process writes (cluster.ts): opens the
 * current snapshot plus the write-ahead log's tail, and moves forward when told the writer
 * committed a later record.
 *
 * This is the one seam between the multi-process server and the index's storage: `open` and
 * `advance` are all a reader process uses. Today a commit is followed by reading the log's new
 * records and applying them to this process's own write buffer (the writer did the same work);
 * reopening the writer's committed segment list instead is the planned next step.
 *
 * The writer may save a snapshot and drop the log records it holds at any moment; a reader
 * that finds a gap in the log (or a generation deleted under it) reopens the newer snapshot.
 */
import type { IndexReader } from './reader.js';
import { loadIndexAsync } from './store.js';
import { readLog } from './wal.js';
import { applyRecords } from './writer.js';

const ATTEMPTS = 20;
const RETRY_MS = 100;

export class IndexFollower {
  constructor(
    private readonly dir: string,
    private readonly fingerprint: () => string,
  ) {}

  /** The snapshot plus every logged record, at least up to `seq` (the writer's last commit). */
  async open(seq: number): Promise<IndexReader> {
    let last: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const snapshot = await loadIndexAsync(this.dir, this.fingerprint());
        const index = await this.tail(snapshot);
        if (index && index.appliedSeq >= seq) return index;
        last = new Error(`reached record ${index?.appliedSeq ?? '?'} of ${seq}`);
      } catch (e) {
        last = e; // a generation replaced while read, or a snapshot being saved
      }
      await new Promise((ok) => setTimeout(ok, RETRY_MS));
    }
    throw last;
  }

  /** `index` moved forward to at least `seq`: the log's new records, or a newer snapshot. */
  async advance(index: IndexReader, seq: number): Promise<IndexReader> {
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
