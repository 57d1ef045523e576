/**
 * Building an index from folders of posts: list, ingest + analyze (in worker threads for large
 * folders), then build postings. Broken posts are reported by file name and skipped.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { listPosts } from '../ingest/files.js';
import { analyzerFingerprint } from '../analysis/analyzer.js';
import { IndexBuilder, type AnalyzedArticle } from './builder.js';
import { analyzePost, type PostRef, type PostOutcome } from './analyze-post.js';
import { AnalysisPool, pairsFor } from './analysis-pool.js';
import type { NewsIndex } from './news-index.js';

export interface BuildProblem {
  file: string;
  reason: string;
}

export interface BuildReport {
  posts: number;
  errors: BuildProblem[];
  /** Posts indexed after a repair (a stray control character in the front matter). */
  warnings: BuildProblem[];
  characters: number;
  seconds: number;
  /** Of `seconds`: the vocabulary's pinyin readings (main thread, beside the postings worker). */
  pinyinSeconds: number;
}

export interface BuildOptions {
  /** Worker threads (in ingest + segment pairs); 0 = in this thread. Default: in-process for small folders, else one per core. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * false: no pinyin readings in the vocabulary (they are then computed when the index first
   * serves pinyin); for measuring what they cost. Default true.
   */
  pinyin?: boolean;
  /** Each analyzed article, in index order (a database load stores them: backend/postgres.ts). */
  onArticle?: (article: AnalyzedArticle) => void;
}

const BATCH = 64;
/** Below this many posts, starting workers (a dictionary load per pair) costs more than it saves. */
const IN_PROCESS_MAX = 400;

export async function buildIndex(
  folders: string[],
  options: BuildOptions = {},
): Promise<{ index: NewsIndex; report: BuildReport }> {
  const started = performance.now();
  const errors: BuildProblem[] = [];
  const warnings: BuildProblem[] = [];
  const refs: PostRef[] = [];
  const seen = new Map<string, string>();
  for (const folder of folders) {
    for (const ref of await listPosts(folder)) {
      const first = seen.get(ref.id);
      if (first) {
        errors.push({
          file: ref.file,
          reason: `duplicate id "${ref.id}" (already indexed from ${first})`,
        });
        continue;
      }
      seen.set(ref.id, ref.file);
      refs.push(ref);
    }
  }
  const workers = options.workers ?? (refs.length <= IN_PROCESS_MAX ? 0 : availableParallelism());
  const builder = new IndexBuilder({ pinyin: options.pinyin });
  let characters = 0;
  // Outcomes come in the order of `refs`, batch by batch: the builder takes each article in
  // while the rest are still being analyzed.
  let taken = 0;
  const take = (outcomes: PostOutcome[]) => {
    for (const o of outcomes) {
      const ref = refs[taken++];
      if (o.ok === 'unchanged') continue; // not asked for here
      if (!o.ok) {
        errors.push({ file: o.file, reason: o.reason });
        continue;
      }
      for (const reason of o.warnings ?? []) warnings.push({ file: ref.file, reason });
      characters += o.value.title.codePoints.length + o.value.body.codePoints.length;
      builder.add(o.value);
      options.onArticle?.(o.value);
    }
  };
  if (workers > 0) await analyzeInWorkers(refs, workers, options.onProgress, take);
  else take(analyzeHere(refs, options.onProgress));
  const index =
    workers > 0
      ? await builder.buildInParallel(analyzerFingerprint())
      : builder.build(analyzerFingerprint());
  index.sources = folders.map((f) => resolve(f));
  return {
    index,
    report: {
      posts: builder.count,
      errors,
      warnings,
      characters,
      seconds: (performance.now() - started) / 1000,
      pinyinSeconds: builder.pinyinSeconds,
    },
  };
}

function analyzeHere(
  refs: PostRef[],
  onProgress?: (done: number, total: number) => void,
): PostOutcome[] {
  return refs.map((r, i) => {
    const o = analyzePost(r);
    if (onProgress && ((i + 1) % BATCH === 0 || i + 1 === refs.length))
      onProgress(i + 1, refs.length);
    return o;
  });
}

async function analyzeInWorkers(
  refs: PostRef[],
  count: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  onOutcomes: (outcomes: PostOutcome[]) => void,
): Promise<void> {
  const pool = new AnalysisPool(Math.min(pairsFor(count), Math.ceil(refs.length / BATCH)));
  try {
    await pool.analyze(refs, { onProgress, onOutcomes });
  } finally {
    await pool.close();
  }
}
