import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listPosts } from '../src/ingest/files.js';
import { analyzePost } from '../src/index/analyze-post.js';
import { IndexBuilder, type AnalyzedArticle } from '../src/index/builder.js';
import { mergeIndex } from '../src/index/merge.js';
import { titleTerms } from '../src/index/vocabulary.js';
import type { NewsIndex } from '../src/index/news-index.js';
import type { Article } from '../src/ingest/article.js';
import { analyzeText, analyzerFingerprint } from '../src/analysis/analyzer.js';
import { search } from '../src/search/searcher.js';
import { SEEDS } from './helpers.js';

const QUERIES = [
  '數位身分證',
  '身份证',
  '软件',
  'iphone',
  '市政',
  '伺服器 資料庫',
  '激光雷達',
  '𠮷田',
  '龘靐',
  '"新竹市"',
];

let itemsCache: Promise<AnalyzedArticle[]> | undefined;
/** The seed posts, analyzed as buildIndex does (in id order; unreadable posts left out). */
function seedItems(): Promise<AnalyzedArticle[]> {
  itemsCache ??= (async () => {
    const out: AnalyzedArticle[] = [];
    for (const ref of await listPosts(SEEDS)) {
      const o = analyzePost(ref);
      if (o.ok === true) out.push(o.value);
    }
    return out;
  })();
  return itemsCache;
}

function build(items: AnalyzedArticle[]): NewsIndex {
  const b = new IndexBuilder();
  for (const i of items) b.add(i);
  return b.build(analyzerFingerprint());
}

function analyzed(article: Article, extra = ''): AnalyzedArticle {
  return {
    article,
    title: analyzeText(article.title),
    body: analyzeText(article.body),
    extra: analyzeText(extra, false),
  };
}

function articleOf(
  fields: Partial<Article> & { id: string; title: string; body: string },
): Article {
  return { url: null, source: null, date: null, tags: [], categories: [], related: [], ...fields };
}

/** A new version of an item: the same article with a paragraph added to its body. */
function edited(item: AnalyzedArticle, paragraph: string): AnalyzedArticle {
  return analyzed({ ...item.article, body: `${item.article.body}\n${paragraph}` });
}

/** Every posting list by its pair of code points (0 for "followed by a non-word character"). */
function postingsByPair(index: NewsIndex): Map<string, number[]> {
  const { chars, keys, keyStarts, positions } = index.arrays;
  const K = index.keyBase;
  const out = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const a = Math.floor(keys[i] / K);
    const b = keys[i] - a * K;
    assert.ok(
      a >= 1 && a < K && b >= 0 && b < K,
      `key ${keys[i]} decodes inside the character table`,
    );
    if (i > 0) assert.ok(keys[i] > keys[i - 1], 'keys ascend');
    assert.ok(keyStarts[i + 1] > keyStarts[i], 'no empty posting list');
    const list = Array.from(positions.subarray(keyStarts[i], keyStarts[i + 1]));
    for (let j = 1; j < list.length; j++) assert.ok(list[j] > list[j - 1], 'positions ascend');
    out.set(`${chars[a]},${b === 0 ? 0 : chars[b]}`, list);
  }
  assert.equal(keyStarts[keys.length], positions.length);
  return out;
}

/** Every code point of every field of the items. */
function codePointsOf(items: AnalyzedArticle[]): Set<number> {
  const out = new Set<number>();
  for (const i of items)
    for (const t of [i.title, i.body, i.extra]) for (const cp of t.codePoints) out.add(cp);
  return out;
}

function bit(bits: Uint8Array, p: number): number {
  return (bits[p >> 3] >> (p & 7)) & 1;
}

