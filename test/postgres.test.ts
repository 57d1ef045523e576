/**
 * The PostgreSQL backend against a real PostgreSQL 15 with RUM (a private cluster started here):
 * the same answers as the embedded index over seeds/ (ids, order, scores, snippets, totals,
 * facets, corrections), writes that are searchable and counted exactly at commit, the HTTP API
 * on it, and a streaming replica answering like its primary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { buildIndex } from '../src/index/build.js';
import type { AnalyzedArticle } from '../src/index/builder.js';
import { IndexReader } from '../src/index/reader.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { PostgresBackend, rankingQuery } from '../src/backend/postgres.js';
import { backendSearch, fastQuery, matchQuery, supersetQuery } from '../src/backend/backend.js';
import { searchOrCorrect } from '../src/search/did-you-mean.js';
import { analyzeQuery } from '../src/analysis/analyzer.js';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import type { SearchParams } from '../src/search/searcher.js';
import { spawn } from 'node:child_process';
import pg from 'pg';
import {
  LISTENER_APPLICATION_NAME,
  VOCABULARY_CHANNEL,
} from '../src/backend/vocabulary-listener.js';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { EXAMPLE_ID, REPO, SEEDS } from './helpers.js';
import { IndexBuilder } from '../src/index/builder.js';
import { analyzeArticle } from '../src/index/analyze-post.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import type { VocabularyEntry } from '../src/index/vocabulary.js';
import type { WalOp } from '../src/index/wal.js';
import {
  postgresAvailable,
  startCluster,
  startReplica,
  type PgCluster,
} from '../bench/pg-cluster.js';

const skip = postgresAvailable()
  ? false
  : 'PostgreSQL 15 with RUM is not installed (.ci/run installs postgresql-15 postgresql-15-rum)';

/** Queries from the seeds' own titles: each part, neighbouring parts, and query syntax. */
function queriesOf(index: NewsIndex): SearchParams[] {
  const out: SearchParams[] = [];
  for (const doc of index.docs) {
    const parts = analyzeQuery(doc.title).map((p) => p.text);
    for (const p of parts) out.push({ q: p, page: 1, size: 10 });
    if (parts.length > 1) out.push({ q: `${parts[0]} ${parts[1]}`, page: 1, size: 10 });
    for (const p of parts.slice(0, 1)) {
      const w = analyzeQuery(p)[0]?.words ?? [];
      if (w.length > 1) {
        out.push({ q: `"${w[0]}${w[1]}"`, page: 1, size: 5, facets: ['source', 'month'] });
        out.push({ q: `${w[0]} -${w[1]}`, page: 1, size: 10, sort: 'date' });
        out.push({ q: w[0], page: 1, size: 3, collapse: true, explain: true });
      }
    }
  }
  const source = index.docs.find((d) => d.source)?.source;
  if (source) {
    out.push({ q: '', page: 1, size: 10, source: [source], facets: ['tag'] });
    // Browsing with an exclusion: its characters must stay findable among all documents.
    const word = analyzeQuery(index.docs[0].title)[0].words[0];
    out.push({ q: `-${word}`, page: 1, size: 20, source: [source] });
  }
  out.push({ q: 'xinxilan', page: 1, size: 10 }, { q: '。。', page: 1, size: 10 });
  return out;
}

const CLI = join(REPO, 'dist', 'src', 'cli.js');

const comparable = (r: { took_ms?: number }) => ({ ...r, took_ms: 0 });

