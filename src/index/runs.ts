/**
 * Ranges of positions cut out of an index's code-point space (the text of removed documents),
 * and copying bit arrays around them: shared by merging writes into an index (merge.ts) and
 * merging segments (segment-merge.ts).
 */
import { copyBits } from './bitset.js';

/**
 * The position ranges of removed documents, adjacent ones joined, ascending: run t is
 * [start[t], end[t]) and positions between run t-1 and run t move down by shift[t]. Index
 * `count` is a sentinel (start = end = 2^31 - 1, shift = everything removed).
 */
export interface Runs {
  start: Int32Array;
  end: Int32Array;
  shift: Int32Array;
  count: number;
  /** Positions removed in all. */
  length: number;
}

const FAR = 0x7fffffff;

export function removedRuns(docStarts: Int32Array, gone: Uint8Array): Runs {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let d = 0; d < gone.length; d++) {
    if (!gone[d]) continue;
    const s = docStarts[d];
    const e = docStarts[d + 1];
    if (ends.length > 0 && ends[ends.length - 1] === s) ends[ends.length - 1] = e;
    else {
      starts.push(s);
      ends.push(e);
    }
  }
  const count = starts.length;
  const start = new Int32Array(count + 1);
  const end = new Int32Array(count + 1);
  const shift = new Int32Array(count + 1);
  let length = 0;
  for (let t = 0; t < count; t++) {
    start[t] = starts[t];
    end[t] = ends[t];
    shift[t] = length;
    length += ends[t] - starts[t];
  }
  start[count] = FAR;
  end[count] = FAR;
  shift[count] = length;
  return { start, end, shift, count, length };
}

/**
 * Copy bits [0, length) of `src` but the removed runs into `dst` (zeroed) from bit `at`,
 * closing the gaps.
 */
export function copyKeptBits(
  src: Uint8Array,
  dst: Uint8Array,
  runs: Runs,
  length: number,
  at = 0,
): void {
  let from = 0;
  for (let t = 0; t <= runs.count; t++) {
    const to = t < runs.count ? runs.start[t] : length;
    copyBits(src, from, dst, at + from - runs.shift[t], to - from);
    if (t < runs.count) from = runs.end[t];
  }
}

/** Code points in the titles and in the bodies of documents [0, n), from their field starts. */
export function fieldTotals(
  n: number,
  docStarts: Int32Array,
  bodyStarts: Int32Array,
  extraStarts: Int32Array,
): { titleTotal: number; bodyTotal: number } {
  let titleTotal = 0;
  let bodyTotal = 0;
  for (let d = 0; d < n; d++) {
    titleTotal += bodyStarts[d] - docStarts[d] - 1;
    bodyTotal += extraStarts[d] - 1 - bodyStarts[d];
  }
  return { titleTotal, bodyTotal };
}
