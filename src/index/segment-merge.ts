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
 *
 * Parts are read piecemeal: a paged part's postings one first character's block at a time, its
 * bodies in chunks. Two outputs: `mergeSegments` builds the merged segment in memory;
 * `mergeSegmentsToFile` streams its postings and bodies, the arrays that grow with the text,
 * into its segment file as they are merged, so a merge holds only the per-document and per-key
 * arrays (about a quarter of a segment's file), whatever the size of the merge.
 */
import { NewsIndex, type IndexArrays, type StoredDoc } from './news-index.js';
import { countBits, getBit, lowerBound, upperBound } from './bitset.js';
import { copyKeptBits, fieldTotals, removedRuns, type Runs } from './runs.js';
import { writeSegmentFile, type StreamedArray } from './store.js';
import { type PageCache, SegmentFile } from './segment-file.js';

export interface SegmentPart {
  index: NewsIndex;
  /** Live-docs bits (bit d set = document d is live), or null when all are. */
  live: Uint8Array | null;
}

/** Body bytes read from a part at once (a merge streaming to its file). */
const BODY_CHUNK = 8 << 20;
/** Positions written to the file at once. */
const POSITION_CHUNK = 1 << 20;

interface PartPlan {
  index: NewsIndex;
  /** Its arrays (a paged part's postings and bodies empty: read through `index`). */
  a: IndexArrays;
  gone: Uint8Array;
  runs: Runs;
  length: number;
  kept: number;
  /** Where its first kept position lies in the merged segment. */
  offset: number;
}

/** Everything of the merged segment but its postings and body bytes. */
interface MergedResident {
  docs: StoredDoc[];
  arrays: Omit<IndexArrays, 'keys' | 'keyStarts' | 'positions' | 'bodyBytes'>;
  /** Per part: its character ids → merged ones. */
  remaps: Int32Array[];
  positionCount: number;
  bodyByteCount: number;
}

function planParts(parts: SegmentPart[]): PartPlan[] {
  let offset = 0;
  return parts.map(({ index, live }) => {
    const a = index.arrays;
    const n = index.size;
    const gone = new Uint8Array(n);
    if (live) for (let d = 0; d < n; d++) gone[d] = getBit(live, d) ? 0 : 1;
    const runs = removedRuns(a.docStarts, gone);
    const length = a.docStarts[n];
    const plan = { index, a, gone, runs, length, kept: length - runs.length, offset };
    offset += plan.kept;
    return plan;
  });
}

function mergeResident(plans: PartPlan[]): MergedResident {
  let total = 0;
  let n = 0;
  for (const p of plans) {
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

  // Documents, field starts, bits, body offsets, bands (the same count per document in every part).
  const withDocs = plans.find((p) => p.index.size > 0);
  const DUP_BANDS = withDocs ? withDocs.a.dupBands.length / withDocs.index.size : 0;
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
      bodyOffsets[m] = bodyAt;
      bodyAt += a.bodyOffsets[d + 1] - a.bodyOffsets[d];
      m++;
    }
  }
  docStarts[n] = total;
  bodyOffsets[n] = bodyAt;
  wordStarts[total >> 3] |= 1 << (total & 7);

  // Every word-character position holds one posting: the postings left are those of kept positions.
  let positionCount = 0;
  for (const { index, a, runs } of plans) {
    let removed = 0;
    for (let t = 0; t < runs.count; t++)
      removed += runs.end[t] - runs.start[t] - countBits(a.nonWord, runs.start[t], runs.end[t]);
    positionCount += index.positionCount - removed;
  }
  return {
    docs,
    arrays: {
      chars: Int32Array.from(chars),
      dupOf: new Int32Array(n).fill(-1),
      dupBands,
      dupSigned,
      wordStarts,
      nonWord,
      docStarts,
      bodyStarts,
      extraStarts,
      bodyOffsets,
      bodyAstral,
    },
    remaps,
    positionCount,
    bodyByteCount: bodyAt,
  };
}

function statsOf(r: MergedResident) {
  const n = r.docs.length;
  const { docStarts, bodyStarts, extraStarts } = r.arrays;
  const { titleTotal, bodyTotal } = fieldTotals(n, docStarts, bodyStarts, extraStarts);
  const docCount = Math.max(1, n);
  return { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount };
}

/** The kept documents' bodies of a part, in order, in chunks of contiguous live documents. */
function keptBodies(p: PartPlan, emit: (bytes: Uint8Array) => void): void {
  const { gone } = p;
  const o = p.a.bodyOffsets;
  for (let d = 0; d < gone.length; ) {
    if (gone[d]) {
      d++;
      continue;
    }
    let e = d + 1;
    while (e < gone.length && !gone[e] && o[e + 1] - o[d] <= BODY_CHUNK) e++;
    if (o[e] > o[d]) emit(p.index.readBodyBytes(o[d], o[e]));
    d = e;
  }
}

export function mergeSegments(parts: SegmentPart[], fingerprint: string): NewsIndex {
  const plans = planParts(parts);
  const r = mergeResident(plans);
  const bodyBytes = new Uint8Array(r.bodyByteCount);
  let at = 0;
  for (const p of plans)
    keptBodies(p, (bytes) => {
      bodyBytes.set(bytes, at);
      at += bytes.byteLength;
    });
  const positions = new Int32Array(r.positionCount);
  const { keys, keyStarts } = mergePostings(plans, r, { buffer: positions, flush: null });
  return new NewsIndex(
    r.docs,
    { ...r.arrays, keys, keyStarts, positions, bodyBytes },
    statsOf(r),
    fingerprint,
  );
}

