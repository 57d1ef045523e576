/**
 * Applying a batch of writes to an index without rebuilding it: a new NewsIndex holding the
 * base's documents minus the removed ones (in their order), then the added ones (in order),
 * search-equivalent to building it from scratch with IndexBuilder, while only the added articles
 * are analysed.
 *
 * - Positions: removed documents are cut out of the code-point space (every later position moves
 *   down by the length removed before it: no tombstones) and the added documents are laid after
 *   the kept ones, so an added posting is always greater than every kept one.
 * - Characters: the base keeps its character ids; characters it never had get ids from
 *   K = base.chars.length on. Keys are a * K' + b, so when K' > K every base key is re-encoded
 *   (the order of keys does not change: it is the order of (a, b) either way).
 * - Postings: the added text's postings are sorted like the builder's (two counting sorts); then
 *   base keys and added keys are merged in key order. Runs of base keys that no added posting
 *   touches are copied in blocks (TypedArray.set when nothing is removed); a key found in both
 *   gets its (remapped) base postings followed by the added ones.
 * - Word-start and non-word bits are copied with the removed ranges cut out, shifted by any
 *   number of bits.
 * - Near-duplicates: base groups stay (renumbered; a group whose representative was removed gets
 *   its earliest remaining member). Added documents are compared with each other and with the
 *   base documents published within the detection window of one of them.
 * - Vocabulary: title-term counts adjusted by the added and removed titles, in VocabularyTally's
 *   order and limit (a term the base had dropped past the limit restarts from the added titles).
 *
 * The base is only read: it keeps answering queries during and after the merge.
 */
import {
  analyzeText,
  isWordCodePoint,
  normalizeText,
  type AnalyzedText,
} from '../analysis/analyzer.js';
import { NewsIndex, type IndexArrays, type StoredDoc } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';
import { bigramPostings, type Postings } from './postings.js';
import {
  MAX_VOCABULARY_ENTRIES,
  isSimplifiedForm,
  mostFrequent,
  titleTerms,
  vocabularyOrder,
  addPinyin,
  type VocabularyEntry,
} from './vocabulary.js';
import {
  DUP_BANDS,
  findNearDuplicates,
  nearDuplicateBands,
  NEAR_DUPLICATE_DEFAULTS,
  unionFind,
} from './near-duplicates.js';
import { countBits, lowerBound, partitionPoint, upperBound } from './bitset.js';
import { copyKeptBits, fieldTotals, removedRuns, type Runs } from './runs.js';

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
  const runs = removedRuns(src.docStarts, gone);
  const baseLength = src.docStarts[nBase];
  const keptLength = baseLength - runs.length;
  let addedLength = 0;
  for (const item of added)
    addedLength +=
      item.title.codePoints.length + item.body.codePoints.length + item.extra.codePoints.length + 3;
  const total = keptLength + addedLength;

  // Documents: kept ones renumbered, then the added ones.
  const keptCount = nBase - countOnes(gone);
  const n = keptCount + added.length;
  const docStarts = new Int32Array(n + 1);
  const bodyStarts = new Int32Array(n);
  const extraStarts = new Int32Array(n);
  const newNumber = new Int32Array(nBase).fill(-1);
  const docs: StoredDoc[] = new Array(n);
  {
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
  }

  // Bits of the kept text, moved down over the removed ranges.
  const wordStarts = new Uint8Array((total >> 3) + 1);
  const nonWord = new Uint8Array((total >> 3) + 1);
  copyKeptBits(src.wordStarts, wordStarts, runs, baseLength);
  copyKeptBits(src.nonWord, nonWord, runs, baseLength);

  // The added text: character ids (new characters appended), bits, document starts.
  const K = src.chars.length;
  const newChars: number[] = [];
  const newIds = new Map<number, number>(); // code point → id ≥ K, or -1 when not a word character
  const ids = new Int32Array(addedLength);
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
      else nonWord[(g + i) >> 3] |= 1 << ((g + i) & 7);
    }
    nonWord[(g + cps.length) >> 3] |= 1 << ((g + cps.length) & 7);
    const flags = text.wordStarts;
    for (let i = 0; i <= cps.length; i++) {
      if (i === cps.length || flags[i]) wordStarts[(g + i) >> 3] |= 1 << ((g + i) & 7);
    }
    return at + cps.length + 1;
  };
  {
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
  }
  wordStarts[total >> 3] |= 1 << (total & 7);
  const K2 = K + newChars.length;
  const chars = new Int32Array(K2);
  chars.set(src.chars);
  chars.set(newChars, K);

  const bodies = mergeBodies(src, gone, newNumber, n, added);
  const postings = mergePostings(src, runs, K, K2, deltaPostings(ids, K2, keptLength));
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