/** `merged` answers exactly as `expected` (built from scratch over `items`) in every respect. */
function assertEquivalent(
  merged: NewsIndex,
  expected: NewsIndex,
  items: AnalyzedArticle[],
  options: { surfaceForms?: boolean } = {},
): void {
  const m = merged.arrays;
  const e = expected.arrays;
  assert.equal(merged.size, items.length);
  assert.deepEqual(merged.docs, expected.docs);
  assert.deepEqual(m.docStarts, e.docStarts);
  assert.deepEqual(m.bodyStarts, e.bodyStarts);
  assert.deepEqual(m.extraStarts, e.extraStarts);
  const total = e.docStarts[expected.size];
  assert.equal(m.wordStarts.length, e.wordStarts.length);
  assert.equal(m.nonWord.length, e.nonWord.length);
  for (let p = 0; p <= total; p++) {
    if (bit(m.wordStarts, p) !== bit(e.wordStarts, p)) assert.fail(`word-start bit ${p} differs`);
    if (bit(m.nonWord, p) !== bit(e.nonWord, p)) assert.fail(`non-word bit ${p} differs`);
  }
  assert.equal(bit(m.wordStarts, total), 1, 'the end bit is set');
  assert.deepEqual(m.wordStarts, e.wordStarts); // and nothing past it
  assert.deepEqual(m.nonWord, e.nonWord);
  for (let d = 0; d < expected.size; d++) assert.equal(merged.body(d), expected.body(d));
  assert.deepEqual(m.bodyBytes, e.bodyBytes);
  assert.deepEqual(m.bodyOffsets, e.bodyOffsets);
  assert.deepEqual(m.bodyAstral, e.bodyAstral);
  assert.deepEqual(merged.dateMs, expected.dateMs);
  assert.deepEqual(merged.stats, expected.stats);
  assert.equal(merged.fingerprint, expected.fingerprint);
  if (options.surfaceForms === false) {
    // Removed titles take their counts out, not their surface forms (the index keeps no form counts).
    const terms = (v: NewsIndex['vocabulary']) => v.map((e) => [e.text, e.df]);
    assert.deepEqual(terms(merged.vocabulary), terms(expected.vocabulary));
  } else assert.deepEqual(merged.vocabulary, expected.vocabulary);
  assert.deepEqual(m.dupOf, e.dupOf);

  // Postings: the same lists under the same pairs of characters, whatever the character ids.
  assert.deepEqual(postingsByPair(merged), postingsByPair(expected));
  assert.equal(m.positions.length, e.positions.length);
  // And through the public lookups, for every pair of adjacent characters and every character.
  for (const item of items) {
    for (const t of [item.title, item.body, item.extra]) {
      const cps = t.codePoints;
      for (let i = 0; i + 1 < cps.length; i++)
        assert.deepEqual(merged.bigram(cps[i], cps[i + 1]), expected.bigram(cps[i], cps[i + 1]));
    }
  }
  for (const cp of codePointsOf(items)) assert.deepEqual(merged.single(cp), expected.single(cp));

  for (const q of QUERIES) {
    const a = search(merged, { q, page: 1, size: 20 });
    const b = search(expected, { q, page: 1, size: 20 });
    assert.deepEqual(a.hits, b.hits, `hits for ${q}`);
    assert.equal(a.total, b.total, `total for ${q}`);
  }
}

/** Length (positions) of the removed documents of `index`. */
function removedLength(index: NewsIndex, removed: number[]): number {
  return removed.reduce((s, d) => s + index.arrays.docStarts[d + 1] - index.arrays.docStarts[d], 0);
}

test('adding articles to an index equals building it from scratch', async () => {
  const items = await seedItems();
  assert.ok(items.length >= 15, `seed posts: ${items.length}`);
  for (const k of [0, 1, Math.floor(items.length / 2), items.length - 1, items.length]) {
    const merged = mergeIndex(build(items.slice(0, k)), [], items.slice(k));
    assertEquivalent(merged, build(items), items);
  }
  // The search results are real, not empty on both sides.
  assert.ok(search(build(items), { q: '數位身分證', page: 1, size: 10 }).hits.length >= 3);
  assert.ok(search(build(items), { q: 'iphone', page: 1, size: 10 }).hits.length >= 1);
});

test('adding in several batches equals one build', async () => {
  const items = await seedItems();
  let index = build(items.slice(0, 3));
  for (let k = 3; k < items.length; k += 4) index = mergeIndex(index, [], items.slice(k, k + 4));
  assertEquivalent(index, build(items), items);
});

