/**
 * The tiered merge policy (src/index/segments.ts) by the segment sizes it sees: similar sizes
 * merge, a large segment is not copied again with a few tiny ones, mostly-dead segments are
 * purged alone, and the size cap holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePolicy } from '../src/index/segments.js';

const seg = (liveCount: number, size = liveCount) => ({ size, liveCount });
const sizes = (...live: number[]) => ({ sealed: live.map((n) => seg(n)) });

test('ten small segments of a tier merge; fewer wait', () => {
  assert.equal(mergePolicy(sizes(3, 1, 2, 5, 1, 1, 4, 2, 1)), null);
  assert.deepEqual(
    mergePolicy(sizes(3, 1, 2, 5, 1, 1, 4, 2, 1, 7)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
});

test('a large segment is not merged again with nine tiny ones', () => {
  // The corpus as one segment plus nine one-article flushes: all in the lowest tier by size.
  assert.equal(mergePolicy(sizes(16_074, 1, 1, 1, 1, 1, 1, 1, 1, 1)), null);
  // A tenth flush: the ten tiny ones merge, the large one stays.
  assert.deepEqual(
    mergePolicy(sizes(16_074, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
});

test('the smallest similar-sized window is merged first', () => {
  const picked = mergePolicy(sizes(900, 150, 150, 150, 150, 150, 150, 150, 150, 150, 150, 800));
  assert.deepEqual(picked, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('a mostly dead segment is purged on its own', () => {
  assert.deepEqual(mergePolicy({ sealed: [seg(100), seg(40, 100), seg(5)] }), [1]);
});

test('no merge exceeds maxMergedDocs', () => {
  const five = sizes(20_000, 20_000, 20_000, 20_000, 20_000);
  assert.deepEqual(mergePolicy(five, { mergeFactor: 5 }), [0, 1, 2, 3, 4]);
  assert.equal(mergePolicy(five, { mergeFactor: 5, maxMergedDocs: 99_999 }), null);
});
