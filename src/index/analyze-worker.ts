/**
 * Worker thread for analysis: ingest + analysis of batches of posts. Workers are long-lived
 * (each loads jieba's dictionary once, ~280 MB, and nodejieba never frees it): one pool per
 * build, or one for the life of a server that watches a folder (analysis-pool.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { addUserWords, loadSegmenter } from '../analysis/segment.js';
import { analyzePost, type PostRef, type PostOutcome } from './analyze-post.js';

export type WorkerRequest = { batch: number; refs: PostRef[] } | { words: string[] };
export interface BatchResult {
  batch: number;
  outcomes: PostOutcome[];
}

// The user dictionary is part of the analyzer: every worker segments with the same words,
// including words added while it runs ({words} messages, applied before later batches).
const { userWords = [] } = (workerData ?? {}) as { userWords?: string[] };
loadSegmenter(); // now rather than in the first batch: a pool says when it is ready
if (userWords.length) addUserWords(userWords);
parentPort?.postMessage('ready');

parentPort?.on('message', (req: WorkerRequest) => {
  if ('words' in req) {
    addUserWords(req.words);
    return;
  }
  const outcomes = req.refs.map(analyzePost);
  const transfer: ArrayBuffer[] = [];
  for (const o of outcomes) {
    if (o.ok !== true) continue;
    for (const t of [o.value.title, o.value.body, o.value.extra]) transfer.push(t.codePoints.buffer as ArrayBuffer, t.wordStarts.buffer as ArrayBuffer);
  }
  parentPort!.postMessage({ batch: req.batch, outcomes } satisfies BatchResult, transfer);
});
