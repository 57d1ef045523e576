/**
 * Worker thread for indexing: ingest + analysis of a batch of posts. Workers live for a whole
 * build (each loads jieba's dictionary once, ~280 MB, and nodejieba never frees it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { addUserWords } from '../analysis/segment.js';
import { analyzePost, type PostRef, type PostOutcome } from './analyze-post.js';

export interface BatchRequest {
  batch: number;
  refs: PostRef[];
}
export interface BatchResult {
  batch: number;
  outcomes: PostOutcome[];
}

// The user dictionary is part of the analyzer: every worker segments with the same words.
const { userWords = [] } = (workerData ?? {}) as { userWords?: string[] };
if (userWords.length) addUserWords(userWords);

parentPort?.on('message', (req: BatchRequest) => {
  const outcomes = req.refs.map(analyzePost);
  const transfer: ArrayBuffer[] = [];
  for (const o of outcomes) {
    if (!o.ok) continue;
    for (const t of [o.value.title, o.value.body, o.value.extra]) transfer.push(t.codePoints.buffer as ArrayBuffer, t.wordStarts.buffer as ArrayBuffer);
  }
  parentPort!.postMessage({ batch: req.batch, outcomes } satisfies BatchResult, transfer);
});
