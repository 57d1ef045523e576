/**
 * Write and query latency on the corpus index, in process: `npm run bench:writes`.
 * PUT (one small article, answered once logged with fdatasync and searchable) and DELETE of
 * corpus posts through IndexWriter.submit, one at a time, then the public queries (q and q_alt,
 * top 10 with snippets) on the index as the writes left it. Figures are printed, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusIndex, percentile, PUBLIC_QUERIES, readQueries, sharedAvailable } from './shared.js';
import { loadIndex, saveIndex } from '../src/index/store.js';
import { IndexWriter } from '../src/index/writer.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import { search } from '../src/search/searcher.js';

const N = 300;

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const { index } = await corpusIndex(false);
  const dir = mkdtempSync(join(tmpdir(), 'zh-news-writes-bench-'));
  try {
    saveIndex(index, dir);
    loadSegmenter();
    const { writer } = await IndexWriter.open(loadIndex(dir, analyzerFingerprint()), dir);
    const ids = writer.index.docs.map((d) => d.id);
    const time = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const put: number[] = [];
    for (let i = 0; i < N; i++) {
      const article = {
        id: `bench/put-${i}`,
        title: `臺南市推出數位身分證體驗站第${i}站`,
        body: `市府今天設立第${i}個體驗站，民眾可以現場試用數位身分證。`.repeat(20),
        url: null,
        source: '(臺)中央社CNA',
        date: new Date(Date.UTC(2020, 10, 1 + (i % 28))).toISOString(),
        tags: ['數位身分證'],
        categories: [],
        related: [],
      };
      put.push(await time(() => writer.submit([{ op: 'put', article, extra: '' }])));
    }
    const del: number[] = [];
    for (let i = 0; i < N; i++) {
      const id = ids[(i * 7919) % ids.length];
      del.push(await time(() => writer.submit([{ op: 'delete', id }])));
    }
    const forms = readQueries(PUBLIC_QUERIES).flatMap((q) => [q.q, q.q_alt]);
    const reader = writer.index;
    for (const q of forms) search(reader, { q, page: 1, size: 10 }); // warm-up (JIT)
    const query: number[] = [];
    for (let round = 0; round < 2; round++)
      for (const q of forms) {
        const t = performance.now();
        search(reader, { q, page: 1, size: 10 });
        query.push(performance.now() - t);
      }
    await writer.close();
    const f = (a: number[], p: number) =>
      percentile(
        [...a].sort((x, y) => x - y),
        p,
      ).toFixed(2);
    console.log(
      `${ids.length} posts: PUT p50 ${f(put, 0.5)} / p99 ${f(put, 0.99)} ms, DELETE p50 ${f(del, 0.5)} / p99 ${f(del, 0.99)} ms (${N} each); query p50 ${f(query, 0.5)} / p95 ${f(query, 0.95)} ms (${forms.length} forms × 2)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