test('removing documents (middle, start, end, all) and replacing one equals a build of what remains', async () => {
  const items = await seedItems();
  const n = items.length;
  const base = build(items);
  const replaced = edited(
    items[6],
    '（更新）市府補充說明：試辦時程將視中央政策調整，並持續與資安專家討論晶片與伺服器的防護措施。',
  );
  const cases: { removed: number[]; added: AnalyzedArticle[] }[] = [
    { removed: [5, 9], added: [] },
    { removed: [6], added: [replaced] }, // replace = remove + add the new version
    { removed: [4, 5, 6, 10], added: [replaced] },
    { removed: [0], added: [] },
    { removed: [0, 1, 2], added: [items[1]] },
    { removed: [n - 1], added: [] },
    { removed: [n - 2, n - 1], added: [replaced] },
    { removed: [1, 3, 5, 7, 9, 11, 13], added: [] },
    { removed: [...items.keys()], added: [] },
    { removed: [...items.keys()], added: [items[3], replaced] },
  ];
  for (const { removed, added } of cases) {
    const remaining = items.filter((_, d) => !removed.includes(d)).concat(added);
    const merged = mergeIndex(base, removed, added);
    assertEquivalent(merged, build(remaining), remaining, { surfaceForms: false });
  }
  // Removing everything leaves an empty index that still answers.
  const empty = mergeIndex(base, items.keys(), []);
  assert.equal(empty.size, 0);
  assert.equal(empty.arrays.positions.length, 0);
  assert.equal(empty.arrays.keys.length, 0);
  assert.equal(search(empty, { q: '身份证', page: 1, size: 10 }).hits.length, 0);
});

test('removed ranges whose length is not a multiple of 8 shift the bits correctly', async () => {
  const items = await seedItems();
  const base = build(items);
  const lengths = items.map((_, d) => removedLength(base, [d]));
  // One document of each residue we can find, alone and in pairs, so shifts 1..7 all occur.
  const residues = new Map<number, number>();
  lengths.forEach((len, d) => {
    if (d > 0 && d < items.length - 1 && !residues.has(len % 8)) residues.set(len % 8, d);
  });
  const odd = [...residues].filter(([r]) => r !== 0).map(([, d]) => d);
  assert.ok(
    odd.length >= 3,
    `seed documents with lengths of ${odd.length} non-zero residues mod 8`,
  );
  const shifts = new Set<number>();
  const sets: number[][] = [
    ...odd.map((d) => [d]),
    odd.slice(0, 2),
    odd.slice(0, 3),
    [odd[0], items.length - 1],
  ];
  for (const removed of sets) {
    // Every kept run after a removed one moves by the length removed so far.
    const sorted = [...removed].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++)
      shifts.add(removedLength(base, sorted.slice(0, i + 1)) % 8);
    const remaining = items.filter((_, d) => !removed.includes(d));
    assertEquivalent(mergeIndex(base, removed, []), build(remaining), remaining, {
      surfaceForms: false,
    });
  }
  shifts.delete(0);
  assert.ok(shifts.size >= 3, `bit shifts exercised (mod 8): ${[...shifts]}`);
});

test('characters the base never had get new ids and every base key is re-keyed', async () => {
  const items = await seedItems();
  const k = 8;
  const base = build(items.slice(0, k));
  const rare = ['𠮷', '𪚥', '龘', '靐', '㐀', '𡃁'];
  for (const c of rare)
    assert.equal(base.charIds.has(c.codePointAt(0)!), false, `the base has no ${c}`);
  const fresh = analyzed(
    articleOf({
      id: 'new/astral',
      title: '𠮷田先生的龘靐之旅',
      body: '𠮷田先生今天造訪新竹市，品嚐了㐀字號老店的料理。𪚥字由四個龍組成，龘靐兩字也極為罕見。𡃁仔們排隊拍照。\n數位身分證的試辦也在新竹市展開。',
      date: '2021-07-01T08:00:00+08:00',
      source: '測試',
    }),
    '延伸閱讀 𠮷田',
  );
  const added = [...items.slice(k), fresh];
  const merged = mergeIndex(base, [], added);
  assert.ok(merged.keyBase > base.keyBase, 'K grew');
  assert.deepEqual(
    merged.arrays.chars.subarray(0, base.keyBase),
    base.arrays.chars,
    'base characters keep their ids',
  );
  const all = [...items, fresh];
  assertEquivalent(merged, build(all), all);
  const d = merged.size - 1;
  assert.equal(merged.arrays.bodyAstral[d], 1);
  assert.equal(merged.body(d), fresh.article.body);
  const hits = search(merged, { q: '𠮷田', page: 1, size: 10 }).hits;
  assert.equal(hits[0]?.id, 'new/astral');
  assert.match(hits[0].snippet, /<mark>𠮷田<\/mark>/);
  // New characters together with removals (re-keying on the filtering path).
  const removed = [1, 4, 5];
  const merged2 = mergeIndex(base, removed, added);
  const remaining = [...items.slice(0, k).filter((_, d) => !removed.includes(d)), ...added];
  assertEquivalent(merged2, build(remaining), remaining, { surfaceForms: false });
});

