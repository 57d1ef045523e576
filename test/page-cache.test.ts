/**
 * A committed segment's single-character postings (the union of the bigrams a character
 * starts) are read through the process's one page cache, under its byte bound, and equal those
 * of the same segment in memory: on the seeds, for every character of their titles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import { loadIndex, saveIndex } from '../src/index/store.js';
import { PageCache } from '../src/index/segment-file.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { normalize } from '../src/analysis/normalize.js';
import { SEEDS } from './helpers.js';

test('single characters of a committed segment: the in-memory answer, through the bounded page cache', async () => {
  const { index } = await buildIndex([SEEDS], { workers: 0 });
  const chars = new Set<number>();
  for (const d of index.docs) for (const c of normalize(d.title)) chars.add(c.codePointAt(0)!);
  const inMemory = new Map([...chars].map((c) => [c, Array.from(index.single(c))]));
  assert.ok([...inMemory.values()].filter((p) => p.length > 0).length > 100, 'characters found');

  const dir = mkdtempSync(join(tmpdir(), 'page-cache-'));
  try {
    saveIndex(index, dir);
    const cache = new PageCache(256 * 1024);
    const reader = loadIndex(dir, analyzerFingerprint(), { cache });
    const segment = reader.segments[0].index;
    assert.ok(segment.pagedFile, 'read from its file');
    for (const [c, positions] of inMemory) {
      const paged = segment.single(c);
      assert.deepEqual(Array.from(paged), positions, String.fromCodePoint(c));
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes cached`);
    }
    // Asked again right away: answered from the cache, the same array.
    const frequent = [...inMemory].sort((a, b) => b[1].length - a[1].length)[0][0];
    const first = segment.single(frequent);
    const hits = cache.hits;
    assert.equal(segment.single(frequent), first);
    assert.equal(cache.hits, hits + 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
