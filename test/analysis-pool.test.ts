import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listPosts } from '../src/ingest/files.js';
import { analyzePost, type PostOutcome } from '../src/index/analyze-post.js';
import { AnalysisPool } from '../src/index/analysis-pool.js';
import { addUserWords } from '../src/analysis/segment.js';
import { buildIndex } from '../src/index/build.js';
import { SEEDS } from './helpers.js';

test('worker pairs analyze posts exactly as this thread does, broken posts and dictionary words included', async () => {
  const refs = await listPosts(SEEDS);
  const pool = new AnalysisPool(2);
  try {
    const here = refs.map(analyzePost);
    assert.ok(
      here.some((o) => o.ok === false),
      'the seeds include a broken post',
    );
    assert.deepEqual(await pool.analyze(refs), here);

    // A word added in this thread, while a batch is in the pool, reaches the segmenters before
    // every batch asked for after it.
    const example = refs.findIndex((r) => r.id.includes('數位身分證110年1月'));
    assert.ok(example >= 0);
    const busy = pool.analyze(refs);
    addUserWords(['倾向暂缓']);
    const after = refs.map(analyzePost);
    assert.notDeepEqual(
      after[example],
      here[example],
      'the new word changes the example post’s word starts',
    );
    assert.deepEqual(await pool.analyze(refs), after);
    await busy;
  } finally {
    await pool.close();
  }
});

test('outcomes stream batch by batch in the order asked, over two pairs', async () => {
  const seeds = await listPosts(SEEDS);
  // Enough posts for several batches, which the two pairs may finish in any order.
  const refs = Array.from({ length: 300 }, (_, i) => seeds[i % seeds.length]);
  const pool = new AnalysisPool(2);
  try {
    const streamed: PostOutcome[][] = [];
    const all = await pool.analyze(refs, { onOutcomes: (outcomes) => streamed.push(outcomes) });
    assert.ok(streamed.length >= 4, `${streamed.length} batches`);
    assert.deepEqual(streamed.flat(), all);
    assert.deepEqual(all, refs.map(analyzePost));
  } finally {
    await pool.close();
  }
});

test('a build with workers (postings in their own thread) equals a build in this thread', async () => {
  const inThread = await buildIndex([SEEDS], { workers: 0 });
  const withWorkers = await buildIndex([SEEDS], { workers: 2 });
  assert.deepEqual(withWorkers.index.arrays, inThread.index.arrays);
  assert.deepEqual(withWorkers.index.docs, inThread.index.docs);
  assert.deepEqual(withWorkers.index.vocabulary, inThread.index.vocabulary);
  assert.ok(
    inThread.index.arrays.positions.length > 5_000,
    `${inThread.index.arrays.positions.length} positions`,
  );
});