const HOUR = 3_600_000;

/** A near-copy of an item: a sentence added, published `hours` later. */
function nearCopy(item: AnalyzedArticle, id: string, hours: number): AnalyzedArticle {
  const date = new Date(Date.parse(item.article.date!) + hours * HOUR).toISOString();
  return analyzed({ ...item.article, id, date, body: `${item.article.body}\n（中央社）` });
}

test('an added near-copy joins the base article group; a removed representative hands over', async () => {
  const items = await seedItems();
  const base = build(items);
  const x = items.findIndex((i) => i.article.date && i.body.codePoints.length > 300);
  assert.ok(x >= 0);
  assert.equal(base.arrays.dupOf[x], -1, 'the original has no near-duplicate in the seeds');

  // A near-copy added later joins the original, which represents the group.
  const copy1 = nearCopy(items[x], 'copy/one', 2);
  const merged = mergeIndex(base, [], [copy1]);
  const c1 = merged.size - 1;
  assert.equal(merged.arrays.dupOf[c1], x);
  assert.equal(merged.arrays.dupOf[x], x);
  assertEquivalent(merged, build([...items, copy1]), [...items, copy1]);

  // A second copy, added in a later batch, joins the same group.
  const copy2 = nearCopy(items[x], 'copy/two', 5);
  const merged2 = mergeIndex(merged, [], [copy2]);
  assert.deepEqual(
    [merged2.arrays.dupOf[x], merged2.arrays.dupOf[c1], merged2.arrays.dupOf[c1 + 1]],
    [x, x, x],
  );
  assertEquivalent(merged2, build([...items, copy1, copy2]), [...items, copy1, copy2]);

  // A copy published before the original represents the group.
  const early = nearCopy(items[x], 'copy/early', -3);
  const merged3 = mergeIndex(merged, [], [early]);
  const e = merged3.size - 1;
  assert.deepEqual(
    [merged3.arrays.dupOf[x], merged3.arrays.dupOf[c1], merged3.arrays.dupOf[e]],
    [e, e, e],
  );
  assertEquivalent(merged3, build([...items, copy1, early]), [...items, copy1, early]);

  // Removing the representative: the remaining members point to the earliest of them.
  const removedRep = mergeIndex(merged2, [x], []);
  const rest = items.filter((_, d) => d !== x);
  const r1 = removedRep.size - 2;
  assert.deepEqual([removedRep.arrays.dupOf[r1], removedRep.arrays.dupOf[r1 + 1]], [r1, r1]);
  assertEquivalent(removedRep, build([...rest, copy1, copy2]), [...rest, copy1, copy2]);

  // With one member left, it has no near-duplicate any more.
  const alone = mergeIndex(merged, [x], []);
  assert.equal(alone.arrays.dupOf[alone.size - 1], -1);
  assertEquivalent(alone, build([...rest, copy1]), [...rest, copy1]);

  // Replacing the original by an edited version keeps it grouped with its copy.
  const fixed = edited(items[x], '（更正）');
  const replaced = mergeIndex(merged, [x], [fixed]);
  const f = replaced.size - 1;
  assert.equal(replaced.arrays.dupOf[f], f);
  assert.equal(replaced.arrays.dupOf[f - 1], f);
  assertEquivalent(replaced, build([...rest, copy1, fixed]), [...rest, copy1, fixed]);

  // Collapsed search shows the group once.
  const hits = search(merged2, {
    q: items[x].article.title,
    page: 1,
    size: 10,
    collapse: true,
  }).hits;
  assert.equal(
    hits.filter((h) => [items[x].article.id, 'copy/one', 'copy/two'].includes(h.id)).length,
    1,
  );
});