/** An article as the index stores it (as IndexBuilder does: all but the body). */
export function storedDoc(item: AnalyzedArticle): StoredDoc {
  const { body: _body, ...doc } = item.article;
  return doc;
}

function countOnes(a: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += a[i];
  return c;
}

/** Near-duplicate band hashes of the kept documents, then of the added ones. */
function mergeBands(
  src: IndexArrays,
  gone: Uint8Array,
  newNumber: Int32Array,
  n: number,
  added: AnalyzedArticle[],
): Pick<IndexArrays, 'dupBands' | 'dupSigned'> {
  const dupBands = new Uint32Array(n * DUP_BANDS);
  const dupSigned = new Uint8Array(n);
  for (let d = 0; d < gone.length; d++) {
    if (gone[d]) continue;
    const m = newNumber[d];
    dupBands.set(src.dupBands.subarray(d * DUP_BANDS, (d + 1) * DUP_BANDS), m * DUP_BANDS);
    dupSigned[m] = src.dupSigned[d];
  }
  const fresh = nearDuplicateBands(
    added.map((i) => i.body.codePoints),
    added.map((i) => i.title.codePoints),
  );
  const keptCount = n - added.length;
  dupBands.set(fresh.bands, keptCount * DUP_BANDS);
  dupSigned.set(fresh.signed, keptCount);
  return { dupBands, dupSigned };
}

/** Bodies of the kept documents (copied by runs of consecutive documents), then the added ones. */
function mergeBodies(
  src: IndexArrays,
  gone: Uint8Array,
  newNumber: Int32Array,
  n: number,
  added: AnalyzedArticle[],
): Pick<IndexArrays, 'bodyBytes' | 'bodyOffsets' | 'bodyAstral'> {
  const nBase = gone.length;
  const addedBodies = added.map((i) => Buffer.from(i.article.body, 'utf16le'));
  let bytes = 0;
  for (let d = 0; d < nBase; d++)
    if (!gone[d]) bytes += src.bodyOffsets[d + 1] - src.bodyOffsets[d];
  for (const b of addedBodies) bytes += b.byteLength;
  const bodyBytes = new Uint8Array(bytes);
  const bodyOffsets = new Float64Array(n + 1);
  const bodyAstral = new Uint8Array(n);
  let at = 0;
  for (let d = 0; d < nBase; ) {
    if (gone[d]) {
      d++;
      continue;
    }
    let e = d;
    while (e < nBase && !gone[e]) e++;
    const from = src.bodyOffsets[d];
    const to = src.bodyOffsets[e];
    bodyBytes.set(src.bodyBytes.subarray(from, to), at);
    for (let x = d; x < e; x++) {
      const m = newNumber[x];
      bodyOffsets[m] = at + src.bodyOffsets[x] - from;
      bodyAstral[m] = src.bodyAstral[x];
    }
    at += to - from;
    d = e;
  }
  const keptCount = n - added.length;
  addedBodies.forEach((b, i) => {
    bodyOffsets[keptCount + i] = at;
    bodyBytes.set(b, at);
    at += b.byteLength;
    bodyAstral[keptCount + i] = /[\ud800-\udfff]/.test(added[i].article.body) ? 1 : 0;
  });
  bodyOffsets[n] = at;
  return { bodyBytes, bodyOffsets, bodyAstral };
}

