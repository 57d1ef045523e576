/**
 * The bounded top-k (searcher.ts: candidates whose score bound cannot reach the page are counted,
 * not scored) against scoring every candidate, on the corpus in ../shared: every public query
 * (q and q_alt) must give the same hits, scores, totals and facets, on the first page and a later
 * one, with and without a filter. And the merge of a word's regional forms (mergeOccurrences)
 * against sorting every occurrence. Skipped, and says so, without ../shared.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { readerOf } from '../src/index/reader.js';
import { findTerm } from '../src/search/matcher.js';
import { mergeOccurrences, search, type SearchParams } from '../src/search/searcher.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import { SHARED } from './helpers.js';

const FOLDERS = ['corpus/cna-rti', 'corpus/oped'].map((f) => join(SHARED, f));
const QUERIES = join(SHARED, 'eval', 'queries-public.jsonl');
const skip =
  FOLDERS.every((f) => existsSync(f)) && existsSync(QUERIES)
    ? false
    : `skipped: ${FOLDERS[0]} not found (../shared is not beside the repo)`;

let index: NewsIndex;
let queries: string[];

before(async () => {
  if (skip) return;
  ({ index } = await buildIndex(FOLDERS, { workers: 0 }));
  queries = readFileSync(QUERIES, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      const q = JSON.parse(l) as { q: string; q_alt: string };
      return [q.q, q.q_alt];
    });
});

const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

test('bounded top-k gives what scoring every candidate gives, for every public query', {
  skip,
}, () => {
  // Some documents deleted, so dead documents are skipped as well.
  const whole = readerOf(index);
  const dead: number[] = [];
  for (let d = 0; d < index.size; d += 17) dead.push(d);
  const withDeletes = whole.with({ segments: [whole.segments[0].withDeleted(dead)] });
  let compared = 0;
  let many = 0;
  queries.forEach((q, i) => {
    const params: SearchParams = {
      q,
      page: 1 + (i % 3 === 0 ? 1 : 0),
      size: i % 2 ? 10 : 5,
      ...(i % 4 === 1 ? { facets: ['source', 'tag', 'month'] as const } : {}),
      ...(i % 6 === 2 ? { from: '2020-06-01' } : {}),
    };
    // Also with the lead field weighed and with a strong freshness factor (both bounded too).
    const ranking =
      i % 5 === 3
        ? { ...DEFAULT_RANKING, leadWeight: 0.75 }
        : i % 5 === 4
          ? { ...DEFAULT_RANKING, freshnessWeight: 0.5 }
          : DEFAULT_RANKING;
    for (const target of [index, withDeletes]) {
      const bounded = search(target, params, ranking);
      const exhaustive = search(target, { ...params, exhaustive: true }, ranking);
      const view = (r: typeof bounded) => ({
        total: r.total,
        hits: r.hits.map((h) => [h.id, h.score, h.snippet, h.duplicates]),
        facets: r.facets,
      });
      assert.deepEqual(view(bounded), view(exhaustive), `query ${JSON.stringify(q)}`);
      compared++;
      if (bounded.total > 10 * params.size) many++;
    }
  });
  // The comparison covered queries with far more matches than one page, where bounds prune.
  assert.ok(compared === 2 * queries.length && many > compared / 20, `${many} of ${compared}`);
});

test('regional forms merge as sorting every occurrence would', { skip }, () => {
  // Forms that overlap and share starts: 部分 / 部份, and a longer form starting alike.
  const sets = [
    ['部分', '部份'],
    ['台湾', '台湾人', '湾'],
    ['软件', '软体', '软件公司'],
  ];
  let checked = 0;
  for (const texts of sets) {
    const forms = texts.map((t) => findTerm(index, t, codePoints(t)));
    const merged = mergeOccurrences(index, texts[0], forms[0].length, forms, 0.95);
    // Reference: every occurrence as a record, sorted by start then longest, first form first.
    const all = forms.flatMap((f, form) =>
      Array.from(f.occ, (pos) => ({ pos, end: pos + f.length, form })),
    );
    all.sort((a, b) => a.pos - b.pos || b.end - a.end || a.form - b.form);
    const kept = all.filter((o, i) => i === 0 || o.pos !== all[i - 1].pos);
    // Documents found one occurrence at a time, as a reference for regroup's galloping.
    const docs: number[] = [];
    const docFrom: number[] = [];
    kept.forEach((o, i) => {
      const d = index.docAt(o.pos);
      if (docs.at(-1) !== d) {
        docs.push(d);
        docFrom.push(i);
      }
    });
    docFrom.push(kept.length);
    const expected = { occ: kept.map((o) => o.pos), docs, docFrom };
    assert.deepEqual(Array.from(merged.occ), expected.occ, texts.join(' '));
    assert.deepEqual(Array.from(merged.docs), expected.docs);
    assert.deepEqual(Array.from(merged.docFrom), expected.docFrom);
    assert.deepEqual(
      Array.from(merged.ends!),
      kept.map((o) => o.end),
    );
    assert.deepEqual(
      Array.from(merged.forms!),
      kept.map((o) => o.form),
    );
    assert.deepEqual(
      Array.from(merged.weights!),
      kept.map((o) => (o.form === 0 ? 1 : Math.fround(0.95))),
    );
    if (forms.every((f) => f.occ.length > 0)) checked++;
  }
  assert.ok(checked >= 2, 'forms found in the corpus');
});
