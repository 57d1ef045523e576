import { test } from 'node:test';
import assert from 'node:assert/strict';
import { search, type SearchParams } from '../src/search/searcher.js';
import { suggest } from '../src/search/suggest.js';
import { relatedDocuments, docNumber, getDocument } from '../src/search/documents.js';
import { normalize } from '../src/analysis/normalize.js';
import { SearchError } from '../src/errors.js';
import { seedsIndex, tinyIndex, EXAMPLE_ID } from './helpers.js';

const run = async (q: string, extra: Partial<SearchParams> = {}) =>
  search((await seedsIndex()).index, { q, page: 1, size: 100, ...extra });
const ids = (r: { hits: { id: string }[] }) => r.hits.map((h) => h.id);
const textOf = async (id: string) => {
  const { index } = await seedsIndex();
  const d = docNumber(index, id)!;
  return normalize(index.docs[d].title + '\n' + index.body(d));
};

test('a phrase needs its words together and in order; plain words do not', () => {
  const index = tinyIndex([
    { id: 'together', title: '試辦', body: '內政部宣布數位身分證試辦延後。' },
    { id: 'spaced', title: '試辦', body: '新聞稿：數位身分證 試辦計畫說明。' },
    { id: 'apart', title: '試辦', body: '數位身分證引發討論，新竹市試辦延後。' },
    { id: 'reversed', title: '試辦', body: '市府將試辦數位身分證。' },
  ]);
  const q = (text: string) =>
    new Set(search(index, { q: text, page: 1, size: 10 }).hits.map((h) => h.id));
  assert.deepEqual(q('數位身分證 試辦'), new Set(['together', 'spaced', 'apart', 'reversed']));
  assert.deepEqual(q('"數位身分證 試辦"'), new Set(['together', 'spaced']));
  assert.deepEqual(q('"数位身分证 试办"'), new Set(['together', 'spaced']));
  assert.deepEqual(q('"試辦 數位身分證"'), new Set(['reversed']));
  const hit = search(index, { q: '"數位身分證 試辦"', page: 1, size: 10 }).hits.find(
    (h) => h.id === 'spaced',
  )!;
  assert.match(hit.snippet, /<mark>數位身分證 試辦<\/mark>/);
});

test('one quoted word matches only verbatim: not its words apart, not a regional equivalent', () => {
  const index = tinyIndex([
    { id: 'verbatim', title: '停電', body: '因為系統異常，部分地區停電。' },
    { id: 'simplified', title: '停电', body: '因为系统异常，部分地区停电。' },
    { id: 'apart', title: '停電', body: '因為颱風來襲，電力系統受損。' },
    { id: 'regional', title: '軟體', body: '新版軟體上線。' },
    { id: 'typed', title: '软件', body: '新版软件上线。' },
  ]);
  const q = (text: string) =>
    new Set(search(index, { q: text, page: 1, size: 10 }).hits.map((h) => h.id));
  assert.deepEqual(q('因為系統'), new Set(['verbatim', 'simplified', 'apart']));
  assert.deepEqual(q('"因為系統"'), new Set(['verbatim', 'simplified']));
  assert.deepEqual(q('「因为系统」'), new Set(['verbatim', 'simplified']));
  assert.deepEqual(q('软件'), new Set(['regional', 'typed']));
  assert.deepEqual(q('"软件"'), new Set(['typed']));
});

test('an unbalanced quote closes at the end of the query', async () => {
  assert.deepEqual(ids(await run('"數位身分證 試辦')), ids(await run('"數位身分證 試辦"')));
});

test('exclusion removes every article containing the word, in either script', async () => {
  const all = await run('大選');
  for (const q of ['大選 -網絡', '大选 -网络']) {
    const r = await run(q);
    assert.ok(r.total > 0 && r.total < all.total, `${q}: ${r.total} of ${all.total}`);
    for (const id of ids(r)) assert.ok(!(await textOf(id)).includes('网络'), `${q}: ${id}`);
  }
  assert.deepEqual(ids(await run('大選 -網絡')), ids(await run('大选 -网络')));
});

