import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listPosts } from '../src/ingest/files.js';
import { analyzePost } from '../src/index/analyze-post.js';
import { isWordCodePoint } from '../src/analysis/analyzer.js';
import { bigramPostings } from '../src/index/postings.js';
import { SEEDS } from './helpers.js';

/** The postings as a plain map from key to positions, computed the obvious way. */
function naivePostings(ids: Int32Array, charCount: number): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let p = 0; p + 1 < ids.length; p++) {
    if (ids[p] === 0) continue;
    const key = ids[p] * charCount + ids[p + 1];
    const list = m.get(key);
    if (list) list.push(p);
    else m.set(key, [p]);
  }
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

function assertSamePostings(ids: Int32Array, charCount: number): number {
  const { keys, keyStarts, positions } = bigramPostings(ids, charCount);
  const expected = naivePostings(ids, charCount);
  assert.deepEqual([...keys], [...expected.keys()]);
  assert.equal(keyStarts.length, keys.length + 1);
  keys.forEach((key, k) => {
    assert.deepEqual(
      [...positions.subarray(keyStarts[k], keyStarts[k + 1])],
      expected.get(key),
      `key ${key}`,
    );
  });
  return keys.length;
}

test('bigram postings equal a plain count of every adjacent pair, on the seeds', async () => {
  // The seeds' titles and bodies laid out as the builder does: word characters as ids from 1,
  // everything else 0, and a 0 after every field.
  const idOf = new Map<number, number>();
  const ids: number[] = [];
  for (const o of (await listPosts(SEEDS)).map(analyzePost)) {
    if (o.ok !== true) continue;
    for (const field of [o.value.title, o.value.body]) {
      for (const cp of field.codePoints) {
        if (!isWordCodePoint(cp)) ids.push(0);
        else {
          if (!idOf.has(cp)) idOf.set(cp, idOf.size + 1);
          ids.push(idOf.get(cp)!);
        }
      }
      ids.push(0);
    }
  }
  const keys = assertSamePostings(Int32Array.from(ids), idOf.size + 1);
  assert.ok(keys > 3_000, `${keys} distinct bigrams`);
});

test('bigram postings hold for character ids past 16 bits and for a text of separators only', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const charCount of [70_000, 300]) {
    // Few distinct characters per text, so pairs repeat; a 0 about every eighth position.
    const pool = Array.from({ length: 40 }, () => 1 + Math.floor(random() * (charCount - 1)));
    const ids = Int32Array.from({ length: 5_000 }, (_, i) =>
      i === 4_999 || random() < 0.125 ? 0 : pool[Math.floor(random() * pool.length)],
    );
    assert.ok(assertSamePostings(ids, charCount) > 500);
  }
  assert.equal(assertSamePostings(new Int32Array(10), 5), 0);
});
