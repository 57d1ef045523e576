/**
 * Re-segmenting articles after the dictionary changed. Code points do not change (normalization
 * does not depend on jieba), only where words start, so the postings stay and just the
 * word-start bits of the affected articles are rewritten — a few at a time, yielding to the event
 * loop in between so queries keep being answered.
 */
import { analyzeText } from '../analysis/analyzer.js';
import type { NewsIndex } from './news-index.js';

const CHUNK = 32;

function rewrite(index: NewsIndex, start: number, text: string): void {
  const { wordStarts } = analyzeText(text);
  for (let i = 0; i < wordStarts.length - 1; i++)
    index.setWordStart(start + i, wordStarts[i] === 1);
}

export async function reanalyze(index: NewsIndex, docs: Iterable<number>): Promise<number> {
  let n = 0;
  for (const d of docs) {
    rewrite(index, index.titleStart(d), index.docs[d].title);
    rewrite(index, index.bodyStart(d), index.body(d));
    if (++n % CHUNK === 0) await new Promise((ok) => setImmediate(ok));
  }
  return n;
}