test('OR and | give alternatives; plain words stay AND', async () => {
  const a = await run('外送');
  const b = await run('工黨');
  assert.ok(a.total > 0 && b.total > 0);
  const either = await run('外送 OR 工黨');
  assert.equal(either.total, new Set([...ids(a), ...ids(b)]).size);
  assert.deepEqual(new Set(ids(await run('外送|工黨'))), new Set(ids(either)));
  assert.equal((await run('外送 工黨')).total, 0, 'no sample post has both');
});

test('regional vocabulary: either form finds articles written in any form, exact forms first', async () => {
  for (const [cn, tw] of [
    ['特朗普', '川普'],
    ['软件', '軟體'],
    ['数字身份证', '數位身分證'],
    ['服务器', '伺服器'],
    ['新西兰', '紐西蘭'],
  ]) {
    const a = await run(cn);
    const b = await run(tw);
    // The same articles, but for the form typed also matching inside longer words (软件 in
    // 软件系统) where an equivalent only matches whole words.
    const shared = ids(a).filter((id) => ids(b).includes(id)).length;
    assert.ok(
      shared / new Set([...ids(a), ...ids(b)]).size >= 0.8,
      `${cn} / ${tw}: ${ids(a).length} vs ${ids(b).length}, ${shared} shared`,
    );
    assert.ok(
      Math.min(a.total, b.total) / Math.max(a.total, b.total) >= 0.9,
      `${cn} / ${tw}: totals ${a.total} vs ${b.total}`,
    );
    // The article's own form is highlighted, and matched_via says what was bridged.
    const bridged = a.hits.find((h) => h.matched_via);
    assert.ok(bridged, `${cn}: some hit comes through an equivalent`);
    assert.match(bridged.matched_via![0], / ≡ /);
    assert.match(bridged.snippet + bridged.title_html, /<mark>/);
  }
  const trump = (await run('特朗普')).hits.find((h) => h.id.startsWith('2020-10-17'))!;
  assert.deepEqual(trump.matched_via, ['特朗普 ≡ 川普']);
  assert.match(trump.snippet, /<mark>川普<\/mark>/);
});

test('of two articles alike but for the regional form, the one in the form typed ranks first', () => {
  const index = tinyIndex([
    { id: 'hk', title: '美國大選', body: '特朗普今天發表談話，批評選舉結果。' },
    { id: 'tw', title: '美國大選', body: '川普今天發表談話，批評選舉結果。' },
  ]);
  const order = (q: string) => search(index, { q, page: 1, size: 10 }).hits.map((h) => h.id);
  assert.deepEqual(order('特朗普'), ['hk', 'tw']);
  assert.deepEqual(order('川普'), ['tw', 'hk']);
});

test('an ambiguous word is not expanded on its own, only inside a listed compound', async () => {
  // 数字 is 數位 only as "digital": 数字 alone must not find 數位 articles.
  const alone = await run('数字');
  for (const id of ids(alone)) assert.ok((await textOf(id)).includes('数字'), id);
  const compound = await run('数字身份证');
  assert.ok(ids(compound).includes(EXAMPLE_ID), 'the compound 数字身份证 finds 數位身分證');
});

test('a query of only exclusions, an empty source: or a bad date is refused with a message', async () => {
  await assert.rejects(
    run('-國民黨'),
    (e: unknown) => e instanceof SearchError && /only excludes/.test(e.message),
  );
  await assert.rejects(
    run('網路 source:'),
    (e: unknown) => e instanceof SearchError && /source: needs a value/.test(e.message),
  );
  await assert.rejects(
    run('網路', { from: '2020-13-45' }),
    (e: unknown) => e instanceof SearchError && /from must be a date/.test(e.message),
  );
  await assert.rejects(
    run('網路', { to: 'yesterday' }),
    (e: unknown) => e instanceof SearchError && /to must be a date/.test(e.message),
  );
});

