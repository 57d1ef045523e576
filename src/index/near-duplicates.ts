/**
 * Near-duplicate detection at index time: the same story published more than once (a title
 * revised after publication, RTI's `[政治] … - 200721-20` copies, CNA re-posting an article
 * with a photo caption added).
 *
 * 1. Shingles: every 5 consecutive word characters (letters, digits, marks; spaces and
 *    punctuation skipped) of the normalized body, hashed to 32 bits. A body with fewer than
 *    MIN_BODY_SHINGLES shingles is signed by title + body instead (a one-line feed summary, an
 *    empty body); a document with fewer than MIN_SHINGLES shingles in all is never grouped,
 *    so short posts never collapse together.
 * 2. Signature: one-permutation MinHash (each shingle hashed once into one of 128 bins, the
 *    minimum kept per bin) with optimal densification for empty bins (Shrivastava 2017): the
 *    collision probability of 128 independent permutations at 1/128 of the cost.
 * 3. LSH: 32 bands of 4 bins; documents sharing a band are candidates (a pair at Jaccard 0.7
 *    becomes a candidate with probability 0.9998, at 0.3 with probability 0.23).
 * 4. Verification on the exact Jaccard of the two shingle sets (sorted 32-bit shingle hashes,
 *    built only for candidates). Two documents are near-duplicates when
 *      - Jaccard ≥ `threshold` (0.7) and they were published at most `windowHours` (18 h)
 *        apart, or
 *      - Jaccard ≥ `distantThreshold` (0.9), whatever their dates (or when a date is unknown).
 *    The time window is what keeps templated series apart: the daily PLA-incursion and
 *    COVID-case reports reuse most of their text (Jaccard up to 0.885 on the corpus) but are
 *    published a day or more apart, while copies of one story come within hours
 *    (bench/near-duplicates-labels.md).
 * 5. Union-find makes groups; the earliest-dated member represents its group.
 *
 * Everything is seeded: the same input gives the same groups on every run and machine.
 */
import { isWordCodePoint } from '../analysis/analyzer.js';

export interface NearDuplicateOptions {
  /** Jaccard of the shingle sets at or above which documents published close together are near-duplicates. Default 0.7. */
  threshold?: number;
  /** Jaccard at or above which documents are near-duplicates whatever their dates. Default 0.9 (never below `threshold`). */
  distantThreshold?: number;
  /** How far apart (hours) two documents may be published for `threshold` to apply. Default 18. */
  windowHours?: number;
}

export const NEAR_DUPLICATE_DEFAULTS = {
  threshold: 0.7,
  distantThreshold: 0.9,
  windowHours: 18,
} as const;

const SHINGLE = 5;
/** Below this many body shingles the title is added to the signature. */
const MIN_BODY_SHINGLES = 30;
/** Below this many shingles (title + body) a document is never grouped. */
const MIN_SHINGLES = 20;

const BINS = 128;
const BIN_BITS = 7;
const BANDS = 32;
const ROWS = 4;
const EMPTY = 0xffffffff;

/** Murmur3's 32-bit finalizer: a bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Word-character test for the BMP from a table filled on first use (0 unknown, 1 no, 2 yes). */
const bmpWord = new Uint8Array(0x10000);
function isWord(cp: number): boolean {
  if (cp < 0x10000) {
    let v = bmpWord[cp];
    if (v === 0) {
      v = isWordCodePoint(cp) ? 2 : 1;
      bmpWord[cp] = v;
    }
    return v === 2;
  }
  return isWordCodePoint(cp);
}

/**
 * Append the shingle hashes of `cps` to `out` from index `n`; returns the new count.
 * A shingle is 5 consecutive word characters; non-word characters are skipped, not breaks.
 */
function shingles(cps: Int32Array, out: Uint32Array, n: number): number {
  let c0 = 0,
    c1 = 0,
    c2 = 0,
    c3 = 0;
  let seen = 0;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (!isWord(c)) continue;
    if (++seen >= SHINGLE) {
      // FNV-1a-style combination of the five code points, then a full avalanche.
      let h = 0x811c9dc5;
      h = Math.imul(h ^ c0, 0x01000193);
      h = Math.imul(h ^ c1, 0x01000193);
      h = Math.imul(h ^ c2, 0x01000193);
      h = Math.imul(h ^ c3, 0x01000193);
      h = Math.imul(h ^ c, 0x01000193);
      out[n++] = fmix32(h);
    }
    c0 = c1;
    c1 = c2;
    c2 = c3;
    c3 = c;
  }
  return n;
}

/** `buf`, or a larger buffer when it holds fewer than `need` values (contents not kept). */
function grow(buf: Uint32Array, need: number): Uint32Array {
  if (buf.length >= need) return buf;
  return new Uint32Array(Math.max(need, buf.length * 2));
}

/**
 * The shingle hashes a document is signed and compared by (with repeats) into scratch.buf;
 * returns their count. Body only, or title + body when the body is short.
 */
