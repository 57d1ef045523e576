/**
 * The postings of a merged index (merge.ts): the base postings with the removed documents'
 * positions dropped and the rest moved down, re-keyed for the characters the added text brought,
 * merged in key order with the added text's postings (sorted like the builder's: two counting
 * sorts). Runs of base keys that no added posting touches are copied in blocks
 * (TypedArray.set when nothing is removed); a key found in both gets its (moved) base postings
 * followed by the added ones, which all lie above the kept ones.
 */
import type { IndexArrays } from './news-index.js';
import { bigramPostings, type Postings } from './postings.js';
import { countBits, lowerBound, upperBound } from './bitset.js';
import type { Runs } from './runs.js';

/**
 * Postings of the added text (ids: character ids, 0 where not a word character; every field
 * ends with a 0), keyed a * K2 + b, positions offset by `offset` (where the added text starts).
 */
export function deltaPostings(ids: Int32Array, K2: number, offset: number): Postings {
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
export function mergePostings(
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
