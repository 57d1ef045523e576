/**
 * Finding terms in the index: every verbatim occurrence of a string (after normalization),
 * grouped by document. A "term" is either a whole query part (matched verbatim) or, for the
 * looser word-by-word match, one jieba word of it.
 */
import { EMPTY, type NewsIndex } from '../index/news-index.js';

export interface TermMatches {
  /** Normalized text of the term. */
  text: string;
  /** Length in code points (for a phrase: the sum of its parts). */
  length: number;
  /** Per occurrence, where it ends, when lengths vary (phrases; forms of different lengths). */
  ends?: Int32Array;
  /** Per occurrence, its weight, when forms weigh differently (a regional equivalent). */
  weights?: Float32Array;
  /** Per occurrence, which form it is (0 = as typed), when several forms are merged. */
  forms?: Uint8Array;
  /** Ascending global start positions of every occurrence. */
  occ: Int32Array;
  /** Ascending documents holding it; occurrences of docs[i] are occ[docFrom[i] .. docFrom[i+1]). */
  docs: Int32Array;
  docFrom: Int32Array;
  /** Where the last docSlot lookup in `docs` ended (a search's own; see docSlot). */
  cursor?: number;
}

/** First index i ≥ from with list[i] ≥ target (galloping, then binary search). */
function seek(list: Int32Array, from: number, target: number): number {
  let step = 1;
  let hi = from;
  while (hi < list.length && list[hi] < target) {
    from = hi + 1;
    hi += step;
    step <<= 1;
  }
  hi = Math.min(hi, list.length);
  while (from < hi) {
    const mid = (from + hi) >>> 1;
    if (list[mid] < target) from = mid + 1;
    else hi = mid;
  }
  return from;
}

/** Ascending start positions of every occurrence of the code points `cps`. */
export function occurrences(index: NewsIndex, cps: number[]): Int32Array {
  if (cps.length === 0) return EMPTY;
  if (cps.length === 1) return index.single(cps[0]);
  // Bigrams at offsets 0, 2, 4 … and the last one cover the string: if all occur at the right
  // offsets the whole string occurs there.
  const offsets: number[] = [];
  for (let o = 0; o + 2 <= cps.length; o += 2) offsets.push(o);
  if (cps.length % 2 === 1) offsets.push(cps.length - 2);
  const lists = offsets.map((o) => ({ o, list: index.bigram(cps[o], cps[o + 1]) }));
  lists.sort((a, b) => a.list.length - b.list.length);
  if (lists[0].list.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0].list;
  const [driver, ...rest] = lists;
  const cursors = new Array<number>(rest.length).fill(0);
  const out: number[] = [];
  outer: for (let i = 0; i < driver.list.length; i++) {
    const start = driver.list[i] - driver.o;
    for (let j = 0; j < rest.length; j++) {
      const { o, list } = rest[j];
      const c = seek(list, cursors[j], start + o);
      cursors[j] = c;
      if (c >= list.length) break outer;
      if (list[c] !== start + o) continue outer;
    }
    out.push(start);
  }
  return Int32Array.from(out);
}

/** Occurrences of `text` grouped by document. */
export function findTerm(index: NewsIndex, text: string, cps: number[]): TermMatches {
  return regroup(index, text, cps.length, occurrences(index, cps));
}

/** Most separator characters (spaces, punctuation) allowed between the words of a phrase. */
const PHRASE_GAP = 2;

/**
 * Occurrences of the parts in order, each right after the previous one or separated only by up
 * to PHRASE_GAP spaces or punctuation marks, within one field.
 */
export function findPhrase(index: NewsIndex, text: string, parts: number[][]): TermMatches {
  const lists = parts.map((cps) => occurrences(index, cps));
  const starts: number[] = [];
  const ends: number[] = [];
  const cursors = new Array<number>(lists.length).fill(0);
  for (const start of lists[0]) {
    let end = start + parts[0].length;
    let ok = true;
    for (let k = 1; k < lists.length && ok; k++) {
      const list = lists[k];
      // Ends grow with starts for the first part only; later parts may shift by a gap.
      let c = seek(list, k === 1 ? cursors[k] : 0, end);
      if (k === 1) cursors[k] = c;
      ok = false;
      for (; c < list.length && list[c] <= end + PHRASE_GAP; c++) {
        let gapOk = true;
        for (let p = end; p < list[c]; p++)
          if (!index.nonWordAt(p) || index.docAt(p) !== index.docAt(start)) gapOk = false;
        if (gapOk && (list[c] === end || !crossesField(index, start, list[c]))) {
          end = list[c] + parts[k].length;
          ok = true;
          break;
        }
      }
    }
    if (ok) {
      starts.push(start);
      ends.push(end);
    }
  }
  const length = parts.reduce((n, p) => n + p.length, 0);
  return { ...regroup(index, text, length, Int32Array.from(starts)), ends: Int32Array.from(ends) };
}

/** Whether a and b (a < b) lie in different fields of one document. */
function crossesField(index: NewsIndex, a: number, b: number): boolean {
  const d = index.docAt(a);
  const fieldOf = (p: number) => (p < index.bodyStart(d) ? 0 : p < index.extraStart(d) ? 1 : 2);
  return fieldOf(a) !== fieldOf(b);
}