test('filters and facets agree with each other and with total', async () => {
  const base = await run('網', { facets: ['source', 'tag', 'month'] });
  const f = base.facets!;
  assert.equal(
    f.source!.reduce((n, v) => n + v.count, 0),
    base.total,
    'source is single-valued',
  );
  assert.equal(
    f.month!.reduce((n, v) => n + v.count, 0),
    base.total,
    'month is single-valued',
  );
  for (const { value, count } of f.source!)
    assert.equal((await run('網', { source: [value] })).total, count, value);
  for (const { value, count } of f.tag!)
    assert.equal((await run('網', { tag: [value] })).total, count, value);
  for (const { value, count } of f.month!) {
    const [y, m] = value.split('-').map(Number);
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    assert.equal((await run('網', { from: `${value}-01`, to: last })).total, count, value);
  }
  // The same filter written in the query.
  assert.equal(
    (await run('網 source:中央社')).total,
    (await run('網', { source: ['中央社'] })).total,
  );
  assert.ok((await run('網 source:中央社')).hits.every((h) => h.source === '(臺)中央社CNA'));
});

test('dates filter inclusively and sort=date orders strictly by date', async () => {
  const r = await run('網', { sort: 'date' });
  const times = r.hits.map((h) => Date.parse(h.date!));
  for (let i = 1; i < times.length; i++)
    assert.ok(times[i - 1] >= times[i], `hit ${i} is newer than hit ${i - 1}`);
  const day = await run('網', { from: '2020-12-25', to: '2020-12-25' });
  assert.deepEqual(ids(day), [EXAMPLE_ID]);
});

test('freshness: of two equally relevant articles the newer wins; a clearly more relevant old one still wins', () => {
  const index = tinyIndex([
    {
      id: 'old-strong',
      title: '颱風警報發布',
      body: '颱風逼近，氣象局發布颱風警報，颱風外圍環流帶來豪雨。',
      date: '2020-08-01T00:00:00.000Z',
    },
    {
      id: 'old-weak',
      title: '天氣',
      body: '各地多雲，颱風消息請留意。',
      date: '2020-08-02T00:00:00.000Z',
    },
    {
      id: 'new-weak',
      title: '天氣',
      body: '各地多雲，颱風消息請留意。',
      date: '2020-12-01T00:00:00.000Z',
    },
  ]);
  const order = search(index, { q: '颱風', page: 1, size: 10 }).hits.map((h) => h.id);
  assert.deepEqual(order, ['old-strong', 'new-weak', 'old-weak']);
});

test('explain=true gives the parts of each score', async () => {
  const r = await run('數位身分證 試辦', { explain: true, size: 3 });
  const e = r.hits[0].explain!;
  assert.equal(e.verbatim_clauses, 2);
  assert.deepEqual(
    e.terms.map((t) => t.term),
    ['数位身分证', '试办'],
  );
  assert.ok(e.terms.every((t) => t.via === 'verbatim' && t.title + t.body > 0 && t.bm25f > 0));
  assert.ok(Math.abs(e.relevance * e.freshness - e.score) < 0.01);
});

test('script=hans / hant converts titles and snippets for display only', async () => {
  const hans = await run('數位身分證', { script: 'hans' });
  const hit = hans.hits.find((h) => h.id === EXAMPLE_ID)!;
  assert.equal(hit.title_html, '新竹市：<mark>数位身分证</mark>110年1月试办倾向暂缓');
  assert.match(hit.snippet, /<mark>数位身分证<\/mark>/);
  const hant = await run('数字身份证', { script: 'hant' });
  assert.ok(hant.hits.some((h) => /<mark>數字身份證<\/mark>/.test(h.snippet)));
  assert.deepEqual(ids(hans), ids(await run('數位身分證')), 'the same hits in the same order');
});

