/**
 * A worker thread kept for requests answered one message each (the merge worker, the lexicon
 * worker). Callers send one request at a time; a worker that fails is dropped and a new one is
 * started by the next request. The thread does not keep the process alive.
 *
 * A worker idle for `idleMs` is stopped: an idle isolate never collects the garbage of the work
 * it did (a lexicon build or a merge leaves tens of MB of it), so a thread kept between rare
 * requests held 30–80 MB of a serving process's RSS (docs/design.md, "Memory"). Starting one
 * again costs ~50 ms, small beside the work it is started for.
 */
import { Worker } from 'node:worker_threads';

export class RequestWorker<Request, Answer> {
  private worker: Worker | null = null;
  private idle: NodeJS.Timeout | null = null;
  private pending = 0;

  constructor(
    private readonly script: URL,
    private readonly idleMs = 2000,
  ) {}

  request(message: Request): Promise<Answer> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const worker = (this.worker ??= new Worker(this.script));
    worker.unref();
    this.pending++;
    return new Promise<Answer>((ok, fail) => {
      const onError = (err: unknown) => {
        if (this.worker === worker) this.worker = null;
        fail(err);
      };
      worker.once('error', onError);
      worker.once('message', (answer: Answer) => {
        worker.off('error', onError);
        ok(answer);
      });
      worker.postMessage(message);
    }).finally(() => {
      if (--this.pending === 0 && this.worker === worker) this.stopWhenIdle(worker);
    });
  }

  /** Whether a thread is up now (it is stopped after `idleMs` without requests). */
  get running(): boolean {
    return this.worker !== null;
  }

  private stopWhenIdle(worker: Worker): void {
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.worker !== worker || this.pending > 0) return;
      this.worker = null;
      void worker.terminate();
    }, this.idleMs);
    this.idle.unref();
  }

  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    await this.worker?.terminate();
    this.worker = null;
  }
}
