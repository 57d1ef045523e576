/**
 * A follower (index/follower.ts: what a cluster's reader process serves) opens the writer's
 * committed segments plus the log after them, and answers exactly as the writer does: the same
 * ids, order, scores, snippets, totals and facets for real queries, after creates, updates and
 * deletes, between commits (writes in the log tail only) and after them (flushes, a merge). A
 * write the writer applied is found on the follower. Moving to a new commit reuses the segments
 * already open. Posts come from ../shared (the public queries' target articles), or from
 * seeds/ when it is not beside the repo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { listPosts } from '../src/ingest/files.js';
import { readPost } from '../src/ingest/post.js';
import { IndexFollower } from '../src/index/follower.js';
import type { IndexReader, SegmentCore } from '../src/index/reader.js';
import { currentGeneration, loadIndex, saveIndex } from '../src/index/store.js';
import type { WalOp } from '../src/index/wal.js';
import { IndexWriter } from '../src/index/writer.js';
import { search, type SearchResult } from '../src/search/searcher.js';
import type { FacetField } from '../src/search/filters.js';
import { suggest } from '../src/search/suggest.js';
import { SEEDS, SHARED, seedsIndex, tempDir } from './helpers.js';

const CORPUS = join(SHARED, 'corpus', 'cna-rti');
const QUERIES = join(SHARED, 'eval', 'queries-public.jsonl');
const shared = existsSync(CORPUS) && existsSync(QUERIES);

/** Posts to write (as puts) and queries that find them. */
async function material(): Promise<{ puts: WalOp[]; queries: string[] }> {
  if (!shared) {
    const posts = await listPosts(SEEDS);
    const puts = posts.map(({ file, id }): WalOp => {
      const { article, extra } = readPost(readFileSync(file), file, `copy/${id}`);
      return { op: 'put', article, extra };
    });
    const queries = posts.flatMap(({ id }) => [id.slice(11, 15), id.slice(15, 19)]);
    return { puts, queries };
  }
  const wanted = readFileSync(QUERIES, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { q: string; q_alt: string; target?: string });
  const targets = new Set(wanted.map((q) => q.target));
  const posts = (await listPosts(CORPUS)).filter((p) => targets.has(p.id)).slice(0, 120);
  const puts = posts.map(({ file, id }): WalOp => {
    const { article, extra } = readPost(readFileSync(file), file, id);
    return { op: 'put', article, extra };
  });
  const ids = new Set(posts.map((p) => p.id));
  const queries = wanted.filter((q) => ids.has(q.target!)).flatMap((q) => [q.q, q.q_alt]);
  return { puts, queries };
}

function comparable(r: SearchResult) {
  return {
    total: r.total,
    hits: r.hits.map((h) => ({ id: h.id, score: h.score, snippet: h.snippet })),
    facets: r.facets,
  };
}

/** The follower's and the writer's answers to every query, compared. */
function assertSameAnswers(
  follower: IndexReader,
  writer: IndexReader,
  queries: string[],
  when: string,
) {
  assert.equal(follower.size, writer.size, `${when}: live documents`);
  let found = 0;
  queries.forEach((q, i) => {
    const params = {
      q,
      page: 1,
      size: 10,
      facets: ['source', 'month'] as FacetField[],
      ...(i % 4 === 1 ? { sort: 'date' as const } : {}),
    };
    const mine = comparable(search(follower, params));
    assert.deepEqual(mine, comparable(search(writer, params)), `${when}: ${q}`);
    found += mine.total;
  });
  assert.ok(found > queries.length, `${when}: the queries find documents (${found} hits in all)`);
  const prefix = queries[0].slice(0, 1);
  assert.deepEqual(suggest(follower, prefix, 8), suggest(writer, prefix, 8), `${when}: suggest`);
}

const coresByName = (r: IndexReader) => new Map(r.sealed.map((s) => [s.name, s.core]));

