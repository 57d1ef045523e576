/**
 * Characters of a merged index (merge.ts): the base keeps its character ids; characters it
 * never had get ids from K = base.chars.length on. Keys are a * K' + b, so when K' > K every base
 * key is re-encoded (merge-postings.ts; the order of keys does not change: it is the order of
 * (a, b) either way). Here the added text becomes character ids, laid after the kept text, with
 * its word-start and non-word bits.
 */
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';
import type { NewsIndex, StoredDoc } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';
import { setBit } from './bitset.js';
import type { MergedLayout } from './merge-positions.js';

/**
 * Lay the added articles out after the kept text (their starts and stored docs into `layout`,
 * their bits into `wordStarts` and `nonWord`): their character ids (0 where not a word
 * character, and after each field), and the merged character table.
 */
export function layOutAdded(
  base: NewsIndex,
  added: AnalyzedArticle[],
  layout: MergedLayout,
  wordStarts: Uint8Array,
  nonWord: Uint8Array,
): { ids: Int32Array; chars: Int32Array; K: number; K2: number } {
  const { keptLength, keptCount, total, docStarts, bodyStarts, extraStarts, docs, n } = layout;
  const src = base.arrays;
  const K = src.chars.length;
  const newChars: number[] = [];
  const newIds = new Map<number, number>(); // code point → id ≥ K, or -1 when not a word character
  const ids = new Int32Array(layout.addedLength);
  const place = (text: AnalyzedText, at: number): number => {
    const cps = text.codePoints;
    const g = keptLength + at;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i];
      let id = base.charIds.get(cp);
      if (id === undefined) {
        id = newIds.get(cp);
        if (id === undefined) {
          id = isWordCodePoint(cp) ? K + newChars.push(cp) - 1 : -1;
          newIds.set(cp, id);
        }
      }
      if (id > 0) ids[at + i] = id;
      else setBit(nonWord, g + i);
    }
    setBit(nonWord, g + cps.length);
    const flags = text.wordStarts;
    for (let i = 0; i <= cps.length; i++)
      if (i === cps.length || flags[i]) setBit(wordStarts, g + i);
    return at + cps.length + 1;
  };
  let at = 0;
  added.forEach((item, i) => {
    const d = keptCount + i;
    docStarts[d] = keptLength + at;
    at = place(item.title, at);
    bodyStarts[d] = keptLength + at;
    at = place(item.body, at);
    extraStarts[d] = keptLength + at;
    at = place(item.extra, at);
    docs[d] = storedDoc(item);
  });
  docStarts[n] = total;
  setBit(wordStarts, total);
  const K2 = K + newChars.length;
  const chars = new Int32Array(K2);
  chars.set(src.chars);
  chars.set(newChars, K);
  return { ids, chars, K, K2 };
}

/** An article as the index stores it (as IndexBuilder does: all but the body). */
function storedDoc(item: AnalyzedArticle): StoredDoc {
  const { body: _body, ...doc } = item.article;
  return doc;
}
