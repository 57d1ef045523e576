/** Paths to ../shared (read-only material beside the repo) and a cached corpus index. */
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { buildIndex, type BuildReport } from '../src/index/build.js';
import { hasIndex, loadIndex, saveIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import type { IndexReader } from '../src/index/reader.js';
import type { NewsIndex } from '../src/index/news-index.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(REPO, '..', 'shared');
export const CORPUS_FOLDERS = ['corpus/cna-rti', 'corpus/oped'].map((f) => join(SHARED, f));
export const PUBLIC_QUERIES = join(SHARED, 'eval', 'queries-public.jsonl');
export const TRAIN_QUERIES = join(SHARED, 'eval', 'queries-train.jsonl');
export const TOPICAL_DIR = join(SHARED, 'eval', 'topical');
/** Judgments added here for top-10 hits the shared topical qrels lack (same format and rules). */
export const ADDED_JUDGMENTS_DIR = join(REPO, 'bench', 'topical');
export const REGIONAL_QUERIES = join(SHARED, 'eval', 'regional-public.jsonl');
export const RUN_EVAL = join(SHARED, 'eval', 'run_eval.py');
export const SCORE_TOPICAL = join(TOPICAL_DIR, 'score.py');

export function sharedAvailable(): boolean {
  return CORPUS_FOLDERS.every((f) => existsSync(f));
}

export interface EvalQuery {
  kind: 'known' | 'substring' | 'subword' | 'regional';
  q: string;
  q_alt: string;
  target?: string;
  truth?: string[];
}

export function readQueries(file: string): EvalQuery[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EvalQuery);
}

/** Where the corpus index is cached between runs: outside the repo, keyed by the analyzer and
 * by the code that reads posts and builds indexes, so any change to them rebuilds it. */
export function corpusIndexDir(): string {
  const h = createHash('sha256').update(analyzerFingerprint());
  for (const dir of ['ingest', 'index']) {
    const folder = join(REPO, 'dist', 'src', dir);
    for (const f of readdirSync(folder).sort())
      if (f.endsWith('.js')) h.update(readFileSync(join(folder, f)));
  }
  return join(tmpdir(), `zh-news-search-corpus-${h.digest('hex').slice(0, 16)}`);
}

/** Build the corpus index (or reuse the cached one unless `rebuild`). */
export async function corpusIndex(
  rebuild: boolean,
  log = (s: string) => process.stderr.write(s + '\n'),
): Promise<{ index: NewsIndex | IndexReader; dir: string; report?: BuildReport }> {
  const dir = corpusIndexDir();
  if (!rebuild && hasIndex(dir)) {
    log(`reusing the corpus index in ${dir} (--rebuild to rebuild)`);
    return { index: loadIndex(dir, analyzerFingerprint()), dir };
  }
  log(`indexing ${CORPUS_FOLDERS.join(' + ')} …`);
  const { index, report } = await buildIndex(CORPUS_FOLDERS);
  for (const e of report.errors) log(`error: ${e.file}: ${e.reason}`);
  for (const w of report.warnings) log(`warning: ${w.file}: ${w.reason}`);
  saveIndex(index, dir);
  return { index, dir, report };
}

export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(p) : statSync(p).size;
  }
  return total;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** p50 / p95 / p99 of sorted timings. */
export function quantiles(sorted: number[]): { p50: number; p95: number; p99: number } {
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  };
}
