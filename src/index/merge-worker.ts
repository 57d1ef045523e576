/**
 * Segment merges in a worker thread, so a merge never holds up queries: the parts are copied to
 * the worker (their arrays stay in use by the served reader), merged there (segment-merge.ts),
 * and the merged segment's arrays are transferred back without a copy.
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { NewsIndex, type IndexArrays, type IndexStats, type StoredDoc } from './news-index.js';
import { mergeSegments } from './segment-merge.js';

interface WireIndex {
  docs: StoredDoc[];
  arrays: IndexArrays;
  stats: IndexStats;
}

interface MergeRequest {
  parts: { index: WireIndex; live: Uint8Array | null }[];
  fingerprint: string;
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
        index: new NewsIndex(p.index.docs, p.index.arrays, p.index.stats, fingerprint),
        live: p.live,
      })),
      fingerprint,
    );
    port.postMessage(wire(merged), buffers(merged.arrays));
  });
}

/** One worker thread that merges segments, one merge at a time. */
export class MergeWorker {
  private worker: Worker | null = null;

  /** mergeSegments(parts) in the worker. */
  merge(
    parts: { index: NewsIndex; live: Uint8Array | null }[],
    fingerprint: string,
  ): Promise<NewsIndex> {
    const worker = (this.worker ??= new Worker(new URL('./merge-worker.js', import.meta.url)));
    worker.unref();
    return new Promise<NewsIndex>((ok, fail) => {
      const onError = (err: unknown) => {
        this.worker = null;
        fail(err);
      };
      worker.once('error', onError);
      worker.once('message', (out: WireIndex) => {
        worker.off('error', onError);
        ok(new NewsIndex(out.docs, out.arrays, out.stats, fingerprint));
      });
      const request: MergeRequest = {
        parts: parts.map((p) => ({ index: wire(p.index), live: p.live })),
        fingerprint,
      };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
