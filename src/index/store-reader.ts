/**
 * The worker thread of store.ts's loadIndexAsync: verifies and reads the files of a commit
 * (segments' resident parts, live-docs) while the main thread loads jieba's dictionary.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SearchError } from '../errors.js';
import { readCommitFile } from './segment-file.js';
import type { StoreReaderAnswer } from './store.js';

const { files } = workerData as { files: string[] };
let answer: StoreReaderAnswer;
try {
  answer = { files: files.map(readCommitFile) };
} catch (e) {
  if (!(e instanceof SearchError)) throw e;
  answer = { error: { code: e.code, message: e.message } };
}
const transfer: ArrayBuffer[] = [];
if ('files' in answer)
  for (const f of answer.files) {
    if (f instanceof Uint8Array) transfer.push(f.buffer as ArrayBuffer);
    else if (f) for (const a of Object.values(f.arrays)) transfer.push(a.buffer as ArrayBuffer);
  }
parentPort!.postMessage(answer, transfer);
