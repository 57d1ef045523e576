/**
 * Re-segmenting articles after the dictionary changed. Code points do not change (normalization
 * does not depend on jieba), only where words start, so the postings stay and just the
 * word-start bits of the affected articles are rewritten — a few at a time, yielding to the event
 * loop in between so queries keep being answered. A segment changed so is marked dirty: the next
 * commit writes it again under a new name (segment files are never changed in place).
 */
import { analyzeText } from '../analysis/analyzer.js';
import type { NewsIndex } from './news-index.js';
import type { IndexReader } from './reader.js';

const CHUNK = 32;

function rewrite(index: NewsIndex, start: number, text: string): void {
  const { wordStarts } = analyzeText(text);
  for (let i = 0; i < wordStarts.length - 1; i++)
    index.setWordStart(start + i, wordStarts[i] === 1);
}

/** Per segment (position in the reader), its documents holding any of `words` verbatim. */
export function documentsWith(
  reader: IndexReader,
  words: string[],
  find: (index: NewsIndex, word: string) => Int32Array,
): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  reader.segments.forEach((seg, s) => {
    const docs = new Set<number>();
    for (const w of words) for (const d of find(seg.index, w)) docs.add(d);
    if (docs.size) out.set(s, docs);
  });
  return out;
}

export async function reanalyze(
  reader: IndexReader,
  affected: Map<number, Set<number>>,
): Promise<number> {
  let n = 0;
  for (const [s, docs] of affected) {
    const seg = reader.segments[s];
    const index = seg.index;
    seg.core.dirty = true;
    for (const d of docs) {
      rewrite(index, index.titleStart(d), index.docs[d].title);
      rewrite(index, index.bodyStart(d), index.body(d));
      if (++n % CHUNK === 0) await new Promise((ok) => setImmediate(ok));
    }
  }
  return n;
}
