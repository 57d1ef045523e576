/**
 * A pool of analysis worker threads (analyze-worker.ts), in pairs: an ingest worker reads,
 * parses and normalizes a batch of posts and hands the texts to its segmenter (jieba); the pool
 * joins both halves. Results come back in the order asked. Used for a build (then closed) and by
 * the folder watch and the write API (kept for the life of the server, so a burst of files or of
 * PUTs is analyzed off the thread that answers queries).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { AnalyzedArticle } from './builder.js';
import {
  type ArticleItem,
  finishedOutcome,
  type IngestOutcome,
  type PostOutcome,
  type PostRef,
  type PostWordStarts,
} from './analyze-post.js';
import { onUserWords, userDictionaryWords } from '../analysis/segment.js';
import type { FileState, WatchedFile } from '../ingest/watch.js';
import type { IngestRequest, IngestResult, SegmentResult, WorkerSetup } from './analyze-worker.js';

const BATCH = 64;
/**
 * Batches a pair holds at once: the ingest worker reads ahead while its segmenter works, and
 * while it loads its dictionary (a build took 11.3-11.6 s with 6 instead of 11.9-13.5 s with 2).
 */
const IN_FLIGHT = 6;

/** Pairs for this many cores: each pair keeps two busy. */
export function pairsFor(cores: number): number {
  return Math.max(1, Math.floor(cores / 2));
}

export interface AnalyzeCallbacks {
  onProgress?: (done: number, total: number) => void;
  onOutcomes?: (outcomes: PostOutcome[]) => void;
}

interface Job {
  work: { refs: PostRef[] } | { articles: ArticleItem[] };
  done: (outcomes: PostOutcome[]) => void;
  fail: (err: unknown) => void;
}

interface Running {
  job: Job;
  pair: Pair;
  ingested?: IngestOutcome[];
  starts?: PostWordStarts[];
}

interface Pair {
  ingest: Worker;
  segment: Worker;
  inFlight: number;
}

export class AnalysisPool {
  private readonly pairs: Pair[];
  private readonly queue: Job[] = [];
  private readonly running = new Map<number, Running>();
  private nextBatch = 0;
  private broken: Error | null = null;
  private readyCount = 0;
  private markReady: () => void = () => {};
  /** Resolves once every segmenter has loaded jieba's dictionary. */
  readonly ready: Promise<void> = new Promise((ok) => (this.markReady = ok));

  private readonly unsubscribe: () => void;

  /** `pairs` pairs of workers; the segmenters load jieba's dictionary with this thread's user words. */
  constructor(pairs: number) {
    const userWords = userDictionaryWords();
    // Words added later (PUT /admin/dictionary) reach every segmenter before its next batch.
    this.unsubscribe = onUserWords((words) => this.addWords(words));
    this.pairs = Array.from({ length: Math.max(1, pairs) }, () => {
      const { port1, port2 } = new MessageChannel();
      const start = (setup: WorkerSetup) => {
        const w = new Worker(new URL('./analyze-worker.js', import.meta.url), {
          workerData: setup,
          transferList: [setup.port],
        });
        w.on('error', (err) => this.breakDown(err));
        w.on(
          'exit',
          (code) =>
            code !== 0 && this.breakDown(new Error(`analysis worker exited with code ${code}`)),
        );
        return w;
      };
      const pair: Pair = {
        ingest: start({ role: 'ingest', port: port1 }),
        segment: start({ role: 'segment', port: port2, userWords }),
        inFlight: 0,
      };
      pair.ingest.on('message', (res: IngestResult) =>
        this.arrived(res.batch, (r) => (r.ingested = res.outcomes)),
      );
      pair.segment.on('message', (res: SegmentResult | 'ready') => {
        if (res === 'ready') {
          if (++this.readyCount === this.pairs.length) this.markReady();
          return;
        }
        this.arrived(res.batch, (r) => (r.starts = res.starts));
      });
      return pair;
    });
  }