test('title terms keep the written form of each span, astral and full-width characters included', () => {
  const title = '𠮷野家牛丼漲價 iPhone１５下月上市 預算 1500 億';
  const terms = titleTerms(title, analyzeText(title));
  const has = (text: string, surface: string) =>
    terms.some(([t, s]) => t === text && s === surface);
  assert.ok(has('涨价', '漲價'), JSON.stringify(terms));
  assert.ok(has('iphone15', 'iPhone１５'));
  assert.ok(terms.some(([t, s]) => t.startsWith('𠮷') && s.startsWith('𠮷')));
  assert.ok(!terms.some(([t]) => /^\d+$/.test(t)), 'no bare numbers');
  for (const [text, surface] of terms) {
    assert.equal(Array.from(text).length, Array.from(surface).length, surface);
    assert.ok(title.includes(surface), surface);
  }
  assert.equal(new Set(terms.map(([t]) => t)).size, terms.length, 'each text once');
});

test('the vocabulary counts added titles in and removed titles out', async () => {
  const items = await seedItems();
  const base = build(items);
  const df = (index: NewsIndex, text: string) =>
    index.vocabulary.find((e) => e.text === text)?.df ?? 0;
  const before = df(base, '数字身份证');
  assert.ok(before >= 1);
  const fresh = analyzed(
    articleOf({
      id: 'new/id-card',
      title: '數位身分證再延期',
      body: '內政部宣布數位身分證再延期。',
      date: '2021-07-02T08:00:00+08:00',
    }),
  );
  const merged = mergeIndex(base, [], [fresh]);
  const freshTerms = titleTerms(fresh.article.title, fresh.title);
  assert.ok(freshTerms.length >= 2);
  for (const [text] of freshTerms) assert.equal(df(merged, text), df(base, text) + 1, text);
  assert.deepEqual(merged.vocabulary, build([...items, fresh]).vocabulary);
  const holders = items.flatMap((item, d) =>
    titleTerms(item.article.title, item.title).some(([t]) => t === '数字身份证') ? [d] : [],
  );
  assert.equal(holders.length, before);
  const removed = mergeIndex(base, holders, []);
  assert.equal(df(removed, '数字身份证'), 0);
  const remaining = items.filter((_, d) => !holders.includes(d));
  const terms = (index: NewsIndex) => index.vocabulary.map((e) => [e.text, e.df]);
  assert.deepEqual(terms(removed), terms(build(remaining)));
});

test('the base index is not changed by merging', async () => {
  const items = await seedItems();
  const base = build(items);
  const snapshot = (index: NewsIndex) => ({
    arrays: Object.fromEntries(
      Object.entries(index.arrays).map(([k, v]) => [k, (v as Int32Array).slice()]),
    ),
    docs: JSON.stringify(index.docs),
    vocabulary: JSON.stringify(index.vocabulary),
    stats: { ...index.stats },
    size: index.size,
    keyBase: index.keyBase,
    chars: index.charIds.size,
    hits: QUERIES.map((q) => ({ ...search(index, { q, page: 1, size: 20 }), took_ms: 0 })),
    bodies: Array.from({ length: index.size }, (_, d) => index.body(d)),
  });
  const before = snapshot(base);
  const fresh = analyzed(
    articleOf({
      id: 'new/x',
      title: '𠮷田龘靐',
      body: '𠮷田龘靐。數位身分證。',
      date: '2021-07-01T08:00:00+08:00',
    }),
  );
  mergeIndex(base, [0, 5, items.length - 1], [fresh, nearCopy(items[3], 'copy/3', 1)]);
  mergeIndex(base, [], [fresh]);
  mergeIndex(base, items.keys(), []);
  assert.deepEqual(snapshot(base), before);
});

test('bad document numbers are refused', async () => {
  const base = build((await seedItems()).slice(0, 3));
  assert.throws(() => mergeIndex(base, [3], []), RangeError);
  assert.throws(() => mergeIndex(base, [-1], []), RangeError);
  assert.throws(() => mergeIndex(base, [1.5], []), RangeError);
});