/** Occurrences (ascending positions) grouped by document. */
export function regroup(
  index: NewsIndex,
  text: string,
  length: number,
  occ: Int32Array,
): TermMatches {
  // At most one document per occurrence: typed arrays of that size, cut to what was found
  // (no growing lists of numbers for a frequent term's tens of thousands of documents).
  const docs = new Int32Array(occ.length);
  const docFrom = new Int32Array(occ.length + 1);
  const { docStarts } = index.arrays;
  // Galloping both ways: to the document of the next occurrence (the documents of a frequent
  // term lie close together), then past that document's occurrences.
  let n = 0;
  let d = -1;
  for (let i = 0; i < occ.length; ) {
    d = seek(docStarts, d + 1, occ[i] + 1) - 1;
    docs[n] = d;
    docFrom[n++] = i;
    i = seek(occ, i + 1, docStarts[d + 1]);
  }
  docFrom[n] = occ.length;
  return { text, length, occ, docs: docs.slice(0, n), docFrom: docFrom.slice(0, n + 1) };
}

/** Position of `doc` in `t.docs`, or -1 (from where the last lookup ended: see seekOn). */
export function docSlot(t: TermMatches, doc: number): number {
  const i = seekOn(t.docs, t.cursor ?? 0, doc);
  t.cursor = i;
  return i < t.docs.length && t.docs[i] === doc ? i : -1;
}

/**
 * Whether the ascending list `docs` holds `d`, from `holder.cursor`, where the last lookup in
 * `docs` ended (then moved to where this one ends).
 */
export function hasDoc(docs: Int32Array, d: number, holder: { cursor?: number }): boolean {
  const i = seekOn(docs, holder.cursor ?? 0, d);
  holder.cursor = i;
  return i < docs.length && docs[i] === d;
}

/**
 * The first i with list[i] ≥ target, galloping from `cursor`, the answer of the previous lookup,
 * when target is past everything before it: the ranking loop asks for its candidates in
 * ascending order, so a lookup costs a step or two instead of a search from the start (at 100k
 * posts a common word's list holds tens of thousands of documents). An earlier target (the
 * originals ranked after the loop) starts from 0.
 */
function seekOn(list: Int32Array, cursor: number, target: number): number {
  return seek(
    list,
    cursor > 0 && cursor <= list.length && list[cursor - 1] < target ? cursor : 0,
    target,
  );
}

/** Ascending intersection of sorted document lists. */
export function intersect(a: Int32Array, b: Int32Array): Int32Array {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    j = seek(b, j, a[i]);
    if (j < b.length && b[j] === a[i]) out.push(a[i]);
  }
  return Int32Array.from(out);
}

/** Ascending union of sorted document lists. */
export function union(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) out[n++] = a[i++];
    else if (i >= a.length || b[j] < a[i]) out[n++] = b[j++];
    else {
      out[n++] = a[i++];
      j++;
    }
  }
  return out.subarray(0, n);
}

/** Documents of `a` that are not in `b`. */
export function difference(a: Int32Array, b: Int32Array): Int32Array {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    j = seek(b, j, a[i]);
    if (!(j < b.length && b[j] === a[i])) out.push(a[i]);
  }
  return Int32Array.from(out);
}

/**
 * The matches of documents that are live (bit set in `live`); `t` itself when all are. Dead
 * documents of a segment (deleted or replaced since it was written) must neither match nor
 * count in document frequencies.
 */
export function liveOnly(t: TermMatches, live: Uint8Array | null): TermMatches {
  if (!live) return t;
  const n = t.docs.length;
  let deadDocs = 0;
  let deadOcc = 0;
  for (let i = 0; i < n; i++) {
    const d = t.docs[i];
    if (((live[d >> 3] >> (d & 7)) & 1) === 0) {
      deadDocs++;
      deadOcc += t.docFrom[i + 1] - t.docFrom[i];
    }
  }
  if (deadDocs === 0) return t;
  const docs = new Int32Array(n - deadDocs);
  const docFrom = new Int32Array(docs.length + 1);
  const size = t.occ.length - deadOcc;
  const out: TermMatches = {
    text: t.text,
    length: t.length,
    occ: new Int32Array(size),
    docs,
    docFrom,
  };
  if (t.ends) out.ends = new Int32Array(size);
  if (t.weights) out.weights = new Float32Array(size);
  if (t.forms) out.forms = new Uint8Array(size);
  // Occurrences of runs of live documents are copied a block at a time.
  let m = 0;
  let at = 0;
  for (let i = 0; i < n; ) {
    const d = t.docs[i];
    if (((live[d >> 3] >> (d & 7)) & 1) === 0) {
      i++;
      continue;
    }
    let j = i;
    for (; j < n; j++) {
      const e = t.docs[j];
      if (((live[e >> 3] >> (e & 7)) & 1) === 0) break;
      docs[m] = e;
      docFrom[m++] = at + t.docFrom[j] - t.docFrom[i];
    }
    const from = t.docFrom[i];
    const to = t.docFrom[j];
    out.occ.set(t.occ.subarray(from, to), at);
    out.ends?.set(t.ends!.subarray(from, to), at);
    out.weights?.set(t.weights!.subarray(from, to), at);
    out.forms?.set(t.forms!.subarray(from, to), at);
    at += to - from;
    i = j;
  }
  docFrom[m] = at;
  return out;
}
