/**
 * Positions of a merged index (merge.ts): removed documents are cut out of the code-point space
 * (every later position moves down by the length removed before it: no tombstones) and the kept
 * documents renumbered in their order; the added documents are laid after them
 * (merge-chars.ts), so an added posting is always greater than every kept one.
 */
import type { IndexArrays, NewsIndex, StoredDoc } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';
import { removedRuns, type Runs } from './runs.js';

/** Where everything goes in the merged index: the kept documents placed, the added sized. */
export interface MergedLayout {
  /** Documents: kept, then added. */
  n: number;
  keptCount: number;
  /** Code points of the base, of the kept documents, of the added ones (with separators). */
  baseLength: number;
  keptLength: number;
  addedLength: number;
  total: number;
  /** The removed ranges of the base's code-point space. */
  runs: Runs;
  /** New number of each base document, -1 when removed. */
  newNumber: Int32Array;
  /** Filled for the kept documents here, for the added ones by layOutAdded. */
  docStarts: Int32Array;
  bodyStarts: Int32Array;
  extraStarts: Int32Array;
  docs: StoredDoc[];
}

/** The layout of `base` without the documents flagged in `gone`, with room for `added`. */
export function cutRemoved(
  base: NewsIndex,
  gone: Uint8Array,
  added: AnalyzedArticle[],
): MergedLayout {
  const src: IndexArrays = base.arrays;
  const nBase = base.size;
  const runs = removedRuns(src.docStarts, gone);
  const baseLength = src.docStarts[nBase];
  const keptLength = baseLength - runs.length;
  let addedLength = 0;
  for (const item of added)
    addedLength +=
      item.title.codePoints.length + item.body.codePoints.length + item.extra.codePoints.length + 3;
  let removed = 0;
  for (let d = 0; d < nBase; d++) removed += gone[d];
  const keptCount = nBase - removed;
  const n = keptCount + added.length;
  const docStarts = new Int32Array(n + 1);
  const bodyStarts = new Int32Array(n);
  const extraStarts = new Int32Array(n);
  const newNumber = new Int32Array(nBase).fill(-1);
  const docs: StoredDoc[] = new Array(n);
  let cut = 0;
  let m = 0;
  for (let d = 0; d < nBase; d++) {
    if (gone[d]) {
      cut += src.docStarts[d + 1] - src.docStarts[d];
      continue;
    }
    newNumber[d] = m;
    docStarts[m] = src.docStarts[d] - cut;
    bodyStarts[m] = src.bodyStarts[d] - cut;
    extraStarts[m] = src.extraStarts[d] - cut;
    docs[m] = base.docs[d];
    m++;
  }
  return {
    n,
    keptCount,
    baseLength,
    keptLength,
    addedLength,
    total: keptLength + addedLength,
    runs,
    newNumber,
    docStarts,
    bodyStarts,
    extraStarts,
    docs,
  };
}
