/**
 * Pinyin in /suggest and "did you mean" in /search (issue 17), on the seeds index and on small
 * indexes of sentences written here for the cases the seeds lack (ü, heteronyms).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { suggest } from '../src/search/suggest.js';
import { searchOrCorrect, FEW_HITS } from '../src/search/did-you-mean.js';
import { search } from '../src/search/searcher.js';
import { normalize } from '../src/analysis/normalize.js';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { seedsIndex, tinyIndex } from './helpers.js';
import { BACKENDS, closeBackends, seedsState, skipOf } from './backends.js';

const texts = (r: { suggestions: { text: string }[] }) => r.suggestions.map((s) => s.text);

test('the vocabulary stores toneless pinyin in context, and the other readings of heteronyms', async () => {
  const { index } = await seedsIndex();
  const entry = (text: string) => index.vocabulary.find((e) => e.text === text);
  assert.equal(entry('数位身分证')?.py, 'shu wei shen fen zheng');
  // 重复 is read chong fu in context; 重 is also zhong.
  const repeat = index.vocabulary.find((e) => e.text.startsWith('重复'));
  assert.ok(repeat, 'a title term starting with 重复 (重複使用)');
  assert.match(repeat.py!, /^chong fu/);
  assert.ok(repeat.pyAlt?.some((r) => r.startsWith('zhong fu')));
  // Terms without Han characters get no pinyin.
  for (const e of index.vocabulary)
    if (!/\p{Script=Han}/u.test(e.text)) assert.equal(e.py, undefined);
});

test('/suggest completes full pinyin, with or without spaces, and initials', async () => {
  const { index } = await seedsIndex();
  for (const q of [
    'shuwei',
    'shu wei',
    'shuweishenfen',
    'shu wei shen fen zheng',
    'swsfz',
    'SWSF',
  ]) {
    const r = suggest(index, q, 5);
    assert.ok(
      r.suggestions.some((s) => normalize(s.text) === '数位身分证'),
      `${q}: ${texts(r).join(', ')}`,
    );
  }
  // A completion of pinyin carries the reading it matched.
  const first = suggest(index, 'shuweishenfenzheng', 5).suggestions[0];
  assert.equal(normalize(first.text), '数位身分证');
  assert.equal(first.pinyin, 'shu wei shen fen zheng');
  // Not pinyin of anything in the vocabulary: nothing.
  assert.deepEqual(texts(suggest(index, 'qqqxz', 5)), []);
});

test('/suggest answers pinyin in the script asked for, and in the script of characters typed', async () => {
  const { index } = await seedsIndex();
  assert.equal(texts(suggest(index, 'sifuqi', 5))[0], '伺服器');
  assert.ok(texts(suggest(index, 'shuwei', 5, { script: 'hant' })).includes('數位身分證'));
  assert.ok(texts(suggest(index, 'shuwei', 5, { script: 'hans' })).includes('数位身分证'));
  // Characters then pinyin: the characters' script wins, and they must begin the term.
  assert.deepEqual(texts(suggest(index, '數位sfz', 5, { script: 'hans' })).slice(0, 1), [
    '數位身分證',
  ]);
  assert.deepEqual(texts(suggest(index, '数位sfz', 5, { script: 'hant' })).slice(0, 1), [
    '数位身分证',
  ]);
  // After a space, the pinyin is a word of its own; what came before is kept.
  const spaced = texts(suggest(index, '數位 sfz', 5));
  assert.ok(spaced.length > 0 && spaced.every((t) => t.startsWith('數位 ')), spaced.join(', '));
});

test('ü typed as v or u; heteronyms found by every reading, the reading in context first', () => {
  const index = tinyIndex([
    { id: 'a', title: '綠色能源政策', body: '政府推動綠色能源。' },
    { id: 'b', title: '綠色能源補助', body: '綠色能源補助上路。' },
    { id: 'c', title: '女性議員', body: '女性議員提案。' },
    { id: 'd', title: '重要會議', body: '重要會議召開。' },
    { id: 'e', title: '重慶旅遊', body: '重慶旅遊人數增加。' },
    { id: 'f', title: '銀行利率', body: '銀行調整利率。' },
    { id: 'g', title: '行人安全', body: '行人安全宣導。' },
  ]);
  const top = (q: string) => texts(suggest(index, q, 8, { script: 'hant' }));
  for (const q of ['lvse', 'luse', 'lüse', 'lu se neng'])
    assert.ok(
      top(q).some((t) => t.startsWith('綠色')),
      q,
    );
  assert.ok(top('nvxing').includes('女性'));
  assert.ok(top('nuxing').includes('女性'));
  // 重: chong in 重慶, zhong in 重要 — both found by both readings, the one in context first.
  assert.equal(top('chongqing')[0], '重慶');
  assert.equal(top('zhongyao')[0], '重要');
  const chong = top('chong');
  assert.ok(
    chong.indexOf('重慶') >= 0 && chong.indexOf('重慶') < chong.indexOf('重要'),
    chong.join(),
  );
  assert.ok(top('zhongqing').includes('重慶'), 'the other reading of 重 still finds 重慶');
  // 行: hang in 銀行, xing in 行人.
  assert.match(top('yinhang')[0], /^銀行/);
  assert.match(top('xingren')[0], /^行人/);
  assert.match(top('yinh')[0] ?? '', /^銀行/);
});

test("completions follow the syllables typed (hang: 航空 before 韓國; xi'an: 西安)", () => {
  const index = tinyIndex([
    { id: '1', title: '韓國選舉', body: '韓國舉行選舉。' },
    { id: '2', title: '韓國疫情', body: '韓國疫情升溫。' },
    { id: '3', title: '航空公司', body: '航空公司停飛。' },
    { id: '4', title: '西安古城', body: '西安古城觀光。' },
    { id: '5', title: '先進製程', body: '先進製程量產。' },
    { id: '6', title: '先進製程', body: '先進製程擴產。' },
  ]);
  const top = (q: string) => texts(suggest(index, q, 8, { script: 'hant' }));
  const hang = top('hang');
  const air = hang.findIndex((t) => t.startsWith('航空'));
  assert.ok(air >= 0 && air < hang.indexOf('韓國'), hang.join());
  assert.ok(top('hangu').indexOf('韓國') < 1, 'han|gu…: 韓國 first');
  assert.equal(top("xi'an")[0], '西安');
  assert.match(top('xian')[0], /^先進/);
});

test('"did you mean": a homophone typo is corrected in the script typed, with the corrected hits', async () => {
  const { index } = await seedsIndex();
  const typed = searchOrCorrect(index, { q: '數位身分正', page: 1, size: 10 });
  assert.equal(search(index, { q: '數位身分正', page: 1, size: 10 }).total, 0);
  assert.equal(typed.did_you_mean, '數位身分證');
  assert.equal(typed.corrected_from, '數位身分正');
  assert.equal(typed.query, '數位身分正');
  const meant = search(index, { q: '數位身分證', page: 1, size: 10 });
  assert.equal(typed.total, meant.total);
  assert.deepEqual(
    typed.hits.map((h) => h.id),
    meant.hits.map((h) => h.id),
  );
  // Simplified typed, Simplified back; the regional table's forms count as terms too.
  assert.equal(
    searchOrCorrect(index, { q: '数位身分正', page: 1, size: 10 }).did_you_mean,
    '数位身分证',
  );
  assert.equal(searchOrCorrect(index, { q: '伺服氣', page: 1, size: 10 }).did_you_mean, '伺服器');
  // Other words of the query stay as typed.
  const two = searchOrCorrect(index, { q: '伺服氣 漏洞', page: 1, size: 10 });
  assert.equal(two.did_you_mean, '伺服器 漏洞');
});

test('a query with enough hits or with query syntax is never corrected; correct=false keeps the hits', async () => {
  const { index } = await seedsIndex();
  for (const q of ['數位身分證', '资安专家', '漏洞', '激光雷達']) {
    const r = searchOrCorrect(index, { q, page: 1, size: 10 });
    assert.ok(r.total >= FEW_HITS || r.did_you_mean === undefined, q);
    assert.equal(r.did_you_mean, undefined, q);
  }
  for (const q of ['"數位身分正"', '數位身分正 -漏洞', 'source:中央社 數位身分正']) {
    const r = searchOrCorrect(index, { q, page: 1, size: 10 });
    assert.equal(r.did_you_mean, undefined, q);
  }
  // correct=false: the hits of the query as typed, the correction only offered.
  const asTyped = searchOrCorrect(index, { q: '數位身分正', page: 1, size: 10, correct: false });
  assert.equal(asTyped.total, 0);
  assert.equal(asTyped.did_you_mean, '數位身分證');
  assert.equal(asTyped.corrected_from, undefined);
});

test('a whole-pinyin query is searched as its best reading; a Latin word in the corpus as typed', async () => {
  const { index } = await seedsIndex();
  for (const q of ['shuweishenfenzheng', 'shu wei shen fen zheng', "shu'wei'shen'fen'zheng"]) {
    const r = searchOrCorrect(index, { q, page: 1, size: 10, script: 'hant' });
    assert.equal(r.interpreted_as, '數位身分證', q);
    assert.equal(r.query, q);
    assert.equal(r.total, search(index, { q: '數位身分證', page: 1, size: 10 }).total);
  }
  // Where "waimai" occurs as Latin text it is searched as typed; where not, as 外賣.
  const posts = [
    { id: 'zh', title: '外賣平台擴張', body: '外賣平台擴張到新竹市。' },
    { id: 'en', title: 'Waimai app', body: 'The Waimai app grew this year.' },
  ];
  const both = tinyIndex(posts);
  const latin = searchOrCorrect(both, { q: 'waimai', page: 1, size: 10 });
  assert.equal(latin.interpreted_as, undefined);
  assert.deepEqual(
    latin.hits.map((h) => h.id),
    ['en'],
  );
  const chinese = searchOrCorrect(tinyIndex(posts.slice(0, 1)), { q: 'waimai', page: 1, size: 10 });
  assert.equal(chinese.interpreted_as, '外卖');
  assert.deepEqual(
    chinese.hits.map((h) => h.id),
    ['zh'],
  );
  // Letters that are no pinyin: left alone.
  assert.equal(searchOrCorrect(index, { q: 'xqzt', page: 1, size: 10 }).interpreted_as, undefined);
});

// On the embedded index and on PostgreSQL (test/backends.ts).
for (const kind of BACKENDS)
  test(`GET /search and /suggest carry the new fields and check the new parameters (${kind})`, {
    skip: skipOf(kind),
  }, async () => {
    const server = createApp(await seedsState(kind), createLogger('silent')).listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const get = async (path: string) => {
        const res = await fetch(base + path);
        return { status: res.status, body: await res.json() };
      };
      const s = await get('/suggest?' + new URLSearchParams({ q: 'swsfz', script: 'hant' }));
      assert.equal(s.status, 200);
      assert.equal(s.body.suggestions[0].text, '數位身分證');
      assert.equal(s.body.suggestions[0].pinyin, 'shu wei shen fen zheng');
      const r = await get('/search?' + new URLSearchParams({ q: '數位身分正' }));
      assert.equal(r.body.did_you_mean, '數位身分證');
      assert.equal(r.body.corrected_from, '數位身分正');
      assert.ok(r.body.hits.length > 0);
      const off = await get(
        '/search?' + new URLSearchParams({ q: '數位身分正', correct: 'false' }),
      );
      assert.equal(off.body.total, 0);
      assert.equal(off.body.did_you_mean, '數位身分證');
      assert.equal(off.body.corrected_from, undefined);
      const p = await get('/search?' + new URLSearchParams({ q: 'shuweishenfenzheng' }));
      assert.equal(p.body.interpreted_as, '数位身分证');
      for (const bad of [
        '/search?q=x&correct=maybe',
        '/suggest?q=x&script=latin',
        '/search?q=x&correct=true&correct=false',
      ]) {
        const res = await get(bad);
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.code, 'bad_request');
      }
    } finally {
      server.close();
    }
  });

after(closeBackends);
