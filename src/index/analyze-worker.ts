/**
 * Worker threads of the analysis pool (analysis-pool.ts), in pairs joined by a message port:
 * - `ingest`: reads, parses and normalizes batches of posts; sends the outcomes to the pool and
 *   the normalized texts to its segmenter.
 * - `segment`: loads jieba's dictionary (~280 MB, ~1 s, never freed by nodejieba) and finds word
 *   starts; sends them to the pool, which joins them with the ingest outcomes.
 * Two jieba threads in one process segment more slowly each than one (they share a malloc
 * arena, see docs/operations.md: configuration), and only the segmenter needs the dictionary, so a pair
 * does the same work as two whole-post workers in less time and memory.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ArticleItem, IngestOutcome, PostRef, PostWordStarts } from './analyze-post.js';

export interface WorkerSetup {
  role: 'ingest' | 'segment';
  /** The other worker of the pair. */
  port: MessagePort;
  /** Words added to the dictionary so far (segmenters only). */
  userWords?: string[];
}

/**
 * Pool → ingest worker: a batch, or words added to the dictionary, which the ingest worker passes
 * on to its segmenter through their port: words and batches then reach the segmenter in the order
 * the pool sent them (two channels would not keep that order).
 */
export type IngestRequest =
  | { batch: number; refs: PostRef[] }
  | { batch: number; articles: ArticleItem[] }
  | { words: string[] };
/** Ingest worker → segmenter: title and body of each ingested post, normalized, with lengths. */
type SegmentTexts = [title: string, titleLength: number, body: string, bodyLength: number][];
type SegmentJob = { batch: number; texts: SegmentTexts } | { words: string[] };
/** Ingest worker → pool. */
export interface IngestResult {
  batch: number;
  outcomes: IngestOutcome[];
}
/** Segmenter → pool: word starts of the posts ingested successfully, in order. */
export interface SegmentResult {
  batch: number;
  starts: PostWordStarts[];
}

const { role, port, userWords = [] } = workerData as WorkerSetup;

// Each role imports only what it runs: the ingest modules (parsers, OpenCC) take ~0.15 s to
// load, which the segmenter would spend before starting on jieba's dictionary.
if (role === 'segment') {
  const { addUserWords, loadSegmenter, wordStartFlags } = await import('../analysis/segment.js');
  // The user dictionary is part of the analyzer: every segmenter uses the same words,
  // including words added while it runs (applied before later batches).
  loadSegmenter(); // now rather than in the first batch: the pool says when it is ready
  if (userWords.length) addUserWords(userWords);
  parentPort!.postMessage('ready');
  port.on('message', (job: SegmentJob) => {
    if ('words' in job) {
      addUserWords(job.words);
      return;
    }
    const starts = job.texts.map(
      ([title, tl, body, bl]): PostWordStarts => [
        wordStartFlags(title, tl),
        wordStartFlags(body, bl),
      ],
    );
    const transfer = starts.flatMap(([t, b]) => [t.buffer as ArrayBuffer, b.buffer as ArrayBuffer]);
    parentPort!.postMessage({ batch: job.batch, starts } satisfies SegmentResult, transfer);
  });
} else {
  const { ingestPost, normalizeArticle } = await import('./analyze-post.js');
  parentPort!.on('message', (req: IngestRequest) => {
    if ('words' in req) {
      port.postMessage(req satisfies SegmentJob);
      return;
    }
    // Posts are read from their files; articles (written through the API) are already parsed.
    const outcomes =
      'refs' in req
        ? req.refs.map(ingestPost)
        : req.articles.map(
            ([article, extra]): IngestOutcome => ({
              ok: true,
              value: normalizeArticle(article, extra),
            }),
          );
    const texts: SegmentTexts = [];
    const transfer: ArrayBuffer[] = [];
    for (const o of outcomes) {
      if (o.ok !== true) continue;
      const { title, body, extraCodePoints } = o.value;
      texts.push([title.norm, title.codePoints.length, body.norm, body.codePoints.length]);
      transfer.push(
        title.codePoints.buffer as ArrayBuffer,
        body.codePoints.buffer as ArrayBuffer,
        extraCodePoints.buffer as ArrayBuffer,
      );
      // The pool needs code points, not the normalized strings (the segmenter gets those).
      title.norm = body.norm = '';
    }
    port.postMessage({ batch: req.batch, texts } satisfies SegmentJob);
    parentPort!.postMessage({ batch: req.batch, outcomes } satisfies IngestResult, transfer);
  });
}