function documentShingles(
  body: Int32Array,
  title: Int32Array,
  scratch: { buf: Uint32Array },
): number {
  scratch.buf = grow(scratch.buf, body.length + title.length);
  let n = shingles(body, scratch.buf, 0);
  if (n < MIN_BODY_SHINGLES) n = shingles(title, scratch.buf, n);
  return n;
}

/**
 * One-permutation MinHash of `hashes[0..n)` into `sig` (BINS values), densified.
 * The bin is the shingle hash's low 7 bits, the value its top 24 bits.
 */
function signature(hashes: Uint32Array, n: number, sig: Uint32Array): void {
  sig.fill(EMPTY);
  for (let i = 0; i < n; i++) {
    const h = hashes[i];
    const bin = h & (BINS - 1);
    const v = h >>> (BIN_BITS + 1); // the other 24 bits: never EMPTY, top bit free
    if (v < sig[bin]) sig[bin] = v;
  }
  // Optimal densification: an empty bin copies the bin a seeded probe sequence reaches first.
  for (let b = 0; b < BINS; b++) {
    if (sig[b] !== EMPTY) continue;
    for (let attempt = 1; ; attempt++) {
      const j = fmix32(Math.imul(b + 1, 0x27d4eb2d) ^ Math.imul(attempt, 0x165667b1)) & (BINS - 1);
      const v = sig[j];
      // Only bins filled by shingles (the top bit marks copies) are sources.
      if (v !== EMPTY && (v & 0x80000000) === 0) {
        sig[b] = (v | 0x80000000) >>> 0;
        break;
      }
    }
  }
  // Copies carry the top bit only to be told apart while densifying; strip it.
  for (let b = 0; b < BINS; b++) sig[b] = (sig[b] & 0x7fffffff) >>> 0;
}

