/** The thread behind PostingsWorker (postings.ts): one bigramPostings call, its arrays moved back. */
import { parentPort } from 'node:worker_threads';
import { bigramPostings } from './postings.js';

parentPort!.once('message', ({ ids, charCount }: { ids: Int32Array; charCount: number }) => {
  const p = bigramPostings(ids, charCount);
  parentPort!.postMessage(p, [
    p.keys.buffer,
    p.keyStarts.buffer,
    p.positions.buffer,
  ] as ArrayBuffer[]);
});
