/**
 * Bounded indexing (build.ts buildSegments, `cli index`): the seeds written as many small
 * segments, merged as they accumulate, then committed, must answer as the index built whole:
 * same documents, vocabulary, near-duplicate groups and search answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildIndex, buildSegments } from '../src/index/build.js';
import { loadIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { IndexReader } from '../src/index/reader.js';
import { search, type SearchParams } from '../src/search/searcher.js';
import { SEEDS, tempDir } from './helpers.js';

const groupsById = (r: IndexReader) =>
  Array.from({ length: r.maxDoc }, (_, g) =>
    r.isLive(g) ? `${r.doc(g).id}→${r.dupOf(g) < 0 ? '' : r.doc(r.dupOf(g)).id}` : '',
  )
    .filter(Boolean)
    .sort();

test('the seeds built in segments of 4 posts, merged by threes, answer as the index built whole', async () => {
  const dir = tempDir('zh-build-segments-');
  // The seeds, and a wire copy of every third one under another name (near-duplicates that
  // land in other segments than their originals).
  const posts = tempDir('zh-build-posts-');
  mkdirSync(join(posts, 'copies'));
  readdirSync(SEEDS)
    .filter((f) => f.endsWith('.md'))
    .forEach((f, i) => {
      copyFileSync(join(SEEDS, f), join(posts, f));
      if (i % 3 === 0) copyFileSync(join(SEEDS, f), join(posts, 'copies', `copy-${f}`));
    });
  try {
    const whole = IndexReader.fromIndex((await buildIndex([posts], { workers: 0 })).index);
    const { reader: built, report } = await buildSegments([posts], dir, {
      workers: 0,
      segmentDocs: 4,
      mergeFactor: 3,
      maxMergedDocs: 12,
    });
    assert.equal(report.posts, whole.size);
    // Merged as they came (never above 12 posts), and only the committed segments' files remain.
    assert.ok(built.segments.length >= 2, `${built.segments.map((s) => s.size)} segments`);
    assert.ok(built.segments.length < Math.ceil(whole.size / 4), 'some segments were merged');
    assert.ok(built.segments.every((s) => s.size <= 12));
    assert.deepEqual(
      readdirSync(join(dir, 'segments')).sort(),
      built.segments.map((s) => `${s.name}.seg`).sort(),
    );
    const loaded = loadIndex(dir, analyzerFingerprint());
    assert.deepEqual(loaded.vocabulary, whole.vocabulary);
    assert.deepEqual(groupsById(loaded), groupsById(whole));
    assert.ok(
      groupsById(whole).some((g) => !g.endsWith('→')),
      'the seeds hold near-duplicates',
    );
    const queries = whole.docs.flatMap((d) => [d.title.slice(0, 4), d.title.slice(-3)]);
    for (const q of queries) {
      const params: SearchParams = { q, page: 1, size: 10, facets: ['source', 'tag'] };
      const a = search(whole, params);
      const b = search(loaded, params);
      assert.deepEqual(
        b.hits.map((h) => [h.id, h.score, h.snippet]),
        a.hits.map((h) => [h.id, h.score, h.snippet]),
        q,
      );
      assert.equal(b.total, a.total, q);
      assert.deepEqual(b.facets, a.facets, q);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
