/**
 * Integration over real posts in ../shared/corpus (when present): the opinion folder (1,500
 * posts, mostly Simplified, some Traditional and English) indexed with worker threads, then the
 * public evaluation queries whose answers lie in it. Skipped, and says so, without ../shared.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import { search } from '../src/search/searcher.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { SHARED } from './helpers.js';

const OPED = join(SHARED, 'corpus', 'oped');
const QUERIES = join(SHARED, 'eval', 'queries-public.jsonl');
const skip =
  existsSync(OPED) && existsSync(QUERIES)
    ? false
    : `skipped: ${OPED} not found (../shared is not beside the repo)`;

interface Query {
  kind: string;
  q: string;
  q_alt: string;
  target?: string;
  truth?: string[];
}

let index: NewsIndex;
let ids: Set<string>;
let queries: Query[];

before(async () => {
  if (skip) return;
  const built = await buildIndex([OPED], { workers: 2 });
  assert.equal(built.report.errors.length, 0, JSON.stringify(built.report.errors.slice(0, 3)));
  index = built.index;
  ids = new Set(index.docs.map((d) => d.id));
  queries = readFileSync(QUERIES, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Query);
});

const top = (q: string, size: number) => search(index, { q, page: 1, size }).hits.map((h) => h.id);

test('every post of the folder is indexed', { skip }, () => {
  assert.equal(index.size, 1500);
});

test('substring and sub-word queries find every post that contains them, verbatim ones first', {
  skip,
}, () => {
  let checked = 0;
  let rprec = 0;
  for (const q of queries.filter((x) => x.truth)) {
    const truth = q.truth!.filter((id) => ids.has(id));
    if (truth.length === 0) continue;
    for (const text of [q.q, q.q_alt]) {
      const found = top(text, 100);
      for (const id of truth) assert.ok(found.includes(id), `${text}: missing ${id}`);
      const first = new Set(found.slice(0, truth.length));
      rprec += truth.filter((id) => first.has(id)).length / truth.length;
      checked++;
    }
  }
  assert.ok(checked >= 50, `only ${checked} queries have answers in this folder`);
  assert.ok(rprec / checked >= 0.97, `R-precision ${rprec / checked}`);
});

test('known-item queries put the article in the top 10 in both scripts', { skip }, () => {
  const known = queries.filter((x) => x.kind === 'known' && ids.has(x.target!));
  assert.ok(known.length >= 10);
  let hits = 0;
  for (const q of known)
    for (const text of [q.q, q.q_alt]) if (top(text, 10).includes(q.target!)) hits++;
  assert.ok(hits / (known.length * 2) >= 0.95, `success@10 ${hits / (known.length * 2)}`);
});

test('queries in either script return the same top 10', { skip }, () => {
  let same = 0;
  const sample = queries.filter((x) => x.q !== x.q_alt).slice(0, 200);
  for (const q of sample)
    if (JSON.stringify(top(q.q, 10)) === JSON.stringify(top(q.q_alt, 10))) same++;
  assert.ok(same / sample.length >= 0.97, `identical top 10 for ${same}/${sample.length}`);
});