  /**
   * Ingest and analyze posts; outcomes in the order of `refs`. `onOutcomes` gets them batch by
   * batch as they are ready, also in that order, so a build can take them in while the rest are
   * analyzed.
   */
  async analyze(
    refs: PostRef[],
    { onProgress, onOutcomes }: AnalyzeCallbacks = {},
  ): Promise<PostOutcome[]> {
    const batches: Promise<PostOutcome[]>[] = [];
    const ready: (PostOutcome[] | undefined)[] = [];
    let delivered = 0;
    let done = 0;
    for (let i = 0, b = 0; i < refs.length; i += BATCH, b++) {
      const slice = refs.slice(i, i + BATCH);
      batches.push(
        new Promise<PostOutcome[]>((ok, fail) =>
          this.queue.push({ work: { refs: slice }, done: ok, fail }),
        ).then((outcomes) => {
          done += outcomes.length;
          onProgress?.(done, refs.length);
          ready[b] = outcomes;
          for (let next = ready[delivered]; next; next = ready[delivered]) {
            ready[delivered++] = undefined;
            onOutcomes?.(next);
          }
          return outcomes;
        }),
      );
    }
    this.pump();
    return (await Promise.all(batches)).flat();
  }

  /**
   * Analyze articles written through the API (the write path, index/writer.ts), so jieba runs
   * beside the query thread, not on it. Analyzed articles in the order given.
   */
  async analyzeArticles(items: ArticleItem[]): Promise<AnalyzedArticle[]> {
    const batches: Promise<PostOutcome[]>[] = [];
    for (let i = 0; i < items.length; i += BATCH) {
      const articles = items.slice(i, i + BATCH);
      batches.push(
        new Promise<PostOutcome[]>((ok, fail) =>
          this.queue.push({ work: { articles }, done: ok, fail }),
        ),
      );
    }
    this.pump();
    return (await Promise.all(batches)).flat().map((o) => {
      if (o.ok !== true) throw new Error(`analysis failed: ${o.ok === false ? o.reason : o.ok}`);
      return o.value;
    });
  }

  private addWords(words: string[]): void {
    for (const p of this.pairs) p.ingest.postMessage({ words } satisfies IngestRequest);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.pairs.flatMap((p) => [p.ingest.terminate(), p.segment.terminate()]));
  }

  /** One half of a batch arrived; when both have, join them. */
  private arrived(batch: number, set: (r: Running) => void): void {
    const r = this.running.get(batch);
    if (!r) return; // failed already
    set(r);
    if (!r.ingested || !r.starts) return;
    this.running.delete(batch);
    r.pair.inFlight--;
    let next = 0;
    const starts = r.starts;
    r.job.done(
      r.ingested.map(
        (o): PostOutcome => (o.ok === true ? finishedOutcome(o.value, starts[next++]) : o),
      ),
    );
    this.pump();
  }

  private pump(): void {
    if (this.broken) {
      for (const job of this.queue.splice(0)) job.fail(this.broken);
      return;
    }
    while (this.queue.length) {
      const pair = this.pairs.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (pair.inFlight >= IN_FLIGHT) return;
      const job = this.queue.shift()!;
      const batch = this.nextBatch++;
      this.running.set(batch, { job, pair });
      pair.inFlight++;
      pair.ingest.postMessage({ batch, ...job.work } satisfies IngestRequest);
    }
  }

  private breakDown(err: Error): void {
    this.broken ??= err;
    for (const r of this.running.values()) r.job.fail(err);
    this.running.clear();
    this.pump();
  }
}

/** A folder-watch reader (ingest/watch.ts) that reads and analyzes files in the pool. */
export function poolReader(pool: AnalysisPool): (files: WatchedFile[]) => Promise<FileState[]> {
  return async (files) =>
    (await pool.analyze(files)).map((o): FileState => {
      if (o.ok === true)
        return {
          state: 'changed',
          change: { op: 'put', article: o.value.article, extra: o.extra, prepared: o.value },
          ...(o.warnings ? { warnings: o.warnings } : {}),
        };
      if (o.ok === 'unchanged') return { state: 'unchanged' };
      return o.missing ? { state: 'missing' } : { state: 'bad', reason: o.reason };
    });
}
