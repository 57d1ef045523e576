import { test } from 'node:test';
import assert from 'node:assert/strict';
import { search } from '../src/search/searcher.js';
import { seedsIndex, tinyIndex, EXAMPLE_ID } from './helpers.js';

const q = async (text: string, size = 10, page = 1) =>
  search((await seedsIndex()).index, { q: text, page, size });

test('數位身分證 and 数位身分证 both rank the example post in the top 3, highlighted in Traditional', async () => {
  for (const text of ['數位身分證', '数位身分证']) {
    const r = await q(text);
    const rank = r.hits.findIndex((h) => h.id === EXAMPLE_ID);
    assert.ok(rank >= 0 && rank < 3, `${text}: example at ${rank}`);
    const hit = r.hits[rank];
    assert.match(hit.snippet, /<mark>數位身分證<\/mark>/);
    assert.equal(hit.title_html, '新竹市：<mark>數位身分證</mark>110年1月試辦傾向暫緩');
    assert.equal(hit.url, 'https://www.cna.com.tw/news/firstnews/202012250125.aspx');
  }
});

test('either script finds the same articles in the same order', async () => {
  for (const [a, b] of [
    ['數位身分證 資安', '数位身分证 资安'],
    ['紐西蘭 大選', '纽西兰 大选'],
    ['伺服器', '伺服器'],
  ]) {
    const ra = await q(a);
    const rb = await q(b);
    assert.ok(ra.total > 0, a);
    assert.deepEqual(
      ra.hits.map((h) => h.id),
      rb.hits.map((h) => h.id),
      `${a} vs ${b}`,
    );
  }
});

test('the snippet is in the article script whatever the query script', async () => {
  const r = await q('数字身份证');
  const cn = r.hits.find((h) => h.id.includes('多地试点数字身份证'));
  assert.ok(cn, 'the Simplified post is found');
  assert.match(cn.snippet, /<mark>数字身份证<\/mark>/);
  const tw = (await q('身分證')).hits.find((h) => h.id === EXAMPLE_ID);
  assert.ok(tw && /<mark>身分證<\/mark>/.test(tw.snippet));
});

test('sub-words and substrings across word boundaries are found', async () => {
  // jieba keeps 待處理 and 新竹市 whole; the character index still finds 處理 and 市政.
  const sub = await q('處理');
  assert.ok(
    sub.hits.some((h) => h.id.includes('待處理')),
    'finds 處理 inside 待處理',
  );
  const cross = await q('市政');
  const ids = cross.hits.map((h) => h.id);
  assert.ok(ids.includes(EXAMPLE_ID), 'finds 市政 in 新竹市政府');
  assert.ok(ids.some((id) => id.includes('新竹市政府與臺北市政府')));
  const hit = cross.hits.find((h) => h.id === EXAMPLE_ID)!;
  assert.match(hit.snippet, /新竹<mark>市政<\/mark>府/);
});

test('every query term must match', async () => {
  const both = await q('數位身分證 紐西蘭');
  assert.equal(both.total, 0);
  const one = await q('紐西蘭');
  assert.ok(one.total > 0);
});

test('text inside <script> is not indexed', async () => {
  assert.equal((await q('不應被搜尋到')).total, 0);
  assert.equal((await q('廣告關鍵字')).total, 0);
});

test('HTML in articles never reaches snippets or titles unescaped', async () => {
  for (const text of ['alert', 'script', '跨站腳本', 'onerror']) {
    const r = await q(text, 50);
    for (const h of r.hits) {
      const bare = (h.snippet + h.title_html).replace(/<\/?mark>/g, '');
      assert.doesNotMatch(bare, /[<>]/, `${text}: ${h.id}: ${h.snippet}`);
    }
  }
  const xss = await q('alert');
  assert.ok(
    xss.hits.some((h) => h.snippet.includes('&lt;script&gt;') || h.snippet.includes('&lt;img')),
    'the quoted attack string is shown escaped',
  );
});

