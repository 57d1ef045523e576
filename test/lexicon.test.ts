/**
 * The suggestion lexicon (src/index/lexicon.ts) as derived state of a flush: built in a worker
 * thread (and its FlexSearch prefix index in slices) to the same tables and answers as in this
 * thread at once, served by the writer's readers once built, the
 * previous one serving meanwhile, on the seeds index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lexicon, LexiconWorker, packEntries, type LexiconTables } from '../src/index/lexicon.js';
import { RequestWorker } from '../src/index/request-worker.js';
import { IndexReader } from '../src/index/reader.js';
import { applyRecords, IndexWriter } from '../src/index/writer.js';
import { flush } from '../src/index/segments.js';
import { suggest } from '../src/search/suggest.js';
import { searchOrCorrect } from '../src/search/did-you-mean.js';
import { normalize } from '../src/analysis/normalize.js';
import { seedsIndex } from './helpers.js';

const texts = (r: { suggestions: { text: string }[] }) =>
  r.suggestions.map((s) => normalize(s.text));

/** A put of a seeds-like article whose title holds words no seed title has. */
const put = (n: number) => ({
  op: 'put' as const,
  extra: '',
  article: {
    id: `test/lexicon-${n}`,
    title: `鳳梨酥觀光工廠擴建第${n}期`,
    body: '鳳梨酥觀光工廠今天宣布擴建，預計明年完工，吸引更多遊客參觀。',
    url: null,
    source: '(臺)中央社CNA',
    date: '2021-03-01T08:00:00+08:00',
    tags: [],
    categories: [],
    related: [],
  },
});

test('a lexicon built in the worker has the same tables as one built in this thread', async () => {
  const { index } = await seedsIndex();
  const here = Lexicon.build(index.vocabulary);
  const worker = new LexiconWorker();
  try {
    const there = (await worker.build(index.vocabulary))!;
    assert.equal(there.vocabulary, index.vocabulary);
    assert.ok(here.tables.offsets.length > 1000, `${here.tables.offsets.length} keys`);
    assert.deepEqual(there.tables, here.tables);
  } finally {
    await worker.close();
  }
});

test('a request worker stops its thread once idle and starts one again for the next request', async () => {
  const { index } = await seedsIndex();
  const here = Lexicon.build(index.vocabulary);
  const worker = new RequestWorker<string, LexiconTables>(
    new URL('../src/index/lexicon-worker.js', import.meta.url),
    50,
  );
  try {
    for (let round = 0; round < 2; round++) {
      const tables = await worker.request(packEntries(index.vocabulary));
      assert.deepEqual(tables, here.tables, `round ${round}`);
      assert.equal(worker.running, true, 'kept right after an answer');
      await new Promise((ok) => setTimeout(ok, 300));
      assert.equal(worker.running, false, 'stopped once idle');
    }
  } finally {
    await worker.close();
  }
});

test('character prefixes: entries with the prefix, most frequent first, sliced build as one-shot', async () => {
  const { index } = await seedsIndex();
  const here = Lexicon.build(index.vocabulary);
  const worker = new LexiconWorker();
  try {
    const there = (await worker.build(index.vocabulary))!;
    assert.notEqual(there.prefixes, here.prefixes, 'built anew, in slices');
    const { vocabulary } = here;
    // Every beginning of every entry, and prefixes nothing starts with.
    const prefixes = new Set(['不存在的詞', 'covid', normalize('數位')]);
    for (const e of vocabulary) {
      const chars = Array.from(e.text);
      for (let n = 1; n <= chars.length; n++) prefixes.add(chars.slice(0, n).join(''));
    }
    assert.ok(prefixes.size > 500, `${prefixes.size} prefixes`);
    let found = 0;
    for (const p of prefixes) {
      const all = vocabulary.flatMap((e, i) => (e.text.startsWith(p) ? [i] : []));
      found += all.length ? 1 : 0;
      for (const limit of [5, 24]) {
        assert.deepEqual(here.prefixes.search(p, { limit }), all.slice(0, limit), p);
        assert.deepEqual(there.prefixes.search(p, { limit }), all.slice(0, limit), p);
      }
    }
    assert.ok(found > 500, `${found} prefixes found`);
    assert.deepEqual(there.prefixes.search('不存在的詞', { limit: 5 }), []);
  } finally {
    await worker.close();
  }
});

test('a flush that leaves the lexicon to the writer serves the previous one meanwhile', async () => {
  const { index } = await seedsIndex();
  const before = IndexReader.fromIndex(index);
  const previous = before.lexicon;
  const written = await applyRecords(before, [{ ...put(1), seq: before.appliedSeq + 1 }]);
  const kept = flush(written, { lexicon: 'keep' });
  assert.notEqual(kept.vocabulary, before.vocabulary);
  assert.equal(kept.lexiconCurrent, false);
  assert.equal(kept.lexicon, previous, 'the previous lexicon, not one built on this query');
  assert.deepEqual(texts(suggest(kept, '鳳梨', 5)), []);
  const built = flush(written);
  assert.equal(built.lexiconCurrent, true);
  assert.ok(texts(suggest(built, '鳳梨', 5)).includes('凤梨酥观光'));
  assert.ok(texts(suggest(built, 'fenglisu', 5)).includes('凤梨酥'));
});

test('the writer swaps in the new vocabulary lexicon after a flush: suggestions and corrections', async () => {
  const { index } = await seedsIndex();
  const { writer } = await IndexWriter.open(index, null);
  try {
    await writer.submit([put(1), put(2)]);
    await writer.flush();
    await writer.lexiconReady();
    const reader = writer.index;
    assert.equal(reader.lexiconCurrent, true);
    assert.ok(texts(suggest(reader, 'fenglisu', 5)).includes('凤梨酥'), 'pinyin');
    assert.ok(texts(suggest(reader, '鳳梨', 5)).includes('凤梨酥'), 'characters');
    // A homophone typo of the new term (風 for 鳳, both feng) is corrected to it.
    const r = searchOrCorrect(reader, { q: '風梨酥觀光工廠', page: 1, size: 10 });
    assert.equal(r.total, 2);
    assert.equal(normalize(r.corrected_from ?? ''), normalize('風梨酥觀光工廠'));
  } finally {
    await writer.close();
  }
});

test('a build still waiting when a newer vocabulary is asked for is skipped', async () => {
  const { index } = await seedsIndex();
  const newer = index.vocabulary.slice(0, 100);
  const newest = index.vocabulary.slice(0, 50);
  const worker = new LexiconWorker();
  try {
    const started = worker.build(index.vocabulary);
    await new Promise((ok) => setImmediate(ok)); // the first is under way in the worker
    const [first, second, third] = await Promise.all([
      started,
      worker.build(newer),
      worker.build(newest),
    ]);
    // The second waited behind the first and was superseded by the third.
    assert.equal(first?.vocabulary, index.vocabulary);
    assert.equal(second, null);
    assert.equal(third?.vocabulary, newest);
    assert.deepEqual(third?.tables, Lexicon.build(newest).tables);
  } finally {
    await worker.close();
  }
});
