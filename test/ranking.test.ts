/**
 * The scoring functions of src/search/ranking.ts — idf, BM25F, proximity, freshness — by the
 * properties the ranking relies on, and their effect on the order of real search results over
 * small indexes of news sentences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RANKING as RANKING,
  bm25f,
  freshnessFactor,
  idf,
  minGap,
  proximityBonus,
} from '../src/search/ranking.js';
import { search } from '../src/search/searcher.js';
import { tinyIndex } from './helpers.js';

const tf = (title: number, body: number, extra = 0, lead = 0) => ({ title, body, lead, extra });
/** BM25F of one term with idf 2 in a field of average length. */
const score = (f: ReturnType<typeof tf>, titleLength = 20, bodyLength = 500) =>
  bm25f(RANKING, f, 2, titleLength, bodyLength, 20, 500);

test('idf: rarer terms weigh more; a term in every document still counts a little', () => {
  const n = 16_000;
  const values = [1, 10, 100, 1_000, 8_000, 16_000].map((df) => idf(n, df));
  for (let i = 1; i < values.length; i++) assert.ok(values[i] < values[i - 1], `${values}`);
  assert.ok(values[values.length - 1] > 0);
  assert.ok(Math.abs(idf(n, 1) - Math.log(1 + (n - 0.5) / 1.5)) < 1e-12);
});

test('BM25F: occurrences saturate, a title occurrence outweighs a body one, long bodies weigh less', () => {
  const gains = [1, 2, 3, 4].map((k) => score(tf(0, k)) - score(tf(0, k - 1)));
  for (let i = 1; i < gains.length; i++) assert.ok(gains[i] < gains[i - 1], `${gains}`);
  // Bounded by idf × (k1 + 1) however often the term occurs.
  assert.ok(score(tf(0, 1_000)) < 2 * (RANKING.k1 + 1));
  assert.ok(score(tf(1, 0)) > score(tf(0, 1)));
  assert.ok(score(tf(0, 2), 20, 2_000) < score(tf(0, 2), 20, 500));
  // Page text outside the article counts, far below the article's own.
  assert.ok(score(tf(0, 0, 1)) > 0);
  assert.ok(score(tf(0, 0, 1)) < score(tf(0, 1)) / 5);
  assert.equal(score(tf(0, 0)), 0);
});

test('BM25F: the lead field adds to body occurrences in the lead, saturating with them; off at weight 0', () => {
  const lead = { ...RANKING, leadWeight: 0.75 };
  const with_ = (f: ReturnType<typeof tf>) => bm25f(lead, f, 2, 20, 500, 20, 500);
  assert.equal(score(tf(0, 2, 0, 1)), score(tf(0, 2)));
  assert.ok(with_(tf(0, 2, 0, 1)) > with_(tf(0, 2)));
  // A mention in the lead outweighs one deep in the body, not a title occurrence.
  assert.ok(with_(tf(0, 1, 0, 1)) < with_(tf(1, 0)));
  assert.ok(with_(tf(0, 50, 0, 50)) < 2 * (RANKING.k1 + 1));
});

test('minGap: the closest pair in one field, 0 when adjacent or overlapping, Infinity across fields', () => {
  // Title is positions 0–99, body 100 on.
  const fieldOf = (p: number) => (p < 100 ? 0 : 1);
  const at = (...p: number[]) => Int32Array.from(p);
  assert.equal(minGap(at(110, 150), 2, at(120, 160), 3, fieldOf), 8);
  assert.equal(minGap(at(110), 2, at(112), 2, fieldOf), 0);
  assert.equal(minGap(at(110), 4, at(112), 2, fieldOf), 0);
  assert.equal(minGap(at(130), 2, at(110), 3, fieldOf), 17);
  assert.equal(minGap(at(95), 2, at(100), 2, fieldOf), Infinity);
  assert.equal(minGap(at(), 2, at(100), 2, fieldOf), Infinity);
});

test('proximity and freshness bonuses fall off with distance and age', () => {
  const near = proximityBonus(RANKING, 0, 3, 5);
  assert.equal(near, RANKING.proximityWeight * 3);
  assert.ok(
    proximityBonus(RANKING, 4, 3, 5) < near &&
      proximityBonus(RANKING, 40, 3, 5) < proximityBonus(RANKING, 4, 3, 5),
  );
  assert.equal(proximityBonus(RANKING, Infinity, 3, 5), 0);
  assert.equal(proximityBonus({ ...RANKING, proximityWeight: 0 }, 0, 3, 5), 0);
  const day = 86_400_000;
  const newest = Date.parse('2021-06-01T00:00:00Z');
  const boost = (days: number) => freshnessFactor(RANKING, newest - days * day, newest) - 1;
  assert.ok(Math.abs(boost(0) - RANKING.freshnessWeight) < 1e-12);
  assert.ok(Math.abs(boost(RANKING.freshnessHalfLifeDays) - RANKING.freshnessWeight / 2) < 1e-12);
  assert.ok(boost(365) < boost(30));
  assert.equal(freshnessFactor(RANKING, 0, newest), 1, 'no date: no boost');
  const off = { ...RANKING, freshnessWeight: 0 };
  assert.equal(freshnessFactor(off, newest - 3 * day, newest), 1, 'weight 0: off');
});

test('in real results: title beats body, whole words beat parts of words, near beats far', () => {
  const order = (q: string, docs: { id: string; title: string; body: string }[]) =>
    search(tinyIndex(docs), { q, page: 1, size: 10 }).hits.map((h) => h.id);
  assert.deepEqual(
    order('疫苗', [
      { id: 'body', title: '衛福部記者會', body: '指揮中心今天說明疫苗接種進度，民眾可上網預約。' },
      { id: 'title', title: '疫苗接種進度', body: '指揮中心今天說明接種進度，民眾可上網預約。' },
    ]),
    ['title', 'body'],
  );
  // 處理 as a word of its own, against 處理 inside 待處理 (a longer jieba word).
  assert.deepEqual(
    order('處理', [
      { id: 'inside', title: '市府公告', body: '陳情案件待處理量居高不下，市府推出線上追蹤。' },
      { id: 'whole', title: '市府公告', body: '陳情案件由專人處理，市府推出線上追蹤系統。' },
    ]),
    ['whole', 'inside'],
  );
  assert.deepEqual(
    order('數位 身分證', [
      {
        id: 'far',
        title: '內政部說明',
        body: '數位轉型是政府的重點工作，各部會都有計畫。另一方面，新式身分證的換發時程尚未決定。',
      },
      { id: 'near', title: '內政部說明', body: '數位身分證的換發時程尚未決定，各部會都有計畫。' },
    ]),
    ['near', 'far'],
  );
});