/** Polls `done` until it holds, failing after 10 s (a bound, not a wait the test relies on). */
async function until(done: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    assert.ok(Date.now() < deadline, `not within ${ms} ms: ${done.toString()}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

/** The app serving `state` on a free loopback port. */
async function serveOn(
  state: Parameters<typeof createApp>[0],
  options: Parameters<typeof createApp>[2] = {},
): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((ok) => {
    const s = createApp(state, createLogger('silent'), options).listen(0, '127.0.0.1', () => ok(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('PostgreSQL backend', { skip }, () => {
  let primary: PgCluster;
  let index: NewsIndex;
  let articles: AnalyzedArticle[];
  let backend: PostgresBackend;

  before(async () => {
    primary = await startCluster();
    articles = [];
    ({ index } = await buildIndex([SEEDS], { workers: 0, onArticle: (a) => articles.push(a) }));
    backend = await PostgresBackend.open(primary.url);
    await backend.load(articles, index.arrays.dupOf, index.vocabulary);
  });
  after(async () => {
    await backend?.close();
    primary?.stop();
  });

  test('opening again finds the schema migrated and the documents there', async () => {
    const again = await PostgresBackend.open(primary.url);
    try {
      assert.equal(await again.size(), index.size);
      assert.equal(again.vocabulary().length, index.vocabulary.length);
    } finally {
      await again.close();
    }
  });

  test('every query answers as the embedded index does', async () => {
    const queries = queriesOf(index);
    assert.ok(queries.length > 40);
    let hits = 0;
    let fast = 0;
    let matched = 0;
    for (const params of queries) {
      const embedded = searchOrCorrect(index, params);
      const db = await backendSearch(backend, params);
      assert.deepEqual(comparable(db), comparable(embedded), JSON.stringify(params));
      hits += embedded.hits.length;
      if (fastQuery(params, backend.candidateDepth)) fast++;
      else if (matchQuery(params)) matched++;
    }
    assert.ok(hits > 100, `only ${hits} hits over the queries`);
    // Both routes are compared: the fast path (top candidates) and the exact one.
    assert.ok(fast > 20 && fast < queries.length, `${fast} of ${queries.length} on the fast path`);
    // and the exact path, by the query's matches (facets, date order, exclusions, collapsing) or,
    // for the rest, by the documents holding any of its terms.
    assert.ok(matched > 10 && fast + matched < queries.length, `${matched} by their matches`);
  });

  test('asked again, a query of neither path is answered from its possible matches alone, as before', async () => {
    // Regional equivalents, phrases of several words, exclusions of words with equivalents: the
    // first search counted their terms over every document holding one; the second fetches
    // only the documents that may match and reuses those counts.
    const queries = queriesOf(index).filter(
      (p) => !fastQuery(p, backend.candidateDepth) && !matchQuery(p) && supersetQuery(p.q),
    );
    assert.ok(queries.length >= 5, `${queries.length} queries of neither path`);
    for (const params of queries) await backendSearch(backend, params);
    const before = backend.narrowedSearches;
    for (const params of queries) {
      const db = await backendSearch(backend, params);
      assert.deepEqual(comparable(db), comparable(searchOrCorrect(index, params)), params.q);
    }
    // Each at least once (a correction searched after a query finding little is one more).
    assert.ok(backend.narrowedSearches - before >= queries.length);
    // A write moves the collection on: the counts are not reused, and the answers stay those
    // of a service that never searched before.
    // A copy of every seed: every term's document frequency changes. The counts held are of the
    // collection before it, so none is reused; the answers stay those of a service that never
    // searched before.
    const distinct = [...new Set(queries.map((p) => p.q))];
    for (const q of distinct) assert.ok(await backend.narrowCandidates(q, supersetQuery(q)!), q);
    const copies = articles.map((a, i) => ({
      op: 'put' as const,
      article: { ...a.article, id: `narrowed/copy-${i}` },
      extra: '',
    }));
    await backend.submit(copies);
    try {
      for (const q of distinct)
        assert.equal(await backend.narrowCandidates(q, supersetQuery(q)!), undefined, q);
      const fresh = await PostgresBackend.open(primary.url, { follow: false });
      try {
        for (const params of queries) {
          const db = await backendSearch(backend, params);
          assert.deepEqual(
            comparable(db),
            comparable(await backendSearch(fresh, params)),
            params.q,
          );
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await backend.submit(copies.map((c) => ({ op: 'delete' as const, id: c.article.id })));
    }
  });

  test("past the candidate depth, totals and scores stay the collection's", async () => {
    // Depth 2 serves the first hit alone: many queries match more than 2 documents.
    const shallow = await PostgresBackend.open(primary.url, { candidateDepth: 2 });
    try {
      let deeper = 0;
      for (const { q } of queriesOf(index)) {
        const params = { q, page: 1, size: 1 };
        if (!fastQuery(params, 2)) continue;
        const embedded = searchOrCorrect(index, params);
        const db = await backendSearch(shallow, params);
        assert.equal(db.total, embedded.total, q);
        if (embedded.total > 2) deeper++;
        // Every hit scores as in the embedded index: same idf, lengths and freshness anchor.
        const all = new Map(
          searchOrCorrect(index, { ...params, size: 50 }).hits.map((h) => [h.id, h.score]),
        );
        for (const h of db.hits) assert.equal(h.score, all.get(h.id), `${q}: ${h.id}`);
      }
      assert.ok(deeper >= 3, `only ${deeper} queries match more documents than the depth`);
    } finally {
      await shallow.close();
    }
  });

  test("the fast path's candidates are the matches RUM ranks best, or all of them when few", async () => {
    // Depth 3: the candidates are RUM's best 3 by its rank (`tsv <=> q`, computed here on each
    // row by PostgreSQL), the originals of their near-duplicate groups among the matches added.
    const depth = 3;
    const shallow = await PostgresBackend.open(primary.url, { candidateDepth: depth });
    const client = new pg.Client({ connectionString: primary.url });
    await client.connect();
    const names = (c: { reader: IndexReader }) => c.reader.segments.map((s) => s.name).sort();
    try {
      let deeper = 0;
      let few = 0;
      for (const { q } of queriesOf(index)) {
        const query = fastQuery({ q, page: 1, size: 1 }, depth);
        if (!query) continue;
        const every = names(await shallow.matchCandidates(query));
        // Twice: the first search counts the matches in its statement, the second knows them.
        const first = names(await shallow.topCandidates(query));
        assert.deepEqual(names(await shallow.topCandidates(query)), first, q);
        if (every.length <= depth) {
          assert.deepEqual(first, every, q);
          few++;
          continue;
        }
        deeper++;
        const { rows } = await client.query(
          'SELECT id, tsv <=> $1::tsquery AS d FROM articles WHERE id = ANY($2)',
          [rankingQuery(query), every],
        );
        const rank = new Map(rows.map((r) => [r.id as string, Number(r.d)]));
        const best = (ids: string[]) =>
          ids
            .map((id) => rank.get(id)!)
            .sort((a, b) => a - b)
            .slice(0, depth);
        assert.ok(
          first.every((id) => rank.has(id)),
          `${q}: a candidate that does not match`,
        );
        assert.deepEqual(best(first), best(every), q);
      }
      assert.ok(deeper >= 3 && few >= 3, `${deeper} queries past the depth, ${few} within it`);
    } finally {
      await client.end();
      await shallow.close();
    }
  });

  test('a document reads back exactly, body included', async () => {
    for (const d of [0, index.size - 1]) {
      const doc = await backend.document(index.docs[d].id);
      assert.deepEqual(doc, { ...index.docs[d], body: index.body(d) });
    }
    assert.equal(await backend.document('no/such/id'), undefined);
  });

  test('writes are searchable at commit and keep the collection counts exact', async () => {
    const first = articles[0].article;
    const copy = {
      ...first,
      id: 'written/one',
      title: `${first.title} 紐西蘭補記`,
      body: `${first.body}\n附錄：奧克蘭港口的新聞。`,
    };
    // A fast-path query's counts, cached in the service, follow the write.
    const word = analyzeQuery(first.body.slice(0, 200))
      .map((p) => ({ q: p.text, page: 1, size: 10 }))
      .find((params) => fastQuery(params, backend.candidateDepth));
    assert.ok(word, first.body.slice(0, 200));
    const before = (await backendSearch(backend, word)).total;
    const [put] = await backend.submit([{ op: 'put', article: copy, extra: '' }]);
    assert.equal(put.result, 'created');
    assert.equal((await backendSearch(backend, word)).total, before + 1);
    const found = await backendSearch(backend, { q: '奧克蘭港口', page: 1, size: 10 });
    assert.deepEqual(
      found.hits.map((h) => h.id),
      ['written/one'],
    );
    const [again] = await backend.submit([
      { op: 'put', article: { ...copy, body: '改寫後的內容' }, extra: '' },
    ]);
    assert.equal(again.result, 'updated');
    assert.equal((await backendSearch(backend, { q: '奧克蘭港口', page: 1, size: 10 })).total, 0);

    // The counts match a reader over the same documents.
    const pool = new (await import('pg')).default.Client({ connectionString: primary.url });
    await pool.connect();
    try {
      const { rows } = await pool.query(
        'SELECT count(*)::int AS n, sum(title_len)::int AS t, sum(body_len)::int AS b FROM articles',
      );
      const c = (
        await pool.query('SELECT docs::int, title_total::int, body_total::int FROM collection')
      ).rows[0];
      assert.deepEqual([c.docs, c.title_total, c.body_total], [rows[0].n, rows[0].t, rows[0].b]);
      assert.equal(c.docs, index.size + 1);
    } finally {
      await pool.end();
    }
    const [del] = await backend.submit([{ op: 'delete', id: 'written/one' }]);
    assert.equal(del.result, 'deleted');
    const [gone] = await backend.submit([{ op: 'delete', id: 'written/one' }]);
    assert.equal(gone.result, 'not_found');
    assert.equal(await backend.size(), index.size);
    // Back to the loaded collection: the answers are the embedded index's again.
    const params = { q: analyzeQuery(index.docs[0].title)[0].text, page: 1, size: 10 };
    assert.deepEqual(
      comparable(await backendSearch(backend, params)),
      comparable(searchOrCorrect(index, params)),
    );
  });

  test('writes keep near-duplicate groups and suggestions as a build over the same articles', async () => {
    const db = await PostgresBackend.open(primary.url);
    const example = articles.find((a) => a.article.id === EXAMPLE_ID)!.article;
    // A re-post with a photo caption (a near-duplicate by the distant threshold), a new story,
    // and a seed deleted: the groups and the vocabulary must be those of a full build.
    const copy = {
      ...example,
      id: 'written/copy',
      title: `${example.title}[影]`,
      body: `${example.body}（圖取自市府網頁）`,
      date: null,
    };
    const story = {
      ...example,
      id: 'written/story',
      title: '紐西蘭奧克蘭港口擴建案通過',
      body: '奧克蘭市議會今天通過港口擴建案。',
    };
    // (one without page text: put back as it was, with no extra text)
    const deleted = articles.find(
      (a) => a.article.id !== EXAMPLE_ID && a.extra.codePoints.length === 0,
    )!.article.id;
    const ops: WalOp[] = [
      { op: 'put', article: copy, extra: '' },
      { op: 'put', article: story, extra: '' },
      { op: 'delete', id: deleted },
    ];
    const q = analyzeQuery(example.title)[0].text;
    try {
      // The original read (and cached by the service) before its copy arrives: its group is
      // read with every search, not kept with the cached document.
      await backendSearch(db, { q, page: 1, size: 10, collapse: true });
      await db.submit(ops);
      const builder = new IndexBuilder();
      for (const a of articles) if (a.article.id !== deleted) builder.add(a);
      builder.add(analyzeArticle(copy, ''));
      builder.add(analyzeArticle(story, ''));
      const built = builder.build(analyzerFingerprint());
      assert.ok(
        built.arrays.dupOf.some((r) => r >= 0),
        'the copy is a near-duplicate',
      );
      for (const params of [
        { q, page: 1, size: 10, collapse: true },
        { q, page: 1, size: 10 },
        { q: '奧克蘭港口', page: 1, size: 10 },
      ])
        assert.deepEqual(
          comparable(await backendSearch(db, params)),
          comparable(searchOrCorrect(built, params)),
          JSON.stringify(params),
        );
      const terms = (v: readonly VocabularyEntry[]) => v.map((e) => `${e.text}:${e.df}`);
      assert.deepEqual(terms(db.vocabulary()), terms(built.vocabulary));
      assert.ok(db.vocabulary().some((e) => e.text === '奥克兰港口'));
      // Another service opening the database reads the same vocabulary.
      const again = await PostgresBackend.open(primary.url);
      try {
        assert.deepEqual(terms(again.vocabulary()), terms(built.vocabulary));
      } finally {
        await again.close();
      }
      // The copy deleted: the original is alone again.
      await db.submit([{ op: 'delete', id: copy.id }]);
      assert.ok(
        (await backendSearch(db, { q, page: 1, size: 10 })).hits.every((h) => !h.duplicates),
      );
    } finally {
      await db.submit([
        { op: 'delete', id: copy.id },
        { op: 'delete', id: story.id },
        {
          op: 'put',
          article: articles.find((a) => a.article.id === deleted)!.article,
          extra: '',
        },
      ]);
      await db.close();
    }
  });

  test('the HTTP API answers from the database as from the embedded index', async () => {
    const serve = (state: Parameters<typeof createApp>[0]) =>
      new Promise<Server>((ok) => {
        const s = createApp(state, createLogger('silent'), { writeKey: 'k' }).listen(
          0,
          '127.0.0.1',
          () => ok(s),
        );
      });
    const db = await serve({ index: null, backend });
    const embedded = await serve({ index: IndexReader.fromIndex(index) });
    const base = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const id = index.docs[1].id;
      const q = encodeURIComponent(analyzeQuery(index.docs[1].title)[0].text);
      for (const path of [
        `/search?q=${q}&facets=source`,
        `/suggest?q=${encodeURIComponent(index.docs[1].title.slice(0, 1))}`,
        `/documents/${encodeURIComponent(id)}`,
        '/search?q=a&size=0',
        '/documents/none',
      ]) {
        const [a, b] = await Promise.all(
          [db, embedded].map(async (s) => {
            const r = await fetch(base(s) + path);
            return { status: r.status, body: comparable((await r.json()) as object) };
          }),
        );
        assert.deepEqual(a, b, path);
      }
      const put = await fetch(`${base(db)}/documents/http/one`, {
        method: 'PUT',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ title: '港口測試', body: '基督城港口擴建' }),
      });
      assert.equal(put.status, 201);
      const r = (await (await fetch(`${base(db)}/search?q=基督城港口`)).json()) as any;
      assert.deepEqual(
        r.hits.map((h: any) => h.id),
        ['http/one'],
      );
      const del = await fetch(`${base(db)}/documents/http/one`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer k' },
      });
      assert.equal(del.status, 200);
    } finally {
      db.close();
      embedded.close();
    }
  });

  test("another service's suggestions follow the writes within moments (LISTEN/NOTIFY)", async () => {
    const other = await PostgresBackend.open(primary.url);
    const [writing, reading] = await Promise.all([
      serveOn({ index: null, backend }, { writeKey: 'k' }),
      serveOn({ index: null, backend: other }),
    ]);
    const admin = new pg.Client({ connectionString: primary.url });
    await admin.connect();
    const auth = { authorization: 'Bearer k' };
    const suggested = async (base: string, q: string) => {
      const r = await fetch(`${base}/suggest?q=${encodeURIComponent(q)}&size=10`);
      assert.equal(r.status, 200);
      return ((await r.json()) as { suggestions: { text: string }[] }).suggestions.map(
        (s) => s.text,
      );
    };
    const put = (id: string, title: string) =>
      fetch(`${writing.base}/documents/${id}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ title, body: `${title}：保育團體今天公布調查結果。` }),
      });
    const listeners = async () =>
      Number(
        (
          await admin.query('SELECT count(*) FROM pg_stat_activity WHERE application_name = $1', [
            LISTENER_APPLICATION_NAME,
          ])
        ).rows[0].count,
      );
    try {
      // Title words no seed has: neither service suggests them before the writes.
      for (const [prefix, word] of [
        ['鴨嘴', '鴨嘴獸'],
        ['樹袋', '樹袋熊'],
      ])
        for (const base of [writing.base, reading.base])
          assert.ok(!(await suggested(base, prefix)).includes(word), `${word} before the write`);

      assert.equal((await put('listen/one', '鴨嘴獸保育計畫啟動')).status, 201);
      // The writing service merges its own write; the other learns of it at commit.
      assert.ok((await suggested(writing.base, '鴨嘴')).includes('鴨嘴獸'));
      await until(async () => (await suggested(reading.base, '鴨嘴')).includes('鴨嘴獸'));
      assert.equal(
        (await fetch(`${writing.base}/documents/listen/one`, { method: 'DELETE', headers: auth }))
          .status,
        200,
      );
      assert.ok(!(await suggested(writing.base, '鴨嘴')).includes('鴨嘴獸'));
      await until(async () => !(await suggested(reading.base, '鴨嘴')).includes('鴨嘴獸'));

      // Every listening session dropped (as by a server restart): a write made before the other
      // service is back is caught up by the reload that follows its reconnection.
      const sessions = await listeners();
      assert.equal(sessions, 2, 'each service listens on one connection');
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [LISTENER_APPLICATION_NAME],
      );
      await until(async () => (await listeners()) === 0);
      assert.equal((await put('listen/two', '樹袋熊棲地調查公布')).status, 201);
      assert.equal(await listeners(), 0, 'written while no service listened: no notification');
      // Searches and suggestions answer meanwhile.
      const found = (await (
        await fetch(`${reading.base}/search?q=${encodeURIComponent('樹袋熊')}`)
      ).json()) as { hits: { id: string }[] };
      assert.deepEqual(
        found.hits.map((h) => h.id),
        ['listen/two'],
      );
      await until(async () => (await suggested(reading.base, '樹袋')).includes('樹袋熊'));
      await until(async () => (await listeners()) === sessions);
      assert.equal(
        (await fetch(`${writing.base}/documents/listen/two`, { method: 'DELETE', headers: auth }))
          .status,
        200,
      );
      await until(async () => !(await suggested(reading.base, '樹袋')).includes('樹袋熊'));

      // A burst: twenty notifications delivered at one commit are one reload; a later one is
      // one more (notifications arrive in order, so the burst was handled by then).
      const reloads = other.vocabularyReloads;
      const burst = Array.from(
        { length: 20 },
        (_, i) => `SELECT pg_notify('${VOCABULARY_CHANNEL}', 'burst-${i}');`,
      );
      await admin.query(`BEGIN; ${burst.join(' ')} COMMIT;`);
      await until(async () => other.vocabularyReloads > reloads);
      await admin.query(`SELECT pg_notify('${VOCABULARY_CHANNEL}', 'after')`);
      await until(async () => other.vocabularyReloads > reloads + 1);
      assert.equal(other.vocabularyReloads, reloads + 2);

      // Both services writing at once (each reloading while the other writes): afterwards each
      // serves the database's vocabulary, as a service opening it reads it.
      const terms = (v: readonly VocabularyEntry[]) => v.map((e) => `${e.text}:${e.df}`).join();
      const converged = async () => {
        const fresh = await PostgresBackend.open(primary.url, { follow: false });
        const expected = terms(fresh.vocabulary());
        await fresh.close();
        await until(
          async () =>
            terms(backend.vocabulary()) === expected && terms(other.vocabulary()) === expected,
        );
      };
      const ids = (tag: string) => Array.from({ length: 10 }, (_, i) => `listen/${tag}/${i}`);
      const stream = async (service: PostgresBackend, tag: string) => {
        for (const [i, id] of ids(tag).entries()) {
          const article = {
            ...articles[i].article,
            id,
            title: `${articles[i + 10].article.title}${tag}`,
          };
          await service.submit([{ op: 'put', article, extra: '' }]);
        }
      };
      await Promise.all([stream(backend, '甲方'), stream(other, '乙方')]);
      await converged();
      assert.ok(other.vocabulary().some((e) => e.text === '甲方'));
      await Promise.all(
        [backend, other].map((service, k) =>
          service.submit(ids(k ? '乙方' : '甲方').map((id) => ({ op: 'delete' as const, id }))),
        ),
      );
      await converged();
      assert.ok(!other.vocabulary().some((e) => e.text === '甲方'));
    } finally {
      await admin.end();
      writing.server.close();
      reading.server.close();
      await other.close();
    }
  });

  test('a streaming replica answers as its primary; one that goes away costs no search', async () => {
    const replica = await startReplica(primary);
    const reading = await PostgresBackend.open(replica.url, { readOnly: true });
    const replicated = await PostgresBackend.open(primary.url, { readUrls: [replica.url] });
    try {
      // A write on the primary reaches the replica (streaming, asynchronous: within moments).
      await backend.submit([
        { op: 'put', article: { ...articles[2].article, id: 'replicated/one' }, extra: '' },
      ]);
      for (let i = 0; (await reading.document('replicated/one')) === undefined; i++) {
        assert.ok(i < 100, 'the write did not reach the replica in 10 s');
        await new Promise((ok) => setTimeout(ok, 100));
      }
      await backend.submit([{ op: 'delete', id: 'replicated/one' }]);
      for (let i = 0; (await reading.document('replicated/one')) !== undefined; i++) {
        assert.ok(i < 100, 'the delete did not reach the replica in 10 s');
        await new Promise((ok) => setTimeout(ok, 100));
      }
      const queries = queriesOf(index).slice(0, 20);
      for (const params of queries) {
        const expected = comparable(await backendSearch(backend, params));
        assert.deepEqual(comparable(await backendSearch(reading, params)), expected);
        assert.deepEqual(comparable(await backendSearch(replicated, params)), expected);
      }
      replica.kill();
      for (const params of queries)
        assert.deepEqual(
          comparable(await backendSearch(replicated, params)),
          comparable(searchOrCorrect(index, params)),
        );
    } finally {
      await reading.close();
      await replicated.close();
      replica.stop();
    }
  });

  test('two hash shards answer as one collection', async () => {
    const shards = [await startCluster(), await startCluster()];
    const sharded = await PostgresBackend.open(shards.map((s) => s.url));
    try {
      await sharded.load(articles, index.arrays.dupOf, index.vocabulary);
      // Both shards hold documents, none twice.
      const counts: number[] = [];
      for (const s of shards) {
        const one = await PostgresBackend.open(s.url);
        counts.push(await one.size());
        await one.close();
      }
      assert.ok(
        counts.every((n) => n > 0),
        `shard sizes ${counts}`,
      );
      assert.equal(counts[0] + counts[1], index.size);
      for (const params of queriesOf(index))
        assert.deepEqual(
          comparable(await backendSearch(sharded, params)),
          comparable(searchOrCorrect(index, params)),
          JSON.stringify(params),
        );
      // Writes go to the shard of their id; the totals stay exact.
      const ids = ['sharded/a', 'sharded/b', 'sharded/c', 'sharded/d'];
      await sharded.submit(
        ids.map((id) => ({
          op: 'put' as const,
          article: { ...articles[0].article, id, title: '奧克蘭分片測試' },
          extra: '',
        })),
      );
      assert.equal(await sharded.size(), index.size + ids.length);
      const r = await backendSearch(sharded, { q: '分片測試', page: 1, size: 10 });
      assert.deepEqual(r.hits.map((h) => h.id).sort(), ids);
      assert.equal(r.total, ids.length);
    } finally {
      await sharded.close();
      for (const s of shards) s.stop();
    }
  });

  test('kill -9 of the service during a write stream loses no acknowledged write', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
      env: { ...process.env, DATABASE_URL: primary.url, WRITE_KEY: 'k', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((ok) => child.once('exit', ok));
    try {
      const port = await new Promise<number>((ok, fail) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const rec = JSON.parse(line) as { msg: string; port?: number };
          if (rec.msg.startsWith('listening on')) ok(rec.port!);
        });
        child.once('exit', (code) => fail(new Error(`the service exited with ${code}`)));
      });
      const acked: string[] = [];
      const writes = (async () => {
        for (let i = 0; ; i++) {
          const id = `killed/${i}`;
          try {
            const r = await fetch(`http://127.0.0.1:${port}/documents/${id}`, {
              method: 'PUT',
              headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
              body: JSON.stringify({ title: `寫入測試 ${i}`, body: `第${i}篇：港口擴建的新聞。` }),
            });
            if (r.status === 201) acked.push(id);
          } catch {
            return; // the service is gone
          }
        }
      })();
      while (acked.length < 20) await new Promise((ok) => setTimeout(ok, 20));
      child.kill('SIGKILL');
      await writes;
      await exited;
      for (const id of acked) assert.ok(await backend.document(id), `${id} was acknowledged`);
      assert.equal(
        (await backendSearch(backend, { q: '寫入測試', page: 1, size: 1 })).total >= acked.length,
        true,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});
