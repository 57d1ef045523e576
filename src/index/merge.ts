/**
 * Applying a batch of writes to an index without rebuilding it: a new NewsIndex holding the
 * base's documents minus the removed ones (in their order), then the added ones (in order),
 * search-equivalent to building it from scratch with IndexBuilder, while only the added articles
 * are analysed. One module per part of the layout:
 *
 * - positions: the removed documents cut out, the kept ones moved down (merge-positions.ts);
 * - characters: the added text as character ids, new characters appended (merge-chars.ts);
 * - postings: base postings moved and re-keyed, merged with the added ones (merge-postings.ts);
 * - word-start and non-word bits: copied with the removed ranges cut out, shifted by any number
 *   of bits (runs.ts), the added text's set as it is laid out;
 * - stored bodies (merge-bodies.ts); near-duplicates (merge-duplicates.ts); the vocabulary
 *   (merge-vocabulary.ts).
 *
 * The base is only read: it keeps answering queries during and after the merge.
 */
import { analyzeText } from '../analysis/analyzer.js';
import { NewsIndex, type IndexArrays } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';
import { titleTerms } from './vocabulary.js';
import { newBits } from './bitset.js';
import { copyKeptBits, fieldTotals } from './runs.js';
import { cutRemoved } from './merge-positions.js';
import { layOutAdded } from './merge-chars.js';
import { deltaPostings, mergePostings } from './merge-postings.js';
import { mergeBodies } from './merge-bodies.js';
import { mergeBands, mergeDuplicates } from './merge-duplicates.js';
import { mergeVocabulary } from './merge-vocabulary.js';

export interface MergeOptions {
  /**
   * Whether to compute near-duplicate groups and the vocabulary (default true). The write
   * buffer of a segmented index skips them: its reader derives both when the buffer is flushed.
   */
  derived?: boolean;
}

/**
 * A new NewsIndex equal to building, from scratch, the base's documents minus `removed`
 * (in their order) followed by `added` (in order) — without re-analysing the base.
 */
export function mergeIndex(
  base: NewsIndex,
  removed: Iterable<number>,
  added: AnalyzedArticle[],
  options: MergeOptions = {},
): NewsIndex {
  const derived = options.derived ?? true;
  const src = base.arrays;
  const nBase = base.size;
  const gone = new Uint8Array(nBase);
  for (const d of removed) {
    if (!Number.isInteger(d) || d < 0 || d >= nBase)
      throw new RangeError(`no document ${d} to remove (the index has ${nBase})`);
    gone[d] = 1;
  }
  const layout = cutRemoved(base, gone, added);
  const { n, total, runs, newNumber, docs, docStarts, bodyStarts, extraStarts } = layout;

  // Bits of the kept text, moved down over the removed ranges; the added text's as it is laid.
  const wordStarts = newBits(total);
  const nonWord = newBits(total);
  copyKeptBits(src.wordStarts, wordStarts, runs, layout.baseLength);
  copyKeptBits(src.nonWord, nonWord, runs, layout.baseLength);
  const { ids, chars, K, K2 } = layOutAdded(base, added, layout, wordStarts, nonWord);

  const bodies = mergeBodies(src, gone, newNumber, n, added);
  const postings = mergePostings(src, runs, K, K2, deltaPostings(ids, K2, layout.keptLength));
  const dupOf = derived
    ? mergeDuplicates(base, gone, newNumber, docs, added)
    : new Int32Array(n).fill(-1);
  const { dupBands, dupSigned } = mergeBands(src, gone, newNumber, n, added);

  const arrays: IndexArrays = {
    chars,
    ...postings,
    dupOf,
    dupBands,
    dupSigned,
    wordStarts,
    nonWord,
    docStarts,
    bodyStarts,
    extraStarts,
    ...bodies,
  };
  const { titleTotal, bodyTotal } = fieldTotals(n, docStarts, bodyStarts, extraStarts);
  const docCount = Math.max(1, n);
  const vocabulary = !derived
    ? []
    : mergeVocabulary(
        base.vocabulary,
        [...gone.keys()]
          .filter((d) => gone[d])
          .map((d) => titleTerms(base.docs[d].title, analyzeText(base.docs[d].title))),
        added.map((i) => titleTerms(i.article.title, i.title)),
      );
  return new NewsIndex(
    docs,
    arrays,
    { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount },
    base.fingerprint,
    vocabulary,
  );
}