test("a follower opens the writer's commits and answers as the writer does", {
  timeout: 300_000,
}, async () => {
  const { puts, queries } = await material();
  assert.ok(
    puts.length >= 19 && queries.length >= 19,
    `${puts.length} posts, ${queries.length} queries`,
  );
  const dir = join(tempDir('zh-news-follower-'), 'index');
  saveIndex((await seedsIndex()).index, dir);
  const fingerprint = analyzerFingerprint();
  const { writer } = await IndexWriter.open(loadIndex(dir, fingerprint), dir, {
    commitOnFlush: true,
    flushDocs: 100_000, // flushed by the test
    flushMs: 600_000,
    mergeFactor: 3,
  });
  try {
    const follower = new IndexFollower(dir, () => fingerprint);
    let followed = await follower.open(writer.index.appliedSeq);
    const follow = async () => {
      const loaded = follower.commitsLoaded;
      followed = await follower.advance(followed, writer.index.appliedSeq);
      // A new commit's lexicon is built in a worker, as the writer's, not on the query thread:
      // the previous one serves meanwhile, the new one once built.
      if (follower.commitsLoaded > loaded) assert.equal(followed.lexiconCurrent, false);
      await follower.lexiconReady();
      followed = await follower.advance(followed, writer.index.appliedSeq);
      assert.ok(followed.lexiconCurrent);
    };

    // Creates: two flushes (each committed), then a merge (three segments of one tier),
    // committed too; the last third stays in the write buffer.
    const firstGeneration = currentGeneration(dir);
    const third = Math.ceil(puts.length / 3);
    for (let part = 0; part < 3; part++) {
      const slice = puts.slice(part * third, (part + 1) * third);
      for (let i = 0; i < slice.length; i += 10) await writer.submit(slice.slice(i, i + 10));
      if (part < 2) await writer.flush();
      await writer.mergesDone();
      await writer.saved();
    }
    assert.equal(currentGeneration(dir), firstGeneration + 3, 'two flushes and a merge committed');
    assert.equal(writer.index.sealed.length, 1, 'merged');
    assert.ok(writer.index.buffered, 'some writes wait in the write buffer');
    const before = coresByName(followed);
    await follow();
    assert.equal(follower.commitsLoaded, 2);
    assert.deepEqual(
      followed.sealed.map((s) => s.name),
      writer.index.sealed.map((s) => s.name),
      'the follower serves the committed segments',
    );
    assert.ok(followed.buffered, 'and the log after the commit in a buffer of its own');
    assertSameAnswers(followed, writer.index, queries, 'after creates');

    // Updates and deletes, in the log only (no flush): live-docs bits in sealed segments.
    const sealedIds = writer.index.sealed.flatMap((s) => s.index.docs.map((d) => d.id));
    const changes: WalOp[] = [];
    for (let i = 0; i < sealedIds.length; i += 7) changes.push({ op: 'delete', id: sealedIds[i] });
    for (let i = 3; i < puts.length; i += 9) {
      const put = puts[i] as WalOp & { op: 'put' };
      changes.push({
        op: 'put',
        article: { ...put.article, title: `${put.article.title}（更新）` },
        extra: put.extra,
      });
    }
    await writer.submit(changes);
    const generation = currentGeneration(dir);
    const kept = coresByName(followed);
    await follow();
    assert.equal(follower.commitsLoaded, 2, 'no new commit: the log tail only');
    assert.equal(currentGeneration(dir), generation);
    assertSameAnswers(followed, writer.index, queries, 'after updates and deletes');

    // A write the writer applied is found on the follower.
    const fresh = puts[0] as WalOp & { op: 'put' };
    await writer.submit([
      {
        op: 'put',
        article: { ...fresh.article, id: 'follower/visible', title: '跟隨者看得見的新稿' },
        extra: '',
      },
    ]);
    await follow();
    assert.deepEqual(
      search(followed, { q: '跟隨者看得見', page: 1, size: 10 }).hits.map((h) => h.id),
      ['follower/visible'],
    );

    // A flush, committed: the follower moves to the new commit, reusing every segment it has
    // open (by name, the same objects) and reading only the new one.
    await writer.flush();
    await writer.saved();
    await follow();
    assert.equal(follower.commitsLoaded, 3);
    assert.equal(followed.buffered, false);
    const now = coresByName(followed);
    let reused = 0;
    for (const [name, core] of kept) {
      if (!now.has(name)) continue;
      assert.equal(now.get(name), core as SegmentCore, `segment ${name} reused`);
      reused++;
    }
    assert.ok(reused > 0, 'segments kept by the commit are reused');
    assert.ok(before.size > 0 && ![...before.keys()].some((name) => now.has(name)), 'merged away');
    assertSameAnswers(followed, writer.index, queries, 'after the flush');
  } finally {
    await writer.close();
  }
});
