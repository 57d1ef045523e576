/**
 * One cold start, in a fresh process: load the index from disk, load the analyzer, answer one
 * query with snippets. Prints JSON timings. Run by bench.ts; usable alone:
 *   node [--expose-gc] dist/bench/cold-start.js <index-dir> "<query>" [--suggest | --pinyin]
 * --suggest: then complete characters once; --pinyin: then build what pinyin suggestions and
 * "did you mean" serve from and use them once (`pinyin_ms`). RSS is read after a GC when
 * node has --expose-gc.
 */
import { loadIndexAsync } from '../src/index/store.js';
import { analyzerFingerprint, warmAnalyzer } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import { search } from '../src/search/searcher.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withPinyin = process.argv.includes('--pinyin');
const withSuggest = process.argv.includes('--suggest');
const [dir, q = '數位身分證'] = args;
// As the server starts: index files read on the thread pool while jieba loads.
const t0 = performance.now();
const pending = loadIndexAsync(dir, analyzerFingerprint());
loadSegmenter();
warmAnalyzer();
const t1 = performance.now();
const index = await pending;
const t2 = performance.now();
const result = search(index, { q, page: 1, size: 10 });
const t3 = performance.now();
let pinyinMs = 0;
if (withPinyin) {
  const { suggest, warmSuggestions } = await import('../src/search/suggest.js');
  const { searchOrCorrect, warmCorrections } = await import('../src/search/did-you-mean.js');
  warmSuggestions(index);
  warmCorrections(index);
  suggest(index, 'shuwei', 8);
  searchOrCorrect(index, { q: '數位身分正', page: 1, size: 10 });
  pinyinMs = performance.now() - t3;
} else if (withSuggest) {
  const { suggest } = await import('../src/search/suggest.js');
  suggest(index, '數位', 8);
}
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
gc?.();
process.stdout.write(
  JSON.stringify({
    segmenter_load_ms: t1 - t0,
    index_wait_after_segmenter_ms: t2 - t1,
    first_query_ms: t3 - t2,
    total_ms: t3 - t0,
    since_process_start_ms: performance.timeOrigin ? performance.now() : t3,
    hits: result.hits.length,
    pinyin_ms: pinyinMs,
    rss_mb: process.memoryUsage().rss / 2 ** 20,
    heap_mb: process.memoryUsage().heapUsed / 2 ** 20,
  }) + '\n',
);
