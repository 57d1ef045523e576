/** Shared fixtures for tests: repo paths, a seeds index built once, tiny in-memory indexes. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIndex, type BuildReport } from '../src/index/build.js';
import { IndexBuilder } from '../src/index/builder.js';
import { analyzeText, analyzerFingerprint } from '../src/analysis/analyzer.js';
import type { NewsIndex } from '../src/index/news-index.js';
import type { Article } from '../src/ingest/article.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SEEDS = join(REPO, 'seeds');
export const SHARED = resolve(REPO, '..', 'shared');
export const EXAMPLE_ID = '2020-12-25-新竹市：數位身分證110年1月試辦傾向暫緩';

let seeds: Promise<{ index: NewsIndex; report: BuildReport }> | undefined;
/** The seeds/ folder indexed in this process (once per test file). */
export function seedsIndex(): Promise<{ index: NewsIndex; report: BuildReport }> {
  seeds ??= buildIndex([SEEDS], { workers: 0 });
  return seeds;
}

/** An index over articles given inline: for ranking and snippet cases that need exact text. */
export function tinyIndex(docs: { id: string; title: string; body: string; date?: string }[]): NewsIndex {
  const builder = new IndexBuilder();
  for (const d of docs) {
    const article: Article = {
      id: d.id,
      title: d.title,
      body: d.body,
      url: null,
      source: null,
      date: d.date ?? null,
      tags: [],
      categories: [],
      related: [],
    };
    builder.add({ article, title: analyzeText(d.title), body: analyzeText(d.body), extra: analyzeText('') });
  }
  return builder.build(analyzerFingerprint());
}