/** Sorted distinct values of hashes[0..n). */
function sortedSet(hashes: Uint32Array, n: number): Uint32Array {
  const a = hashes.slice(0, n).sort();
  let m = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[m - 1]) a[m++] = a[i];
  return a.slice(0, m);
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0,
    j = 0,
    inter = 0;
  while (i < a.length && j < b.length) {
    const x = a[i],
      y = b[j];
    if (x === y) {
      inter++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  const union = a.length + b.length - inter;
  return union === 0 ? 0 : inter / union;
}

/**
 * Exact Jaccard of two documents' shingle sets (the same sets findNearDuplicates compares):
 * for measuring and labelling. NaN when either has too few shingles to be grouped.
 */
export function shingleJaccard(
  bodyA: Int32Array,
  titleA: Int32Array,
  bodyB: Int32Array,
  titleB: Int32Array,
): number {
  const scratch = { buf: new Uint32Array(0) };
  const na = documentShingles(bodyA, titleA, scratch);
  if (na < MIN_SHINGLES) return NaN;
  const a = sortedSet(scratch.buf, na);
  const nb = documentShingles(bodyB, titleB, scratch);
  if (nb < MIN_SHINGLES) return NaN;
  return jaccard(a, sortedSet(scratch.buf, nb));
}

/**
 * For each document, the number of the document representing its near-duplicate group (the
 * earliest-dated member; the lowest number on ties), or -1 when it has no near-duplicate.
 * A representative maps to itself. An unknown date (0 or NaN) counts as later than every
 * known one, and as outside the time window.
 */
/** Union-find over 0..n-1 with path halving; a set's root is its lowest member. */
export function unionFind(n: number): {
  find: (x: number) => number;
  union: (x: number, y: number) => void;
} {
  const parent = new Int32Array(n);
  for (let d = 0; d < n; d++) parent[d] = d;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  const union = (x: number, y: number): void => {
    const rx = find(x);
    const ry = find(y);
    if (rx !== ry) parent[Math.max(rx, ry)] = Math.min(rx, ry);
  };
  return { find, union };
}

/** LSH bands per document (each a 32-bit hash of ROWS signature values): what segments keep. */
export const DUP_BANDS = BANDS;

/**
 * The LSH band hashes of each document (`bands[d * DUP_BANDS + band]`) and whether it is signed
 * at all (enough shingles): two documents are compared when they share a band hash, as
 * findNearDuplicates does. Segments keep these, so a document added later is compared with
 * documents of other segments without their text.
 */
export function nearDuplicateBands(
  bodies: Int32Array[],
  titles: Int32Array[],
): { bands: Uint32Array; signed: Uint8Array } {
  const n = bodies.length;
  const bands = new Uint32Array(n * BANDS);
  const signed = new Uint8Array(n);
  const scratch = { buf: new Uint32Array(1 << 16) };
  const sig = new Uint32Array(BINS);
  for (let d = 0; d < n; d++) {
    const count = documentShingles(bodies[d], titles[d], scratch);
    if (count < MIN_SHINGLES) continue;
    signature(scratch.buf, count, sig);
    signed[d] = 1;
    for (let band = 0; band < BANDS; band++) bands[d * BANDS + band] = bandHash(sig, 0, band);
  }
  return { bands, signed };
}

function bandHash(sigs: Uint32Array, o: number, band: number): number {
  let h = Math.imul(band + 1, 0x9e3779b1);
  for (let r = 0; r < ROWS; r++) h = fmix32((h ^ sigs[o + band * ROWS + r]) + r);
  return h >>> 0;
}

/** A document as the pairwise test needs it: normalized code points and date (ms, 0 unknown). */
export interface DupCandidate {
  body: Int32Array;
  title: Int32Array;
  date: number;
}

/**
 * Whether two documents (that share a band) are near-duplicates: the test findNearDuplicates
 * applies to a candidate pair, with the default options.
 */
export function nearDuplicatePair(a: DupCandidate, b: DupCandidate): boolean {
  const { threshold, distantThreshold, windowHours } = NEAR_DUPLICATE_DEFAULTS;
  const j = shingleJaccard(a.body, a.title, b.body, b.title);
  if (!(j >= 0)) return false;
  const close =
    a.date !== 0 && b.date !== 0 && Math.abs(a.date - b.date) <= windowHours * 3_600_000;
  return j >= (close ? threshold : distantThreshold);
}

export function findNearDuplicates(
  bodies: Int32Array[],
  titles: Int32Array[],
  dates: Float64Array,
  options?: NearDuplicateOptions,
  precomputed?: { bands: Uint32Array; signed: Uint8Array },
): Int32Array {
  const threshold = options?.threshold ?? NEAR_DUPLICATE_DEFAULTS.threshold;
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const distant = Math.max(
    threshold,
    options?.distantThreshold ?? NEAR_DUPLICATE_DEFAULTS.distantThreshold,
  );
  const windowHours = options?.windowHours ?? NEAR_DUPLICATE_DEFAULTS.windowHours;
  if (!(windowHours >= 0)) throw new RangeError(`windowHours must be ≥ 0, got ${windowHours}`);
  const windowMs = windowHours * 3_600_000;
  const n = bodies.length;
  if (titles.length !== n || dates.length !== n)
    throw new RangeError('bodies, titles and dates differ in length');

  // Band hashes of every document with enough shingles (given when the caller keeps them).
  const { bands, signed } = precomputed ?? nearDuplicateBands(bodies, titles);
  const scratch = { buf: new Uint32Array(1 << 16) };

  const { find, union } = unionFind(n);

  // Exact shingle sets, built only for documents that become candidates.
  const sets = new Map<number, Uint32Array>();
  const setOf = (d: number): Uint32Array => {
    let s = sets.get(d);
    if (!s) {
      const count = documentShingles(bodies[d], titles[d], scratch);
      s = sortedSet(scratch.buf, count);
      sets.set(d, s);
    }
    return s;
  };
  const rejected = new Set<number>();

  const tryPair = (a: number, b: number): void => {
    const ra = find(a),
      rb = find(b);
    if (ra === rb) return;
    const key = a < b ? a * n + b : b * n + a;
    if (rejected.has(key)) return;
    const da = dates[a],
      db = dates[b];
    const close = da !== 0 && db !== 0 && Math.abs(da - db) <= windowMs; // false for NaN
    if (jaccard(setOf(a), setOf(b)) < (close ? threshold : distant)) {
      rejected.add(key);
      return;
    }
    union(ra, rb);
  };

  // LSH: per band, an open-addressing table of bucket heads (a bucket = documents with equal
  // band hashes), chained through `next`; each document meets every earlier one in its bucket.
  let cap = 1024;
  while (cap < 2 * n) cap *= 2;
  const table = new Int32Array(cap);
  const next = new Int32Array(n);
  for (let band = 0; band < BANDS; band++) {
    table.fill(-1);
    for (let d = 0; d < n; d++) {
      if (!signed[d]) continue;
      const h = bands[d * BANDS + band];
      let slot = h & (cap - 1);
      for (;;) {
        const e = table[slot];
        if (e === -1) {
          next[d] = -1;
          table[slot] = d;
          break;
        }
        if (bands[e * BANDS + band] === h) {
          for (let m = e; m !== -1; m = next[m]) tryPair(m, d);
          next[d] = e;
          table[slot] = d;
          break;
        }
        slot = (slot + 1) & (cap - 1);
      }
    }
  }

  // Groups of two or more: everyone maps to the earliest-dated member.
  const size = new Int32Array(n);
  for (let d = 0; d < n; d++) size[find(d)]++;
  const rep = new Int32Array(n).fill(-1);
  const when = (d: number) => (dates[d] > 0 || dates[d] < 0 ? dates[d] : Infinity);
  for (let d = 0; d < n; d++) {
    const r = find(d);
    if (size[r] < 2) continue;
    const cur = rep[r];
    if (cur === -1 || when(d) < when(cur)) rep[r] = d; // d ascending: ties keep the lower number
  }
  const out = new Int32Array(n).fill(-1);
  for (let d = 0; d < n; d++) {
    const r = find(d);
    if (size[r] >= 2) out[d] = rep[r];
  }
  return out;
}