test('pagination returns disjoint pages over the same total', async () => {
  const p1 = await q('網', 3, 1);
  const p2 = await q('網', 3, 2);
  assert.equal(p1.total, p2.total);
  assert.ok(p1.total > 3);
  assert.equal(p1.hits.length, 3);
  const ids1 = new Set(p1.hits.map((h) => h.id));
  assert.ok(p2.hits.every((h) => !ids1.has(h.id)));
});

test('punctuation or emoji only: no hits, no error', async () => {
  for (const text of ['，。！', '😀🎉', '---']) {
    const r = await q(text);
    assert.equal(r.total, 0);
    assert.deepEqual(r.hits, []);
  }
});

test('verbatim matches rank before documents that only contain the words apart', () => {
  const index = tinyIndex([
    { id: 'apart', title: '新竹市議會', body: '新竹市議員質詢，要求政府說明預算，新竹市長出席。' },
    { id: 'verbatim', title: '市府公告', body: '新竹市政府今天表示將延後試辦。' },
  ]);
  const r = search(index, { q: '新竹市政府', page: 1, size: 10 });
  assert.deepEqual(
    r.hits.map((h) => h.id),
    ['verbatim', 'apart'],
  );
});

test('whole-word matches rank before sub-word matches', () => {
  const index = tinyIndex([
    { id: 'subword', title: '公告', body: '陳情案件待處理量居高不下，市府說明改善方式。' },
    { id: 'whole', title: '公告', body: '市府將盡快處理陳情案件，並說明改善方式與時程。' },
  ]);
  const r = search(index, { q: '處理', page: 1, size: 10 });
  assert.deepEqual(
    r.hits.map((h) => h.id),
    ['whole', 'subword'],
  );
});

test('a title match outweighs the same word in the body', () => {
  const index = tinyIndex([
    { id: 'body', title: '地方新聞', body: '颱風接近，氣象局發布海上警報，各地注意強風豪雨。' },
    {
      id: 'title',
      title: '颱風海上警報發布',
      body: '氣象局今天上午發布警報，提醒民眾注意強風豪雨。',
    },
  ]);
  const r = search(index, { q: '颱風', page: 1, size: 10 });
  assert.equal(r.hits[0].id, 'title');
});

test('the snippet is the passage densest in query terms, cut at sentence ends', () => {
  const filler = '這是一段與查詢無關的文字，用來把前後段落分開。'.repeat(8);
  const index = tinyIndex([
    {
      id: 'd',
      title: '報導',
      body: `疫苗到貨時程仍未確定。${filler}專家指出，疫苗與快篩試劑的採購應同步規劃。${filler}`,
    },
  ]);
  const r = search(index, { q: '疫苗 快篩', page: 1, size: 1 });
  const s = r.hits[0].snippet;
  assert.match(s, /<mark>疫苗<\/mark>與<mark>快篩<\/mark>/);
  assert.ok(s.startsWith('…專家指出') || s.startsWith('專家指出'), s);
  assert.ok(s.replace(/<\/?mark>/g, '').length <= 160, s);
});

test('astral characters are highlighted exactly', async () => {
  const r = await q('𠮷田');
  assert.ok(r.total > 0);
  assert.match(r.hits[0].snippet, /<mark>𠮷田<\/mark>/);
});

test('newer articles win ties', () => {
  const body = '市府宣布明天起恢復垃圾車收運。';
  const index = tinyIndex([
    { id: 'old', title: '垃圾車收運', body, date: '2020-01-01T00:00:00.000Z' },
    { id: 'new', title: '垃圾車收運', body, date: '2021-01-01T00:00:00.000Z' },
  ]);
  assert.deepEqual(
    search(index, { q: '垃圾車', page: 1, size: 10 }).hits.map((h) => h.id),
    ['new', 'old'],
  );
});
