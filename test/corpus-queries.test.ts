/**
 * Queries over real posts of ../shared/corpus that the issue names (skipped, and says so,
 * without it): the posts a query concerns are copied to a temporary folder and indexed as a
 * folder is, so title, body and page text are all there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import { listPosts } from '../src/ingest/files.js';
import { readPost, type ParsedPost } from '../src/ingest/post.js';
import { search } from '../src/search/searcher.js';
import { readerOf } from '../src/index/reader.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { normalize } from '../src/analysis/normalize.js';
import { DEFAULT_RANKING, type RankingParams } from '../src/search/ranking.js';
import { SHARED, tempDir } from './helpers.js';

const CORPUS = ['cna-rti', 'oped'].map((f) => join(SHARED, 'corpus', f));
const skip = CORPUS.every((f) => existsSync(f))
  ? false
  : `skipped: ${CORPUS[0]} not found (../shared is not beside the repo)`;

/** The corpus posts whose file holds every string of one of `any` (UTF-8), read and indexed. */
async function postsHolding(
  any: string[][],
): Promise<{ index: NewsIndex; posts: Map<string, ParsedPost> }> {
  const dir = tempDir('zh-news-corpus-queries-');
  const posts = new Map<string, ParsedPost>();
  const wanted = any.map((all) => all.map((s) => Buffer.from(s)));
  for (const folder of CORPUS)
    for (const ref of await listPosts(folder)) {
      const raw = readFileSync(ref.file);
      if (!wanted.some((all) => all.every((s) => raw.includes(s)))) continue;
      copyFileSync(ref.file, join(dir, basename(ref.file)));
      posts.set(ref.id, readPost(raw, ref.file, ref.id));
    }
  const { index, report } = await buildIndex([dir], { workers: 0 });
  assert.deepEqual(report.errors, []);
  return { index, posts };
}

test('"因為系統" finds exactly the posts holding it; 因為系統 every post with both words', {
  skip,
}, async () => {
  const { index, posts } = await postsHolding([
    ['因為', '系統'],
    ['因为', '系统'],
  ]);
  const texts = (p: ParsedPost) => [p.article.title, p.article.body, p.extra];
  const holding = [...posts]
    .filter(([, p]) => texts(p).some((t) => t.includes('因為系統') || t.includes('因为系统')))
    .map(([id]) => id)
    .sort();
  assert.ok(holding.length >= 2 && holding.length < posts.size / 10, `${holding.length} posts`);
  for (const q of ['"因為系統"', '"因为系统"']) {
    const r = search(index, { q, page: 1, size: 1000 });
    assert.equal(r.total, holding.length, q);
    assert.deepEqual(r.hits.map((h) => h.id).sort(), holding, q);
  }
  const loose = search(index, { q: '因為系統', page: 1, size: 10 });
  assert.ok(loose.total > holding.length * 10, `因為系統: ${loose.total}`);
  // Verbatim matches first.
  assert.deepEqual(
    loose.hits
      .slice(0, holding.length)
      .map((h) => h.id)
      .sort(),
    holding,
  );
});

test('the 2020-10-01 digest is found for 因為系統異常, its snippet showing that story', {
  skip,
}, async () => {
  const { index } = await postsHolding([['因為系統異常'], ['因为系统异常']]);
  const digest = '2020-10-01-早安世界》中秋連假第2天 高公局估國道7路段易塞';
  for (const q of ['因為系統異常', '因为系统异常']) {
    const hit = search(index, { q, page: 1, size: 100 }).hits.find((h) => h.id === digest);
    assert.ok(hit, `${q} misses the digest`);
    assert.match(hit.snippet, /<mark>因為系統異常<\/mark>/);
    assert.match(hit.snippet, /證交所/);
  }
});

test('near-duplicate promotion: the parts of a serial grouped as copies still rank by their own titles', {
  skip,
}, async () => {
  // Parts of one serial share a long preamble, so they are grouped as near-duplicates.
  const { index } = await postsHolding([['靜靜燃燒的地火']]);
  const reader = readerOf(index);
  const part = (n: string) =>
    reader.docNumber(index.docs.find((d) => d.title.includes(`(${n})`))!.id)!;
  const [p14, p15] = [part('十四'), part('十五')];
  assert.ok(reader.dupOf(p15) >= 0 && reader.dupOf(p15) === reader.dupOf(p14));
  const original = reader.dupOf(p15);
  // 自閉 is in the title of part 15 only: it ranks first, not the group's original.
  const top = search(index, { q: '自閉 兩岸', page: 1, size: 10 }).hits[0];
  assert.match(top.title, /\(十五\)／告別自閉/);
  // A query every part matches alike in its title: the original takes the best place.
  const alike = search(index, { q: '滕彪 自述', page: 1, size: 50 }).hits;
  assert.equal(alike[0].id, reader.doc(original).id);
});

test('the lead field: for a topic, posts naming it in their first lines rise above passing mentions', {
  skip,
}, async () => {
  const topic = '非洲豬瘟';
  const key = normalize(topic);
  const { index } = await postsHolding([[topic], ['非洲猪瘟']]);
  const reader = readerOf(index);
  const lead = { ...DEFAULT_RANKING, leadWeight: 0.75, leadLength: 200 };
  // Posts without the topic in their title, in ranked order, marked by where the body names it.
  const bodyOnly = (ranking: RankingParams) =>
    search(index, { q: topic, page: 1, size: 1000 }, ranking)
      .hits.filter((h) => !normalize(h.title).includes(key))
      .map((h) => {
        const body = Array.from(normalize(reader.body(reader.docNumber(h.id)!)));
        return { id: h.id, inLead: body.slice(0, lead.leadLength).join('').includes(key) };
      });
  const off = bodyOnly(DEFAULT_RANKING);
  const on = bodyOnly(lead);
  // The same posts either way; only their order changes.
  assert.deepEqual(on.map((h) => h.id).sort(), off.map((h) => h.id).sort());
  const leads = on.filter((h) => h.inLead).length;
  assert.ok(leads >= 3 && leads <= on.length - 3, `${leads} of ${on.length} name it in the lead`);
  // Mean rank of the posts naming the topic in their lead: higher with the lead field.
  const meanRank = (hits: typeof on) => hits.reduce((s, h, i) => s + (h.inLead ? i : 0), 0) / leads;
  assert.ok(meanRank(on) < meanRank(off), `${meanRank(on)} vs ${meanRank(off)}`);
  // The lead adds to the score of the posts naming the topic there and of no other: some rise
  // above passing mentions, none falls below one.
  const place = (hits: typeof on) => new Map(hits.map((h, i) => [h.id, i]));
  const [before, after] = [place(off), place(on)];
  let risen = 0;
  for (const a of on.filter((h) => h.inLead))
    for (const b of on.filter((h) => !h.inLead)) {
      const was = before.get(a.id)! < before.get(b.id)!;
      const is = after.get(a.id)! < after.get(b.id)!;
      assert.ok(is || !was, `${b.id} rose above ${a.id}`);
      if (is && !was) risen++;
    }
  assert.ok(risen > 0);
});