/**
 * Postings of the added text (ids: character ids, 0 where not a word character; every field
 * ends with a 0), keyed a * K2 + b, positions offset by `offset` (where the added text starts).
 */
function deltaPostings(ids: Int32Array, K2: number, offset: number): Postings {
  const postings = bigramPostings(ids, K2);
  const { positions } = postings;
  for (let i = 0; i < positions.length; i++) positions[i] += offset;
  return postings;
}

/**
 * The base postings with removed positions dropped and the rest moved down, re-keyed from
 * base K to K2, merged in key order with the added postings (keyed with K2, positions all above
 * the kept ones).
 */
function mergePostings(
  src: IndexArrays,
  runs: Runs,
  K: number,
  K2: number,
  delta: Postings,
): Postings {
  const bk = src.keys;
  const bks = src.keyStarts;
  const nbk = bk.length;
  const nd = delta.keys.length;
  // Every word-character position holds exactly one posting, so the removed postings are the
  // removed positions that are not non-word.
  let removedPostings = 0;
  for (let t = 0; t < runs.count; t++)
    removedPostings +=
      runs.end[t] - runs.start[t] - countBits(src.nonWord, runs.start[t], runs.end[t]);
  const positionCount = bks[nbk] - removedPostings + delta.positions.length;
  const keyCap = nbk + nd;
  const out: Postings = {
    keys: new Float64Array(keyCap),
    keyStarts: new Uint32Array(keyCap + 1),
    positions: allocInt32(positionCount),
  };
  const at: Cursor = { ok: 0, op: 0 };
  const grow = K2 - K;

  let i = 0;
  for (let j = 0; j < nd; j++) {
    const dk = delta.keys[j];
    const a = Math.floor(dk / K2);
    const b = dk - a * K2;
    let stop: number;
    let shared = false;
    if (a >= K)
      stop = nbk; // a new first character: after every base key
    else if (b >= K)
      stop = lowerBound(bk, (a + 1) * K, i, nbk); // a new second character: after a's base keys
    else {
      const baseKey = a * K + b;
      stop = lowerBound(bk, baseKey, i, nbk);
      shared = stop < nbk && bk[stop] === baseKey;
    }
    copyBaseKeys(src, i, stop, runs, K, grow, out, at);
    i = stop;
    // The added key: after the kept postings of the same key in the base, if any (all smaller).
    const ok = at.ok;
    const first = at.op;
    if (shared) {
      copyBaseKeys(src, i, i + 1, runs, K, grow, out, at);
      i++;
    }
    out.keys[ok] = dk;
    out.keyStarts[ok] = first;
    const ds = delta.keyStarts[j];
    const de = delta.keyStarts[j + 1];
    out.positions.set(delta.positions.subarray(ds, de), at.op);
    at.op += de - ds;
    at.ok = ok + 1;
  }
  copyBaseKeys(src, i, nbk, runs, K, grow, out, at);
  const { ok, op } = at;
  out.keyStarts[ok] = op;
  if (op !== positionCount)
    throw new Error(
      `merge: ${op} postings written, ${positionCount} expected (inconsistent index)`,
    );
  // Keys dropped with the removed documents leave slack; a view keeps it unless it is large.
  const trim = <T extends Float64Array | Uint32Array>(a: T, length: number): T =>
    (a.length - length > a.length >> 4 ? a.slice(0, length) : a.subarray(0, length)) as T;
  return {
    keys: trim(out.keys, ok),
    keyStarts: trim(out.keyStarts, ok + 1),
    positions: out.positions,
  };
}

/** Keys and positions written so far. */
interface Cursor {
  ok: number;
  op: number;
}

/**
 * Append base keys [from, to) to `out` at `at`: re-keyed (+ a * grow), positions in removed runs
 * dropped, the others moved down; a key left without positions is dropped.
 */
