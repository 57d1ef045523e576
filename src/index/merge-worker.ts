/**
 * Segment merges in a worker thread, so a merge never holds up queries: a committed part is read
 * by the worker from its segment file (verified again on the way), a part not yet committed is
 * copied to it (its arrays stay in use by the served reader); they are merged there
 * (segment-merge.ts), and the merged segment's arrays are transferred back without a copy.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { RequestWorker } from './request-worker.js';
import { NewsIndex, type IndexArrays, type IndexStats, type StoredDoc } from './news-index.js';
import { mergeSegments } from './segment-merge.js';
import { PageCache, SegmentFile, readResident } from './segment-file.js';

interface WireIndex {
  docs: StoredDoc[];
  arrays: IndexArrays;
  stats: IndexStats;
}

interface MergeRequest {
  /** In memory, or the segment file to read. */
  parts: { index: WireIndex | string; live: Uint8Array | null }[];
  fingerprint: string;
}

/** A committed segment opened in the worker from its file, read whole by the merge, uncached. */
function fromFile(file: string, fingerprint: string): NewsIndex {
  const r = readResident(file);
  const arrays = { ...r.arrays, positions: new Int32Array(0), bodyBytes: new Uint8Array(0) };
  const index = new NewsIndex(
    JSON.parse(r.docs) as StoredDoc[],
    arrays as IndexArrays,
    r.header.stats,
    fingerprint,
  );
  index.pageOut(new SegmentFile(file, r.header, r.start, new PageCache(0)));
  return index;
}

const wire = (index: NewsIndex): WireIndex => ({
  docs: index.docs,
  arrays: index.arrays,
  stats: index.stats,
});

/** The distinct buffers of an index's arrays (to transfer them). */
function buffers(arrays: IndexArrays): ArrayBuffer[] {
  return [...new Set(Object.values(arrays).map((a) => (a as Uint8Array).buffer as ArrayBuffer))];
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', ({ parts, fingerprint }: MergeRequest) => {
    const merged = mergeSegments(
      parts.map((p) => ({
        index:
          typeof p.index === 'string'
            ? fromFile(p.index, fingerprint)
            : new NewsIndex(p.index.docs, p.index.arrays, p.index.stats, fingerprint),
        live: p.live,
      })),
      fingerprint,
    );
    port.postMessage(wire(merged), buffers(merged.arrays));
  });
}

/** One worker thread that merges segments, one merge at a time. */
export class MergeWorker {
  private readonly worker = new RequestWorker<MergeRequest, WireIndex>(
    new URL('./merge-worker.js', import.meta.url),
  );

  /** mergeSegments(parts) in the worker. */
  async merge(
    parts: { index: NewsIndex; live: Uint8Array | null }[],
    fingerprint: string,
  ): Promise<NewsIndex> {
    const out = await this.worker.request({
      parts: parts.map((p) => ({ index: p.index.pagedFile ?? wire(p.index), live: p.live })),
      fingerprint,
    });
    return new NewsIndex(out.docs, out.arrays, out.stats, fingerprint);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
