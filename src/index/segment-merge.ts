/**
 * Merging segments (as Lucene's SegmentMerger and tantivy's IndexMerger do): several NewsIndex
 * segments with their live-docs become one holding only their live documents, in segment order,
 * without re-analysing anything. Dead documents are purged here and nowhere else.
 *
 * - Characters: the first segment keeps its ids; characters of later ones get ids after the
 *   ones seen before. A later segment's keys are re-keyed into that table and sorted again (two
 *   stable counting sorts, by second then first character: re-keying changes their order).
 * - Postings: a k-way merge of the segments' key tables; a key's positions are the segments'
 *   positions in segment order (each moved to where its document now lies), so they stay
 *   ascending.
 * - Bits, bodies, near-duplicate bands: copied per segment with the dead documents' ranges cut.
 *   Near-duplicate groups are the reader's (reader.ts), so the merged segment keeps none.
 */
import { NewsIndex, type IndexArrays, type StoredDoc } from './news-index.js';
import { countBits, getBit, upperBound } from './bitset.js';
import { copyKeptBits, fieldTotals, removedRuns, type Runs } from './runs.js';

export interface SegmentPart {
  index: NewsIndex;
  /** Live-docs bits (bit d set = document d is live), or null when all are. */
  live: Uint8Array | null;
}

export function mergeSegments(parts: SegmentPart[], fingerprint: string): NewsIndex {
  // Documents and text ranges kept per part; a paged part's postings and bodies read whole.
  const plans = parts.map(({ index, live }) => {
    const a = index.full();
    const n = index.size;
    const gone = new Uint8Array(n);
    if (live) for (let d = 0; d < n; d++) gone[d] = getBit(live, d) ? 0 : 1;
    const runs = removedRuns(a.docStarts, gone);
    const length = a.docStarts[n];
    return { index, a, gone, runs, length, kept: length - runs.length, offset: 0, firstDoc: 0 };
  });
  let total = 0;
  let n = 0;
  for (const p of plans) {
    p.offset = total;
    p.firstDoc = n;
    total += p.kept;
    for (let d = 0; d < p.gone.length; d++) if (!p.gone[d]) n++;
  }

  // Characters.
  const chars: number[] = [0];
  const ids = new Map<number, number>();
  const remaps = plans.map(({ index }) => {
    const src = index.arrays.chars;
    const remap = new Int32Array(src.length);
    for (let id = 1; id < src.length; id++) {
      const cp = src[id];
      let to = ids.get(cp);
      if (to === undefined) {
        to = chars.push(cp) - 1;
        ids.set(cp, to);
      }
      remap[id] = to;
    }
    return remap;
  });
  const K2 = chars.length;

  // Documents, field starts, bits, bodies, bands (the same count per document in every part).
  const withDocs = parts.find((p) => p.index.size > 0);
  const DUP_BANDS = withDocs ? withDocs.index.arrays.dupBands.length / withDocs.index.size : 0;
  const docs: StoredDoc[] = new Array(n);
  const docStarts = new Int32Array(n + 1);
  const bodyStarts = new Int32Array(n);
  const extraStarts = new Int32Array(n);
  const wordStarts = new Uint8Array((total >> 3) + 1);
  const nonWord = new Uint8Array((total >> 3) + 1);
  const dupBands = new Uint32Array(n * DUP_BANDS);
  const dupSigned = new Uint8Array(n);
  const bodyAstral = new Uint8Array(n);
  const bodyOffsets = new Float64Array(n + 1);
  let bodyBytesTotal = 0;
  for (const { a, gone } of plans) {
    const o = a.bodyOffsets;
    for (let d = 0; d < gone.length; d++) if (!gone[d]) bodyBytesTotal += o[d + 1] - o[d];
  }
  const bodyBytes = new Uint8Array(bodyBytesTotal);
  let m = 0;
  let bodyAt = 0;
  for (const { index, a, gone, runs, length, offset } of plans) {
    copyKeptBits(a.wordStarts, wordStarts, runs, length, offset);
    copyKeptBits(a.nonWord, nonWord, runs, length, offset);
    let cut = 0;
    for (let d = 0; d < gone.length; d++) {
      if (gone[d]) {
        cut += a.docStarts[d + 1] - a.docStarts[d];
        continue;
      }
      const shift = offset - cut;
      docs[m] = index.docs[d];
      docStarts[m] = a.docStarts[d] + shift;
      bodyStarts[m] = a.bodyStarts[d] + shift;
      extraStarts[m] = a.extraStarts[d] + shift;
      dupBands.set(a.dupBands.subarray(d * DUP_BANDS, (d + 1) * DUP_BANDS), m * DUP_BANDS);
      dupSigned[m] = a.dupSigned[d];
      bodyAstral[m] = a.bodyAstral[d];
      const from = a.bodyOffsets[d];
      const to = a.bodyOffsets[d + 1];
      bodyBytes.set(a.bodyBytes.subarray(from, to), bodyAt);
      bodyOffsets[m] = bodyAt;
      bodyAt += to - from;
      m++;
    }
  }
  docStarts[n] = total;
  bodyOffsets[n] = bodyAt;
  wordStarts[total >> 3] |= 1 << (total & 7);

  const postings = mergePostings(plans, remaps, K2);

  const { titleTotal, bodyTotal } = fieldTotals(n, docStarts, bodyStarts, extraStarts);
  const docCount = Math.max(1, n);
  const arrays: IndexArrays = {
    chars: Int32Array.from(chars),
    ...postings,
    dupOf: new Int32Array(n).fill(-1),
    dupBands,
    dupSigned,
    wordStarts,
    nonWord,
    docStarts,
    bodyStarts,
    extraStarts,
    bodyBytes,
    bodyOffsets,
    bodyAstral,
  };
  return new NewsIndex(
    docs,
    arrays,
    { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount },
    fingerprint,
  );
}

