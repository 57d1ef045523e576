import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { ServerState } from '../src/server/app.js';
import type { PostgresBackend } from '../src/backend/postgres.js';
import { seedsIndex, EXAMPLE_ID } from './helpers.js';
import { BACKENDS, closeBackends, seedsBackend, serve, skipOf } from './backends.js';

after(closeBackends);

// The same requests against the embedded index and against PostgreSQL (test/backends.ts).
for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    const state: ServerState = { index: null };
    let server: Server;
    let base: string;
    let database: PostgresBackend | undefined;

    before(async () => {
      // Build the seeds index before any request: building blocks the event loop for seconds,
      // long enough for an idle keep-alive connection to be closed under the client's feet.
      await seedsIndex();
      if (kind === 'postgres') database = await seedsBackend();
      ({ server, base } = await serve(state));
    });
    after(() => server.close());

    /** Serve the seeds: the embedded index, or the database holding them. */
    const load = async () => {
      if (database) state.backend = database;
      else state.index = (await seedsIndex()).index;
    };

    async function get(path: string): Promise<{ status: number; body: any }> {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    }

    test('GET /health is 503 until the index is loaded, then ok with the document count', async () => {
      const loading = await get('/health');
      assert.equal(loading.status, 503);
      const searching = await get('/search?q=test');
      assert.equal(searching.status, 503);
      assert.equal(searching.body.error.code, 'not_ready');
      await load();
      const ok = await get('/health');
      assert.equal(ok.status, 200);
      const size = (await seedsIndex()).index.size;
      // On a database the segments, merges and writes are the database's business: /health
      // reports the document count only (docs/operations.md).
      const expected = database
        ? { status: 'ok', documents: size }
        : {
            status: 'ok',
            documents: size,
            // One segment, nothing buffered or deleted; no writer here; suggestion tables not
            // built yet.
            index: {
              segments: [{ documents: size, deleted: 0 }],
              buffered: 0,
              deleted: 0,
              suggestions_current: false,
            },
            writes: null,
          };
      assert.deepEqual(ok.body, expected);
    });

    test('GET /search answers the contract shape', async () => {
      await load();
      const r = await get(
        '/search?' + new URLSearchParams({ q: '數位身分證', page: '1', size: '5' }),
      );
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body).sort(), [
        'hits',
        'page',
        'query',
        'size',
        'took_ms',
        'total',
      ]);
      assert.equal(r.body.query, '數位身分證');
      assert.equal(r.body.page, 1);
      assert.equal(r.body.size, 5);
      assert.equal(typeof r.body.took_ms, 'number');
      const hit = r.body.hits.find((h: any) => h.id === EXAMPLE_ID);
      assert.ok(hit);
      for (const key of [
        'id',
        'title',
        'title_html',
        'url',
        'source',
        'date',
        'tags',
        'score',
        'snippet',
      ])
        assert.ok(key in hit, key);
      assert.equal(hit.source, '(臺)中央社CNA');
      assert.equal(hit.date, '2020-12-25T07:57:00.000Z');
      assert.deepEqual(hit.tags, ['(臺)中央社CNA']);
    });

    test('bad requests get 400 with the error shape, never 500', async () => {
      await load();
      const cases: [string, RegExp][] = [
        ['/search', /q is required/],
        ['/search?q=', /must not be empty/],
        ['/search?q=%20%20%E3%80%80', /must not be empty/],
        ['/search?q=' + 'a'.repeat(501), /at most 500/],
        ['/search?q=x&size=101', /size/],
        ['/search?q=x&size=abc', /size/],
        ['/search?q=x&size=-1', /size/],
        ['/search?q=x&page=0', /page/],
        ['/search?q=x&page=1.5', /page/],
        ['/search?q=a&q=b', /q/],
        ['/search?q=x&page=10000&size=100', /page × size/],
      ];
      for (const [path, message] of cases) {
        const r = await get(path);
        assert.equal(r.status, 400, path);
        assert.equal(typeof r.body.error.code, 'string', path);
        assert.match(r.body.error.message, message, path);
      }
    });

    test('a query of punctuation or emoji is 200 with zero hits', async () => {
      await load();
      for (const text of ['。，！', '😀😀', '"""']) {
        const r = await get('/search?' + new URLSearchParams({ q: text }));
        assert.equal(r.status, 200, text);
        assert.equal(r.body.total, 0);
      }
    });

    test('a long query of many terms is answered or refused quickly, never hangs', async () => {
      await load();
      const many = Array.from({ length: 60 }, (_, i) => `詞${i}`).join(' ');
      const r = await get('/search?' + new URLSearchParams({ q: many }));
      assert.equal(r.status, 400);
      const long = '數位身分證'.repeat(100);
      const r2 = await get('/search?' + new URLSearchParams({ q: long }));
      assert.equal(r2.status, 200);
    });

    test('unknown routes are 404 JSON', async () => {
      const r = await get('/nope');
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'not_found');
    });

    test('search parameters: filters, sort, facets, script, explain; bad values are 400', async () => {
      await load();
      const ok = await get(
        '/search?' +
          new URLSearchParams({
            q: '網',
            facets: 'source,month',
            sort: 'date',
            explain: 'true',
            script: 'hans',
            size: '3',
          }),
      );
      assert.equal(ok.status, 200);
      assert.ok(Array.isArray(ok.body.facets.source) && Array.isArray(ok.body.facets.month));
      assert.ok(ok.body.hits[0].explain);
      const tagged = await get(
        '/search?' +
          new URLSearchParams([
            ['q', '網'],
            ['tag', '(臺)範例新聞網'],
            ['tag', '(港)範例日報'],
          ]),
      );
      assert.equal(tagged.status, 200);
      assert.ok(
        tagged.body.hits.every(
          (h: { tags: string[] }) =>
            h.tags.includes('(臺)範例新聞網') || h.tags.includes('(港)範例日報'),
        ),
      );
      for (const [params, message] of [
        [{ q: '網', sort: 'newest' }, /sort must be relevance or date/],
        [{ q: '網', facets: 'source,author' }, /unknown: author/],
        [{ q: '網', explain: 'maybe' }, /explain must be true or false/],
        [{ q: '網', from: '25/12/2020' }, /from must be a date/],
        [{ q: '網', source: '' }, /source must be 1–200 characters/],
        [{ q: '網', script: 'latin' }, /script must be hant/],
        [{ q: '-網' }, /only excludes/],
      ] as [Record<string, string>, RegExp][]) {
        const r = await get('/search?' + new URLSearchParams(params));
        assert.equal(r.status, 400, JSON.stringify(params));
        assert.match(r.body.error.message, message);
      }
    });

    test('GET /suggest answers in the script typed; bad input is 400', async () => {
      await load();
      const tw = await get('/suggest?' + new URLSearchParams({ q: '數位', size: '5' }));
      assert.equal(tw.status, 200);
      assert.ok(tw.body.suggestions.some((s: { text: string }) => s.text === '數位身分證'));
      const cn = await get('/suggest?' + new URLSearchParams({ q: '数位' }));
      assert.ok(cn.body.suggestions.some((s: { text: string }) => s.text === '数位身分证'));
      assert.equal((await get('/suggest')).status, 400);
      assert.equal((await get('/suggest?q=%20')).status, 400);
      assert.equal(
        (await get('/suggest?' + new URLSearchParams({ q: 'x', size: '50' }))).status,
        400,
      );
    });

    test('GET /documents/:id and /documents/:id/related; unknown is 404, path tricks are 400', async () => {
      await load();
      const doc = await get('/documents/' + encodeURIComponent(EXAMPLE_ID));
      assert.equal(doc.status, 200);
      assert.equal(doc.body.id, EXAMPLE_ID);
      assert.match(doc.body.body, /內政部原規劃明年1月起在新竹市試辦數位身分證/);
      assert.equal(doc.body.related[0].title, '直播背書 唐鳳：換數位身分證為解決防偽個資問題');
      const related = await get('/documents/' + encodeURIComponent(EXAMPLE_ID) + '/related?size=2');
      assert.equal(related.status, 200);
      assert.ok(related.body.related.length >= 1 && related.body.related.length <= 2);
      assert.equal((await get('/documents/no-such-post')).status, 404);
      assert.equal((await get('/documents/no-such-post/related')).status, 404);
      assert.equal((await get('/documents/..%2F..%2Fetc%2Fpasswd')).status, 400);
      assert.equal((await get('/documents/a%00b')).status, 400);
      assert.equal((await get('/documents/%E0%A4%A')).status, 400);
    });

    test('GET /openapi.json describes every endpoint', async () => {
      const r = await get('/openapi.json');
      assert.equal(r.status, 200);
      assert.match(r.body.openapi, /^3\./);
      for (const path of [
        '/search',
        '/suggest',
        '/documents/{id}',
        '/documents/{id}/related',
        '/health',
        '/ready',
        '/metrics',
      ])
        assert.ok(path in r.body.paths, path);
      const params = r.body.paths['/search'].get.parameters.map((p: { name: string }) => p.name);
      for (const name of [
        'q',
        'page',
        'size',
        'source',
        'tag',
        'from',
        'to',
        'sort',
        'facets',
        'explain',
        'script',
      ])
        assert.ok(params.includes(name), name);
      assert.ok(
        r.body.paths['/documents/{id}'].put &&
          r.body.paths['/documents/{id}'].delete &&
          r.body.paths['/documents/_bulk'].post,
        'the write API',
      );
      assert.deepEqual(Object.keys(r.body.paths['/documents/{id}'].put.responses).sort(), [
        '200',
        '201',
        '400',
        '401',
        '403',
        '405',
        '413',
        '415',
        '429',
        '503',
      ]);
    });
  });
