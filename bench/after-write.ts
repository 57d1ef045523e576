/**
 * What the first request after a write pays for derived state, on the corpus index, in process:
 * `npm run bench:after-write`. Each round PUTs one article with a new title (new vocabulary
 * terms), flushes the write buffer (as the writer does within flushMs of a write), then times
 * the first pinyin `/suggest`, the first character-prefix `/suggest` and the first corrected
 * `/search` on the new reader, and the same again (warm). Also the flush itself (until the new vocabulary's tables serve), how long the
 * event loop (the query thread) was busy meanwhile, and the longest it was blocked at once (the
 * longest gap between ticks of a 1 ms timer: what a query arriving then would wait). Figures
 * are printed, never asserted.
 */
import { performance } from 'node:perf_hooks';
import { corpusIndex, sharedAvailable } from './shared.js';
import { IndexWriter } from '../src/index/writer.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import { suggest, warmSuggestions } from '../src/search/suggest.js';
import { searchOrCorrect, warmCorrections } from '../src/search/did-you-mean.js';

const ROUNDS = 5;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const { index } = await corpusIndex(false);
  loadSegmenter();
  const { writer } = await IndexWriter.open(index, null);
  warmSuggestions(writer.index);
  warmCorrections(writer.index);
  const use = () => {
    const t0 = performance.now();
    suggest(writer.index, 'shuwei', 8);
    const t1 = performance.now();
    suggest(writer.index, '數位身', 8);
    const t2 = performance.now();
    searchOrCorrect(writer.index, { q: '數位身分正', page: 1, size: 10 });
    return { suggest: t1 - t0, chars: t2 - t1, corrected: performance.now() - t2 };
  };
  use();
  const rows: Record<string, number[]> = {
    flush: [],
    busy: [],
    blocked: [],
    firstSuggest: [],
    firstCharSuggest: [],
    firstCorrected: [],
    warmSuggest: [],
    warmCharSuggest: [],
    warmCorrected: [],
  };
  let last = 0;
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  for (let i = 0; i < ROUNDS; i++) {
    await writer.submit([
      {
        op: 'put',
        extra: '',
        article: {
          id: `bench/after-write-${i}`,
          title: `臺南市第${i}區推出行動支付新制與數位身分證體驗站${'甲乙丙丁戊'[i]}號`,
          body: '市府今天設立體驗站，民眾可以現場試用數位身分證與行動支付。'.repeat(20),
          url: null,
          source: '(臺)中央社CNA',
          date: new Date(Date.UTC(2020, 10, 1 + i)).toISOString(),
          tags: ['數位身分證'],
          categories: [],
          related: [],
        },
      },
    ]);
    await new Promise((ok) => setTimeout(ok, 20));
    const t0 = performance.now();
    last = t0;
    maxGap = 0;
    const elu = performance.eventLoopUtilization();
    await writer.flush();
    await writer.lexiconReady();
    rows.flush.push(performance.now() - t0);
    rows.busy.push(performance.eventLoopUtilization(elu).active);
    await new Promise((ok) => setTimeout(ok, 20));
    rows.blocked.push(maxGap);
    const first = use();
    const warm = use();
    rows.firstSuggest.push(first.suggest);
    rows.firstCharSuggest.push(first.chars);
    rows.firstCorrected.push(first.corrected);
    rows.warmSuggest.push(warm.suggest);
    rows.warmCharSuggest.push(warm.chars);
    rows.warmCorrected.push(warm.corrected);
  }
  clearInterval(ticker);
  await writer.close();
  console.log(`after-write: ${writer.index.size} documents, ${ROUNDS} rounds, medians (ms):`);
  for (const [k, v] of Object.entries(rows))
    console.log(`  ${k}: ${median(v).toFixed(2)} (all: ${v.map((x) => x.toFixed(1)).join(', ')})`);
}

await main();