interface PartPlan {
  index: NewsIndex;
  /** Its arrays, the paged ones read whole. */
  a: IndexArrays;
  runs: Runs;
  offset: number;
}

/** The order of a part's keys once re-keyed (ascending new keys), and the new keys. */
function rekey(
  index: NewsIndex,
  remap: Int32Array,
  K2: number,
): { order: Uint32Array; keys: Float64Array } {
  const { keys } = index.arrays;
  const K = index.arrays.chars.length;
  const k = keys.length;
  const first = new Int32Array(k);
  const second = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const a = Math.floor(keys[i] / K);
    first[i] = remap[a];
    second[i] = remap[keys[i] - a * K]; // remap[0] = 0: a character followed by a non-word one
  }
  // Stable counting sort by second, then by first.
  const count = new Uint32Array(K2 + 1);
  const bySecond = new Uint32Array(k);
  for (let i = 0; i < k; i++) count[second[i] + 1]++;
  for (let c = 1; c <= K2; c++) count[c] += count[c - 1];
  for (let i = 0; i < k; i++) bySecond[count[second[i]]++] = i;
  count.fill(0);
  for (let i = 0; i < k; i++) count[first[i] + 1]++;
  for (let c = 1; c <= K2; c++) count[c] += count[c - 1];
  const order = new Uint32Array(k);
  for (let j = 0; j < k; j++) {
    const i = bySecond[j];
    order[count[first[i]]++] = i;
  }
  const sorted = new Float64Array(k);
  for (let j = 0; j < k; j++) sorted[j] = first[order[j]] * K2 + second[order[j]];
  return { order, keys: sorted };
}

function mergePostings(
  plans: PartPlan[],
  remaps: Int32Array[],
  K2: number,
): Pick<IndexArrays, 'keys' | 'keyStarts' | 'positions'> {
  // Every word-character position holds one posting: the postings left are those of kept positions.
  let positionCount = 0;
  for (const { a, runs } of plans) {
    let removed = 0;
    for (let t = 0; t < runs.count; t++)
      removed += runs.end[t] - runs.start[t] - countBits(a.nonWord, runs.start[t], runs.end[t]);
    positionCount += a.positions.length - removed;
  }
  const rekeyed = plans.map((p, s) => rekey(p.index, remaps[s], K2));
  let keyCap = 0;
  for (const r of rekeyed) keyCap += r.keys.length;
  const keys = new Float64Array(keyCap);
  const keyStarts = new Uint32Array(keyCap + 1);
  const positions = new Int32Array(positionCount);
  const cursor = new Uint32Array(plans.length);
  let ok = 0;
  let op = 0;
  for (;;) {
    // The smallest next key over the parts (few parts: a linear scan).
    let key = Infinity;
    for (let s = 0; s < plans.length; s++) {
      const c = cursor[s];
      if (c < rekeyed[s].keys.length && rekeyed[s].keys[c] < key) key = rekeyed[s].keys[c];
    }
    if (key === Infinity) break;
    const first = op;
    for (let s = 0; s < plans.length; s++) {
      const c = cursor[s];
      const r = rekeyed[s];
      if (c >= r.keys.length || r.keys[c] !== key) continue;
      cursor[s] = c + 1;
      const { a, runs, offset } = plans[s];
      const src = a.positions;
      const from = a.keyStarts[r.order[c]];
      const to = a.keyStarts[r.order[c] + 1];
      if (runs.count === 0) {
        for (let q = from; q < to; q++) positions[op++] = src[q] + offset;
        continue;
      }
      let t = from < to ? upperBound(runs.end, src[from], 0, runs.count) : 0;
      for (let q = from; q < to; q++) {
        const p = src[q];
        while (p >= runs.end[t]) t++;
        if (p < runs.start[t]) positions[op++] = p - runs.shift[t] + offset;
      }
    }
    if (op > first) {
      keys[ok] = key;
      keyStarts[ok++] = first;
    }
  }
  keyStarts[ok] = op;
  if (op !== positionCount)
    throw new Error(`segment merge: ${op} postings written, ${positionCount} expected`);
  return { keys: keys.slice(0, ok), keyStarts: keyStarts.slice(0, ok + 1), positions };
}