function copyBaseKeys(
  src: IndexArrays,
  from: number,
  to: number,
  runs: Runs,
  K: number,
  grow: number,
  out: Postings,
  at: Cursor,
): void {
  if (to <= from) return;
  const bk = src.keys;
  const bks = src.keyStarts;
  const bp = src.positions;
  const { keys, keyStarts, positions } = out;
  let ok = at.ok;
  let op = at.op;
  if (runs.count === 0) {
    // Nothing removed: blocks.
    const ps = bks[from];
    const pe = bks[to];
    positions.set(bp.subarray(ps, pe), op);
    if (grow !== 0)
      for (let i = from; i < to; i++) keys[ok + i - from] = bk[i] + Math.floor(bk[i] / K) * grow;
    else keys.set(bk.subarray(from, to), ok);
    const moved = op - ps;
    if (moved === 0) keyStarts.set(bks.subarray(from, to), ok);
    else for (let i = from; i < to; i++) keyStarts[ok + i - from] = bks[i] + moved;
    at.ok = ok + to - from;
    at.op = op + pe - ps;
    return;
  }
  const { start: rStart, end: rEnd, shift: rShift, count } = runs;
  for (let k = from; k < to; k++) {
    const s = bks[k];
    const e = bks[k + 1];
    const first = op;
    // Runs t .. u-1 fall among the key's positions: t is the first run ending after its first
    // position, u the first starting after its last.
    let t = upperBound(rEnd, bp[s], 0, count);
    const u = upperBound(rStart, bp[e - 1], t, count);
    if (u - t <= (e - s) >> 3) {
      // Few runs for its positions: each run's bounds by binary search, tight loops between.
      let q = s;
      for (; t < u; t++) {
        const i = lowerBound(bp, rStart[t], q, e);
        const shift = rShift[t];
        for (; q < i; q++) positions[op++] = bp[q] - shift;
        q = lowerBound(bp, rEnd[t], i, e);
      }
      const shift = rShift[u];
      if (shift === 0 && e - q > 64) {
        positions.set(bp.subarray(q, e), op);
        op += e - q;
      } else for (; q < e; q++) positions[op++] = bp[q] - shift;
    } else {
      // Runs as dense as its positions: one walk over both.
      for (let q = s; q < e; q++) {
        const p = bp[q];
        while (p >= rEnd[t]) t++;
        if (p < rStart[t]) positions[op++] = p - rShift[t];
      }
    }
    if (op > first) {
      keys[ok] = grow !== 0 ? bk[k] + Math.floor(bk[k] / K) * grow : bk[k];
      keyStarts[ok++] = first;
    }
  }
  at.ok = ok;
  at.op = op;
}

/** An Int32Array of `length` whose contents the caller overwrites entirely (no zero fill). */
function allocInt32(length: number): Int32Array {
  const buf = Buffer.allocUnsafeSlow(length * 4);
  return new Int32Array(buf.buffer, buf.byteOffset, length);
}

/**
 * Normalized code points of the documents last compared for near-duplicates (the added ones and
 * their candidates), by document: a kept document keeps its StoredDoc object from index to
 * index, so the next batch of writes, usually published close to this one, need not normalize
 * its candidates again (OpenCC is most of that cost). Bounded: least recently used dropped.
 */
const NORMALIZED_CACHE_SIZE = 1024;
const normalizedCache = new Map<StoredDoc, { body: Int32Array; title: Int32Array }>();

function remember(doc: StoredDoc, cps: { body: Int32Array; title: Int32Array }): void {
  normalizedCache.delete(doc);
  normalizedCache.set(doc, cps);
  if (normalizedCache.size > NORMALIZED_CACHE_SIZE)
    normalizedCache.delete(normalizedCache.keys().next().value!);
}

/** When a document counts as published for choosing a representative: unknown dates last. */
function when(ms: number): number {
  return ms > 0 || ms < 0 ? ms : Infinity;
}

/**
 * Near-duplicate representatives of the merged index: base groups kept (renumbered; a removed
 * representative replaced by the earliest remaining member, a group left with one member
 * dissolved), and each added document grouped with the documents it duplicates among the other
 * added ones and the base documents published within the window of an added one.
 */
