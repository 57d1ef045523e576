/**
 * A worker thread kept for requests answered one message each (the merge worker, the lexicon
 * worker). Callers send one request at a time; a worker that fails is dropped and a new one is
 * started by the next request. The thread does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';

export class RequestWorker<Request, Answer> {
  private worker: Worker | null = null;

  constructor(private readonly script: URL) {}

  request(message: Request): Promise<Answer> {
    const worker = (this.worker ??= new Worker(this.script));
    worker.unref();
    return new Promise<Answer>((ok, fail) => {
      const onError = (err: unknown) => {
        this.worker = null;
        fail(err);
      };
      worker.once('error', onError);
      worker.once('message', (answer: Answer) => {
        worker.off('error', onError);
        ok(answer);
      });
      worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
