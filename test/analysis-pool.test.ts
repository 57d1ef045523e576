import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listPosts } from '../src/ingest/files.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  analyzeArticle,
  analyzePost,
  type ArticleItem,
  type PostOutcome,
} from '../src/index/analyze-post.js';
import { readPost } from '../src/ingest/post.js';
import { IndexWriter } from '../src/index/writer.js';
import type { WalOp } from '../src/index/wal.js';
import { AnalysisPool } from '../src/index/analysis-pool.js';
import { addUserWords } from '../src/analysis/segment.js';
import { buildIndex } from '../src/index/build.js';
import { SEEDS, SHARED, seedsIndex } from './helpers.js';

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

/** Corpus posts as write-API puts (real text; the corpus is read at test time). */
async function corpusPuts(count: number): Promise<WalOp[]> {
  const folder = join(SHARED, 'corpus', 'cna-rti');
  const refs = (await listPosts(folder)).slice(0, count);
  return refs.map((r): WalOp => {
    const { article, extra } = readPost(readFileSync(r.file), r.file, `api/${r.id}`);
    return { op: 'put', article, extra };
  });
}

test('API articles are analyzed in the pool exactly as on this thread', async () => {
  const ops = await corpusPuts(70); // two batches of the pool
  const pool = new AnalysisPool(1);
  try {
    const items = ops.map((op): ArticleItem => {
      assert.equal(op.op, 'put');
      return [op.article, op.extra];
    });
    assert.deepEqual(
      await pool.analyzeArticles(items),
      items.map(([a, e]) => analyzeArticle(a, e)),
    );
  } finally {
    await pool.close();
  }
});

test('a writer with analysis threads indexes a batch of puts as one analyzing on its own thread', async () => {
  const ops = await corpusPuts(40);
  const { index } = await seedsIndex();
  const threads = (await IndexWriter.open(index, null, { analysisThreads: true })).writer;
  const here = (await IndexWriter.open(index, null)).writer;
  try {
    await threads.analysisThreadsReady();
    // Submitted together, the puts go to the pool (a bulk request would do the same).
    const results = await Promise.all([threads.submit(ops), here.submit(ops)]);
    assert.ok(results.flat().every((r) => r.result === 'created'));
    assert.equal(threads.analyzedInThreads, ops.length);
    assert.equal(here.analyzedInThreads, 0);
    const a = threads.index.buffer!.index;
    const b = here.index.buffer!.index;
    assert.equal(a.size, ops.length);
    assert.deepEqual(a.docs, b.docs);
    assert.deepEqual(a.arrays, b.arrays);
    // A lone put to an idle writer is analyzed on its thread (no hop for it); puts arriving
    // one by one while it is busy are analyzed ahead in the pool.
    const more = (await corpusPuts(60)).slice(40);
    await threads.submit([more[0]]);
    assert.equal(threads.analyzedInThreads, ops.length);
    await Promise.all(more.slice(1).map((op) => threads.submit([op])));
    assert.equal(threads.analyzedInThreads, ops.length + more.length - 2);
    assert.equal(threads.index.size, index.size + ops.length + more.length);
  } finally {
    await threads.close();
    await here.close();
  }
});