function mergeDuplicates(
  base: NewsIndex,
  gone: Uint8Array,
  newNumber: Int32Array,
  docs: StoredDoc[],
  added: AnalyzedArticle[],
): Int32Array {
  const nBase = gone.length;
  const n = docs.length;
  const keptCount = n - added.length;
  const baseDup = base.arrays.dupOf;
  const dates = new Float64Array(n);
  for (let d = 0; d < nBase; d++) if (!gone[d]) dates[newNumber[d]] = base.dateMs[d];
  added.forEach((item, i) => {
    dates[keptCount + i] = item.article.date ? Date.parse(item.article.date) || 0 : 0;
  });
  const earlier = (x: number, y: number) =>
    when(dates[x]) < when(dates[y]) || (when(dates[x]) === when(dates[y]) && x < y);

  const dupOf = new Int32Array(n).fill(-1);
  const orphans = new Map<number, number[]>(); // removed representative → remaining members
  for (let d = 0; d < nBase; d++) {
    const r = baseDup[d];
    if (gone[d] || r < 0) continue;
    if (!gone[r]) dupOf[newNumber[d]] = newNumber[r];
    else {
      let members = orphans.get(r);
      if (!members) orphans.set(r, (members = []));
      members.push(newNumber[d]);
    }
  }
  for (const members of orphans.values()) {
    if (members.length < 2) continue;
    let rep = members[0];
    for (const m of members) if (earlier(m, rep)) rep = m;
    for (const m of members) dupOf[m] = rep;
  }
  if (added.length === 0) return dupOf;

  // Base documents within the window of an added one (both dated), as findNearDuplicates requires for grouping below distantThreshold.
  const windowMs = NEAR_DUPLICATE_DEFAULTS.windowHours * 3_600_000;
  const addedDates = Array.from(dates.subarray(keptCount))
    .filter((t) => t !== 0 && !Number.isNaN(t))
    .sort((x, y) => x - y);
  const near = (t: number): boolean => {
    if (t === 0 || Number.isNaN(t) || addedDates.length === 0) return false;
    // The first added date ≥ t - window must be ≤ t + window.
    const lo = lowerBound(addedDates, t - windowMs);
    return lo < addedDates.length && addedDates[lo] <= t + windowMs;
  };
  const candidates: number[] = []; // new numbers, then the added documents
  for (let d = 0; d < nBase; d++)
    if (!gone[d] && near(base.dateMs[d])) candidates.push(newNumber[d]);
  const oldNumber = new Int32Array(keptCount);
  for (let d = 0; d < nBase; d++) if (!gone[d]) oldNumber[newNumber[d]] = d;
  const bodies: Int32Array[] = [];
  const titles: Int32Array[] = [];
  for (const m of candidates) {
    const d = oldNumber[m];
    const doc = base.docs[d];
    // Code points as the builder had them (normalized; word starts play no part here).
    const cps = normalizedCache.get(doc) ?? {
      body: normalizeText(base.body(d)).codePoints,
      title: normalizeText(doc.title).codePoints,
    };
    remember(doc, cps);
    bodies.push(cps.body);
    titles.push(cps.title);
  }
  added.forEach((item, i) => {
    candidates.push(keptCount + i);
    bodies.push(item.body.codePoints);
    titles.push(item.title.codePoints);
    remember(docs[keptCount + i], { body: item.body.codePoints, title: item.title.codePoints });
  });
  const local = findNearDuplicates(
    bodies,
    titles,
    Float64Array.from(candidates, (m) => dates[m]),
  );

  // Union the base groups with the new links; groups reached by an added document get the
  // earliest member as representative, the others stay as they are.
  const { find, union } = unionFind(n);
  for (let d = 0; d < keptCount; d++) if (dupOf[d] >= 0) union(d, dupOf[d]);
  let linked = false;
  local.forEach((r, x) => {
    if (r >= 0 && r !== x) {
      union(candidates[x], candidates[r]);
      linked = true;
    }
  });
  if (!linked) return dupOf;
  const touched = new Set<number>();
  for (let d = keptCount; d < n; d++) touched.add(find(d));
  const members = new Map<number, number[]>();
  for (let d = 0; d < n; d++) {
    const root = find(d);
    if (!touched.has(root)) continue;
    let list = members.get(root);
    if (!list) members.set(root, (list = []));
    list.push(d);
  }
  for (const list of members.values()) {
    if (list.length < 2) continue;
    let rep = list[0];
    for (const m of list) if (earlier(m, rep)) rep = m;
    for (const m of list) dupOf[m] = rep;
  }
  return dupOf;
}

