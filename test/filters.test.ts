/**
 * Filters and facets (src/search/filters.ts) over the seeds index, checked against the seed
 * posts' own front matter: outlet and tag values (exact, else contained, in either script), date
 * bounds (inclusive, whole days in UTC), and facet counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, facetCounts, parseDateBound } from '../src/search/filters.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { SearchError } from '../src/errors.js';
import { seedsIndex } from './helpers.js';

let index: NewsIndex;
before(async () => {
  index = (await seedsIndex()).index;
});

const all = () => Array.from({ length: index.size }, (_, d) => d);
/** The ids of the documents a filter keeps. */
function kept(spec: Parameters<typeof compileFilter>[1]): string[] {
  const keep = compileFilter(index, spec);
  assert.ok(keep, 'a filter');
  return all()
    .filter(keep)
    .map((d) => index.docs[d].id)
    .sort();
}
const idsWhere = (pred: (doc: NewsIndex['docs'][number]) => boolean) =>
  index.docs
    .filter(pred)
    .map((d) => d.id)
    .sort();

test('dates: a day is a whole day in UTC; a full ISO time is exact; anything else is refused', () => {
  assert.equal(parseDateBound('2020-12-25', 'from'), Date.parse('2020-12-25T00:00:00.000Z'));
  assert.equal(parseDateBound('2020-12-25', 'to'), Date.parse('2020-12-25T23:59:59.999Z'));
  assert.equal(
    parseDateBound('2020-12-25T07:57:00+08:00', 'to'),
    Date.parse('2020-12-24T23:57:00.000Z'),
  );
  for (const bad of ['25/12/2020', '2020-13-45', 'yesterday', '', '2020-12'])
    assert.throws(
      () => parseDateBound(bad, 'from'),
      (e: unknown) =>
        e instanceof SearchError &&
        e.code === 'bad_request' &&
        /^from must be a date/.test(e.message),
      bad,
    );
});

test('a date range keeps the posts dated inside it, its end day included, undated ones never', () => {
  const from = parseDateBound('2020-12-02', 'from');
  const to = parseDateBound('2021-02-20', 'to');
  const expected = idsWhere(
    (d) => d.date !== null && d.date >= '2020-12-02' && d.date < '2021-02-21',
  );
  assert.ok(expected.length >= 4, expected.join());
  assert.ok(
    expected.some((id) => id.startsWith('2021-02-20')),
    'the end day is in',
  );
  assert.deepEqual(kept({ sources: [], tags: [], from, to }), expected);
  assert.equal(compileFilter(index, { sources: [], tags: [] }), null, 'no filter: null');
});

test('source: the exact value when an article has it, else every value containing it, either script', () => {
  const hk = idsWhere((d) => d.source === '(港)範例日報');
  assert.ok(hk.length >= 3);
  assert.deepEqual(kept({ sources: ['(港)範例日報'], tags: [] }), hk);
  // Contained, in the other script: 范例新闻网 (Simplified) finds (臺)範例新聞網 and (中)范例新闻网.
  assert.deepEqual(
    kept({ sources: ['范例新闻网'], tags: [] }),
    idsWhere((d) => d.source === '(臺)範例新聞網' || d.source === '(中)范例新闻网'),
  );
  assert.deepEqual(
    kept({ sources: ['中央社'], tags: [] }),
    idsWhere((d) => d.source === '(臺)中央社CNA'),
  );
  // Two sources (or tags): either, as docs/api.md says; a source and a tag: both.
  assert.deepEqual(
    kept({ sources: ['(港)範例日報', '中央社'], tags: [] }),
    idsWhere((d) => d.source === '(港)範例日報' || d.source === '(臺)中央社CNA'),
  );
  assert.deepEqual(
    kept({ sources: [], tags: ['(港)範例日報', '(臺)中央社CNA'] }),
    idsWhere((d) => d.tags.includes('(港)範例日報') || d.tags.includes('(臺)中央社CNA')),
  );
  assert.deepEqual(kept({ sources: ['中央社'], tags: ['範例日報'] }), []);
  assert.deepEqual(kept({ sources: ['沒有這家媒體'], tags: [] }), []);
  assert.throws(() => compileFilter(index, { sources: [' '], tags: [] }), /source needs a value/);
});

test('facets count every value over the documents given; months in order, the rest by count', () => {
  const docs = all();
  const f = facetCounts(index, docs, ['source', 'tag', 'month']);
  const tally = (values: (string | null)[]) => {
    const m = new Map<string, number>();
    for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
    return m;
  };
  const sources = tally(index.docs.map((d) => d.source));
  assert.deepEqual(new Map(f.source!.map((v) => [v.value, v.count])), sources);
  const tags = tally(index.docs.flatMap((d) => [...new Set(d.tags)]));
  assert.deepEqual(new Map(f.tag!.map((v) => [v.value, v.count])), tags);
  const months = tally(index.docs.map((d) => d.date?.slice(0, 7) ?? null));
  assert.deepEqual(
    f.month!.map((v) => [v.value, v.count]),
    [...months].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  );
  const counts = f.source!.map((v) => v.count);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => b - a),
  );

  // Over a subset, and asked twice (the counters are reused): the same answer.
  const hk = docs.filter((d) => index.docs[d].source === '(港)範例日報');
  const once = facetCounts(index, hk, ['source', 'month']);
  assert.deepEqual(once.source, [{ value: '(港)範例日報', count: hk.length }]);
  assert.equal(once.tag, undefined, 'only the fields asked for');
  assert.deepEqual(facetCounts(index, hk, ['source', 'month']), once);
  assert.deepEqual(facetCounts(index, [], ['source']), { source: [] });
  assert.equal(facetCounts(index, docs, ['tag'], 2).tag!.length, Math.min(2, tags.size));
});
