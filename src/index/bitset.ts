/**
 * Bit arrays (one bit per position or document, least significant bit first) and binary search
 * over sorted arrays: the helpers the index layout, merges and live-docs share.
 */

export type SortedArray = ArrayLike<number>;

/** A zeroed bit array for bits 0 to `n` (one past `n` positions, as the layout keeps). */
export function newBits(n: number): Uint8Array {
  return new Uint8Array((n >> 3) + 1);
}

export function getBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] >> (i & 7)) & 1) === 1;
}

export function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] |= 1 << (i & 7);
}

export function clearBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] &= ~(1 << (i & 7));
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x; x >>= 1) c += x & 1;
  return c;
});

/** Set bits in bits[from, to). */
export function countBits(bits: Uint8Array, from: number, to: number): number {
  let c = 0;
  let p = from;
  for (; p < to && (p & 7) !== 0; p++) c += (bits[p >> 3] >> (p & 7)) & 1;
  for (; p + 8 <= to; p += 8) c += POPCOUNT[bits[p >> 3]];
  for (; p < to; p++) c += (bits[p >> 3] >> (p & 7)) & 1;
  return c;
}

/**
 * OR `count` bits of `src` from bit `from` into `dst` from bit `to`: bytes at a time, whatever
 * the shift.
 */
export function copyBits(
  src: Uint8Array,
  from: number,
  dst: Uint8Array,
  to: number,
  count: number,
): void {
  let i = 0;
  // Single bits until the destination is byte-aligned.
  for (; i < count && ((to + i) & 7) !== 0; i++) {
    const s = from + i;
    const d = to + i;
    dst[d >> 3] |= ((src[s >> 3] >> (s & 7)) & 1) << (d & 7);
  }
  const whole = (count - i) >> 3;
  if (whole > 0) {
    const s = from + i;
    const sb = s >> 3;
    const db = (to + i) >> 3;
    const shift = s & 7;
    if (shift === 0) dst.set(src.subarray(sb, sb + whole), db);
    else {
      // Destination byte k takes source bits s + 8k .. s + 8k + 7: the top of one byte, the bottom of the next.
      const back = 8 - shift;
      for (let k = 0; k < whole; k++)
        dst[db + k] = (src[sb + k] >> shift) | ((src[sb + k + 1] << back) & 0xff);
    }
    i += whole << 3;
  }
  for (; i < count; i++) {
    const s = from + i;
    const d = to + i;
    dst[d >> 3] |= ((src[s >> 3] >> (s & 7)) & 1) << (d & 7);
  }
}

/** Index of the first a[i] ≥ v in [lo, hi) (hi when none). */
export function lowerBound(a: SortedArray, v: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first i in [lo, hi) where `before(i)` is false, for a predicate true on a prefix of the
 * range (hi when none): the binary search for arrays of strings or records and comparators.
 */
export function partitionPoint(lo: number, hi: number, before: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first a[i] > v in [lo, hi) (hi when none). */
export function upperBound(a: SortedArray, v: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