interface TermTally {
  df: number;
  tw: Map<string, number>;
  cn: Map<string, number>;
}

/**
 * The base vocabulary with the removed titles' terms counted out and the added ones' in: the
 * changed entries taken out of the base (which is in vocabularyOrder) and put back where they
 * now sort, cut to the limit as VocabularyTally does. Entries keep their surface forms; a form an entry lacked, and
 * the forms of new entries, come from the added titles.
 */
export function mergeVocabulary(
  base: readonly VocabularyEntry[],
  removedTitles: [string, string][][],
  addedTitles: [string, string][][],
): VocabularyEntry[] {
  const delta = new Map<string, TermTally>();
  const tally = (text: string): TermTally => {
    let t = delta.get(text);
    if (!t) delta.set(text, (t = { df: 0, tw: new Map(), cn: new Map() }));
    return t;
  };
  for (const terms of removedTitles) for (const [text] of terms) tally(text).df--;
  for (const terms of addedTitles) {
    for (const [text, surface] of terms) {
      const t = tally(text);
      t.df++;
      const forms = isSimplifiedForm(surface, text) ? t.cn : t.tw;
      forms.set(surface, (forms.get(surface) ?? 0) + 1);
    }
  }
  if (delta.size === 0) return base.slice();
  // The base is in vocabularyOrder (as VocabularyTally and this function leave it): take out the
  // entries that change, then put the changed ones back where they sort.
  const order = (a: VocabularyEntry, b: VocabularyEntry) =>
    vocabularyOrder(a.text, a.df, b.text, b.df);
  const changed: VocabularyEntry[] = [];
  const taken: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const e = base[i];
    const t = delta.get(e.text);
    if (!t) continue;
    taken.push(i);
    delta.delete(e.text);
    const df = e.df + t.df;
    if (df <= 0) continue;
    const entry: VocabularyEntry = { text: e.text, df };
    if (e.py !== undefined) entry.py = e.py;
    if (e.pyAlt) entry.pyAlt = e.pyAlt;
    const tw = e.tw ?? mostFrequent(t.tw);
    const cn = e.cn ?? mostFrequent(t.cn);
    if (tw) entry.tw = tw;
    if (cn) entry.cn = cn;
    changed.push(entry);
  }
  for (const [text, t] of delta) {
    if (t.df <= 0) continue;
    const entry: VocabularyEntry = { text, df: t.df };
    const tw = mostFrequent(t.tw);
    const cn = mostFrequent(t.cn);
    if (tw) entry.tw = tw;
    if (cn) entry.cn = cn;
    changed.push(entry);
  }
  changed.sort(order);
  const out: VocabularyEntry[] = [];
  let i = 0; // next base entry
  let x = 0; // next taken index
  const copyTo = (end: number) => {
    while (i < end) {
      const stop = x < taken.length && taken[x] < end ? taken[x] : end;
      for (; i < stop; i++) out.push(base[i]);
      if (i === stop && stop < end) {
        i++; // taken out
        x++;
      }
    }
  };
  for (const c of changed) {
    // Base entries that sort before c.
    copyTo(partitionPoint(i, base.length, (m) => order(base[m], c) < 0));
    out.push(c);
    if (out.length >= MAX_VOCABULARY_ENTRIES) break;
  }
  copyTo(base.length);
  const merged = out.length > MAX_VOCABULARY_ENTRIES ? out.slice(0, MAX_VOCABULARY_ENTRIES) : out;
  addPinyin(merged); // the new entries' (the others keep theirs)
  return merged;
}
