/**
 * A pool of analysis worker threads (analyze-worker.ts). Posts go in batches to whichever worker
 * is free; results come back in the order asked. Used for a build (then closed) and by the
 * folder watch (kept for the life of the server, so a burst of files is analyzed off the thread
 * that answers queries).
 */
import { Worker } from 'node:worker_threads';
import type { PostOutcome, PostRef } from './analyze-post.js';
import { onUserWords, userDictionaryWords } from '../analysis/segment.js';
import type { FileState, WatchedFile } from '../ingest/watch.js';
import type { BatchResult, WorkerRequest } from './analyze-worker.js';

const BATCH = 64;

interface Job {
  refs: PostRef[];
  done: (outcomes: PostOutcome[]) => void;
  fail: (err: unknown) => void;
}

export class AnalysisPool {
  private readonly workers: Worker[];
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<number, Job>();
  private nextBatch = 0;
  private broken: Error | null = null;
  private readyCount = 0;
  private markReady: () => void = () => {};
  /** Resolves once every worker has loaded its dictionary. */
  readonly ready: Promise<void> = new Promise((ok) => (this.markReady = ok));

  private readonly unsubscribe: () => void;

  /** `size` workers, each loading jieba's dictionary with the user words of this thread. */
  constructor(size: number) {
    const userWords = userDictionaryWords();
    // Words added later (PUT /admin/dictionary) reach every worker before its next batch.
    this.unsubscribe = onUserWords((words) => this.addWords(words));
    this.workers = Array.from({ length: Math.max(1, size) }, () => {
      const w = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: { userWords } });
      w.on('message', (res: BatchResult | 'ready') => {
        if (res === 'ready') {
          if (++this.readyCount === this.workers.length) this.markReady();
          return;
        }
        const job = this.running.get(res.batch);
        this.running.delete(res.batch);
        this.idle.push(w);
        job?.done(res.outcomes);
        this.pump();
      });
      w.on('error', (err) => this.breakDown(err));
      w.on('exit', (code) => code !== 0 && this.breakDown(new Error(`analysis worker exited with code ${code}`)));
      return w;
    });
    this.idle.push(...this.workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Ingest and analyze posts; outcomes in the order of `refs`. */
  async analyze(refs: PostRef[], onProgress?: (done: number, total: number) => void): Promise<PostOutcome[]> {
    const batches: Promise<PostOutcome[]>[] = [];
    let done = 0;
    for (let i = 0; i < refs.length; i += BATCH) {
      const slice = refs.slice(i, i + BATCH);
      batches.push(
        new Promise<PostOutcome[]>((ok, fail) => this.queue.push({ refs: slice, done: ok, fail })).then((outcomes) => {
          done += outcomes.length;
          onProgress?.(done, refs.length);
          return outcomes;
        }),
      );
    }
    this.pump();
    return (await Promise.all(batches)).flat();
  }

  private addWords(words: string[]): void {
    for (const w of this.workers) w.postMessage({ words } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    if (this.broken) {
      for (const job of this.queue.splice(0)) job.fail(this.broken);
      return;
    }
    while (this.idle.length && this.queue.length) {
      const job = this.queue.shift()!;
      const batch = this.nextBatch++;
      this.running.set(batch, job);
      this.idle.pop()!.postMessage({ batch, refs: job.refs } satisfies WorkerRequest);
    }
  }

  private breakDown(err: Error): void {
    this.broken ??= err;
    for (const job of this.running.values()) job.fail(err);
    this.running.clear();
    this.pump();
  }
}

/** A folder-watch reader (ingest/watch.ts) that reads and analyzes files in the pool. */
export function poolReader(pool: AnalysisPool): (files: WatchedFile[]) => Promise<FileState[]> {
  return async (files) =>
    (await pool.analyze(files)).map((o): FileState => {
      if (o.ok === true) return { state: 'changed', change: { op: 'put', article: o.value.article, extra: o.extra, prepared: o.value } };
      if (o.ok === 'unchanged') return { state: 'unchanged' };
      return o.missing ? { state: 'missing' } : { state: 'bad', reason: o.reason };
    });
}