test('suggestions complete what was typed, in the script typed', async () => {
  const { index } = await seedsIndex();
  assert.ok(suggest(index, '數位', 8).suggestions.some((s) => s.text === '數位身分證'));
  assert.ok(suggest(index, '数位', 8).suggestions.some((s) => s.text === '数位身分证'));
  assert.ok(suggest(index, '紐西', 8).suggestions.some((s) => s.text.startsWith('紐西蘭')));
  assert.deepEqual(suggest(index, '，，', 8).suggestions, []);
  const withHead = suggest(index, '新竹 數位', 8).suggestions;
  assert.ok(withHead.length > 0 && withHead.every((s) => s.text.startsWith('新竹 數位')));
});

test('documents: the article with its text and related links; more like this excludes itself', async () => {
  const { index } = await seedsIndex();
  const d = docNumber(index, EXAMPLE_ID)!;
  const doc = getDocument(index, d);
  assert.equal(doc.title, '新竹市：數位身分證110年1月試辦傾向暫緩');
  assert.ok(doc.body.startsWith('新竹市政府25日表示'));
  assert.equal(doc.related.length, 3);
  const related = relatedDocuments(index, d, 5);
  assert.ok(related.length > 0);
  assert.ok(related.every((r) => r.id !== EXAMPLE_ID && r.shared_terms.length >= 2));
  assert.ok(
    related.some((r) => r.id.includes('數位身分證試辦在即')),
    JSON.stringify(related.map((r) => r.id)),
  );
});

test('near-duplicates: every copy listed with the original first; collapse=true folds them', () => {
  const story =
    '新竹市政府今天表示，數位身分證試辦計畫將延後，市府秉持市民優先、資安第一原則，若中央無法針對資安疑慮提出說明，傾向暫緩試辦。' +
    '內政部原規劃明年一月起在新竹市小規模試辦，由民眾自願申請換證，市議員與人權團體則呼籲先行立法。';
  const index = tinyIndex([
    {
      id: 'original',
      title: '新竹市：數位身分證試辦傾向暫緩',
      body: story,
      date: '2020-12-25T07:57:00.000Z',
    },
    {
      id: 'copy',
      title: '新竹市數位身分證試辦傾向暫緩[影]',
      body: story + '（圖取自市府網頁）',
      date: '2020-12-25T15:10:00.000Z',
    },
    {
      id: 'other',
      title: '數位身分證晶片由國內廠商製造',
      body: '內政部說明，數位身分證晶片將由國內廠商製造，並通過資安檢測。',
      date: '2020-12-26T02:00:00.000Z',
    },
  ]);
  assert.equal(index.arrays.dupOf[1], 0, 'the copy points to the original');
  assert.equal(index.arrays.dupOf[2], -1);
  const all = search(index, { q: '數位身分證 試辦', page: 1, size: 10 });
  assert.deepEqual(new Set(ids(all)), new Set(['original', 'copy']));
  assert.equal(ids(all)[0], 'original', 'the original takes the best place of its copies');
  const folded = search(index, { q: '數位身分證 試辦', page: 1, size: 10, collapse: true });
  assert.equal(folded.total, 1);
  assert.deepEqual(ids(folded), ['original']);
  assert.deepEqual(folded.hits[0].duplicates, ['copy']);
});

test('regional equivalence of an organization and a place, by tiny examples', () => {
  const index = tinyIndex([
    { id: 'tw', title: '輝達財報', body: '晶片大廠輝達公布財報，營收創新高。' },
    { id: 'cn', title: '英伟达财报', body: '芯片巨头英伟达公布财报，营收创新高。' },
    { id: 'tw-place', title: '紐西蘭疫情', body: '紐西蘭宣布邊境管制延長。' },
    { id: 'cn-place', title: '新西兰疫情', body: '新西兰宣布边境管制延长。' },
  ]);
  const found = (q: string) =>
    new Set(search(index, { q, page: 1, size: 10 }).hits.map((h) => h.id));
  assert.deepEqual(found('輝達'), new Set(['tw', 'cn']));
  assert.deepEqual(found('英伟达'), new Set(['tw', 'cn']));
  assert.deepEqual(found('新西兰'), new Set(['tw-place', 'cn-place']));
  assert.deepEqual(found('紐西蘭'), new Set(['tw-place', 'cn-place']));
});