/**
 * The merged segment written to `path` (checksummed, fsynced; see above) and returned over it:
 * its postings and bodies read from the file on demand through `cache`.
 */
export function mergeSegmentsToFile(
  parts: SegmentPart[],
  fingerprint: string,
  path: string,
  cache: PageCache,
): NewsIndex {
  const plans = planParts(parts);
  const r = mergeResident(plans);
  // The file's header gives every array's length before the postings: a first pass over the
  // key tables counts each merged key's kept postings (reading only parts with dead documents).
  const { keys, keyStarts } = mergePostings(plans, r, null);
  const positions: StreamedArray = {
    length: r.positionCount,
    write: (put) => {
      const written = mergePostings(plans, r, {
        buffer: new Int32Array(POSITION_CHUNK),
        flush: put,
      });
      if (written.keyStarts.length !== keyStarts.length)
        throw new Error('segment merge: the postings changed between the two passes');
    },
  };
  const bodyBytes: StreamedArray = {
    length: r.bodyByteCount,
    write: (put) => {
      for (const p of plans) keptBodies(p, put);
    },
  };
  const stats = statsOf(r);
  const arrays = { ...r.arrays, keys, keyStarts };
  const { header, start } = writeSegmentFile(path, {
    stats,
    docs: r.docs,
    arrays: { ...arrays, positions, bodyBytes },
  });
  const index = new NewsIndex(
    r.docs,
    { ...arrays, positions: new Int32Array(0), bodyBytes: new Uint8Array(0) },
    stats,
    fingerprint,
  );
  index.pageOut(new SegmentFile(path, header, start, cache));
  return index;
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

/**
 * A part's posting lists, one block of lists (all keys of one first character, contiguous in
 * its file) read at a time: the merge visits keys by merged first character, and each of those
 * is one first character of the part, so each block is read once.
 */
class PartPostings {
  private blockFirst = -1;
  private block: Int32Array = new Int32Array(0);
  private blockAt = 0;

  constructor(private readonly index: NewsIndex) {}

  /** The positions of the part's key number `i` (a view, valid until the next block). */
  list(i: number): Int32Array {
    const { keys, keyStarts, chars } = this.index.arrays;
    const K = chars.length;
    const first = Math.floor(keys[i] / K);
    if (first !== this.blockFirst) {
      const lo = lowerBound(keys, first * K);
      const hi = lowerBound(keys, (first + 1) * K);
      this.block = this.index.readPositions(keyStarts[lo], keyStarts[hi]);
      this.blockAt = keyStarts[lo];
      this.blockFirst = first;
    }
    return this.block.subarray(keyStarts[i] - this.blockAt, keyStarts[i + 1] - this.blockAt);
  }
}

/** Positions out: into `buffer`, handed to `flush` whenever full (null: it holds them all). */
interface PositionsOut {
  buffer: Int32Array;
  flush: ((chunk: Int32Array) => void) | null;
}

/**
 * The k-way merge of the parts' key tables. With `out`, writes the merged postings to it; with
 * null, only counts them (reading the postings of parts with dead documents, whose lists lose
 * entries). Returns the merged keys (those with postings left) and their starts.
 */
function mergePostings(
  plans: PartPlan[],
  r: MergedResident,
  out: PositionsOut | null,
): Pick<IndexArrays, 'keys' | 'keyStarts'> {
  const K2 = r.arrays.chars.length;
  const rekeyed = plans.map((p, s) => rekey(p.index, r.remaps[s], K2));
  const lists = plans.map((p) => new PartPostings(p.index));
  let keyCap = 0;
  for (const rk of rekeyed) keyCap += rk.keys.length;
  const keys = new Float64Array(keyCap);
  const keyStarts = new Uint32Array(keyCap + 1);
  const cursor = new Uint32Array(plans.length);
  let buffer = out?.buffer ?? new Int32Array(0);
  let at = 0; // in buffer
  let op = 0; // postings so far
  // Room for k more in the buffer (one holding them all has it: the count is checked below).
  const room = (k: number) => {
    if (at + k <= buffer.length || !out?.flush) return;
    out.flush(buffer.subarray(0, at));
    at = 0;
    if (k > buffer.length) buffer = new Int32Array(k);
  };
  let ok = 0;
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
      const rk = rekeyed[s];
      if (c >= rk.keys.length || rk.keys[c] !== key) continue;
      cursor[s] = c + 1;
      const { a, runs, offset } = plans[s];
      const i = rk.order[c];
      if (runs.count === 0) {
        const count = a.keyStarts[i + 1] - a.keyStarts[i];
        if (out) {
          const src = lists[s].list(i);
          room(count);
          for (let q = 0; q < count; q++) buffer[at++] = src[q] + offset;
        }
        op += count;
        continue;
      }
      const src = lists[s].list(i);
      if (out) room(src.length);
      let t = src.length > 0 ? upperBound(runs.end, src[0], 0, runs.count) : 0;
      for (let q = 0; q < src.length; q++) {
        const p = src[q];
        while (p >= runs.end[t]) t++;
        if (p >= runs.start[t]) continue;
        if (out) buffer[at++] = p - runs.shift[t] + offset;
        op++;
      }
    }
    if (op > first) {
      keys[ok] = key;
      keyStarts[ok++] = first;
    }
  }
  keyStarts[ok] = op;
  if (op !== r.positionCount)
    throw new Error(`segment merge: ${op} postings merged, ${r.positionCount} expected`);
  if (out?.flush && at > 0) out.flush(buffer.subarray(0, at));
  return { keys: keys.slice(0, ok), keyStarts: keyStarts.slice(0, ok + 1) };
}
