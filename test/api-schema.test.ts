/**
 * The published API description (/openapi.json, generated from src/api.ts) against real answers:
 * every read route's responses, with every optional part present at least once (facets, explain,
 * matched_via, duplicates, script, errors), must validate against the schema the server
 * publishes, checked by Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createApp, type ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { seedsIndex, tinyIndex, tempDir, EXAMPLE_ID } from './helpers.js';
import {
  BACKENDS,
  closeBackends,
  emptyBackend,
  seedsState,
  skipOf,
  writableServersOn,
} from './backends.js';
import { docNumber } from '../src/search/documents.js';
import { IndexWriter } from '../src/index/writer.js';
import { loadIndex, saveIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

interface Answer {
  status: number;
  body: unknown;
}

const servers: Server[] = [];
const listen = async (state: ServerState): Promise<string> => {
  const server = createApp(state, createLogger('silent')).listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
after(async () => {
  for (const s of servers) s.close();
  await closeBackends();
});

let api: any;

async function get(base: string, path: string): Promise<Answer> {
  const res = await fetch(base + path);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, path);
  return { status: res.status, body: await res.json() };
}

/** A validator of the response schema the published document gives for route + status. */
function validator(route: string, status: number, method = 'get') {
  const ajv = new Ajv2020({ allErrors: true, strictSchema: false });
  addFormats(ajv);
  ajv.addSchema(api, 'openapi.json');
  const pointer = [
    'paths',
    route,
    method,
    'responses',
    String(status),
    'content',
    'application/json',
    'schema',
  ]
    .map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1'))
    .join('/');
  return ajv.compile({ $ref: `openapi.json#/${pointer}` });
}

function assertValid(route: string, answer: Answer, label: string, method = 'get'): void {
  assert.ok(
    api.paths[route][method].responses[answer.status],
    `${label}: status ${answer.status} is not documented for ${method} ${route}`,
  );
  const validate = validator(route, answer.status, method);
  assert.ok(
    validate(answer.body),
    `${label} (${answer.status}) does not match the published schema: ${JSON.stringify(validate.errors, null, 1)}`,
  );
}

before(async () => {
  const { index } = await seedsIndex();
  api = await (await fetch(`${await listen({ index })}/openapi.json`)).json();
});

// The segments, flushes and merges /health reports are the embedded index's (a database reports
// its document count only). Before the next tests: they add a user dictionary word, which
// changes the analyzer.
test('/health reports the segments, deleted documents, flushes, commits and merges', async () => {
  const { index } = await seedsIndex();
  const dir = tempDir('zh-news-health-');
  saveIndex(index, dir);
  const key = 'health-test-key';
  const { writer } = await IndexWriter.open(loadIndex(dir, analyzerFingerprint()), dir, {
    mergeFactor: 2, // the seeds segment and the first flushed one merge at once
  });
  const state: ServerState = { index: null, writer };
  writer.attach(state);
  const server = createApp(state, createLogger('silent'), { writeKey: key, indexDir: dir }).listen(
    0,
    '127.0.0.1',
  );
  await new Promise((ok) => server.once('listening', ok));
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const write = (method: string, path: string, body?: string) =>
    fetch(base + path, {
      method,
      body,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
  const health = async (label: string) => {
    const answer = await get(base, '/health');
    assert.equal(answer.status, 200);
    assertValid('/health', answer, label);
    return answer.body as any;
  };
  try {
    const fresh = await health('fresh');
    assert.deepEqual(fresh.index.segments, [{ documents: index.size, deleted: 0 }]);
    assert.deepEqual([fresh.index.buffered, fresh.index.deleted], [0, 0]);
    assert.equal(fresh.writes.flushes, 0);
    assert.equal(fresh.writes.last_flush_at, null);

    const article = JSON.stringify({
      title: '數位身分證試辦延後',
      body: '<p>內政部今天宣布。</p>',
    });
    assert.equal((await write('PUT', '/documents/health/a', article)).status, 201);
    assert.equal(
      (await write('DELETE', `/documents/${encodeURIComponent(EXAMPLE_ID)}`)).status,
      200,
    );
    const written = await health('written');
    assert.equal(written.documents, index.size);
    assert.equal(written.index.buffered, 1);
    assert.deepEqual(written.index.segments, [{ documents: index.size, deleted: 1 }]);
    assert.equal(written.index.deleted, 1);

    await writer.compact(); // flush and commit; the policy then merges the two segments
    await writer.mergesDone();
    await writer.exclusive(async () => undefined); // the commit is written
    const after = await health('flushed, committed and merged');
    assert.equal(after.documents, index.size);
    assert.deepEqual(after.index.segments, [{ documents: index.size, deleted: 0 }]);
    assert.equal(after.index.buffered, 0);
    assert.equal(after.writes.flushes, 1);
    assert.equal(after.writes.commits, 1);
    assert.equal(after.writes.merges_completed, 1);
    assert.equal(after.writes.merges_running, 0);
    assert.ok(after.writes.last_merge_ms >= 0);
    for (const at of ['last_flush_at', 'last_commit_at', 'last_merge_at'])
      assert.ok(Date.now() - Date.parse(after.writes[at]) < 60_000, at);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^index_segments 1$/m);
    assert.match(metrics, /^index_merges_total 1$/m);
    assert.match(metrics, /^index_deleted_documents 0$/m);
  } finally {
    await writer.close();
  }
});

// The read routes and the write answers against the embedded index and against PostgreSQL
// (test/backends.ts).
for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    let seeds: string;
    let loading: string;
    let copies: string;

    let state: ServerState;

    before(async () => {
      const { index } = await seedsIndex();
      state = await seedsState(kind);
      seeds = await listen(state);
      loading = await listen({ index: null });
      // The seeds hold no near-duplicates: an index of one seed article and a re-post of it (on
      // PostgreSQL, both written through the backend, which groups them as it writes).
      const d = docNumber(index, EXAMPLE_ID)!;
      const original = { title: index.docs[d].title, body: index.body(d) };
      const pair = [
        { id: 'original', ...original, date: '2020-12-25T07:57:00.000Z' },
        { id: 'copy', title: `${original.title}[影]`, body: `${original.body}（圖取自市府網頁）` },
      ];
      if (kind === 'embedded') copies = await listen({ index: tinyIndex(pair) });
      else {
        const backend = await emptyBackend();
        await backend.submit(
          pair.map((p) => ({
            op: 'put' as const,
            article: {
              url: null,
              source: null,
              date: null,
              tags: [],
              categories: [],
              related: [],
              ...p,
            },
            extra: '',
          })),
        );
        copies = await listen({ index: null, backend });
      }
    });

    const search = (params: Record<string, string>) =>
      get(seeds, `/search?${new URLSearchParams(params)}`);

    test('the document is OpenAPI 3.1 with the limits the page uses', () => {
      assert.match(api.openapi, /^3\.1\./);
      assert.equal(api['x-limits'].maxWindow, 10_000);
      const params = api.paths['/search'].get.parameters;
      const size = params.find((p: any) => p.name === 'size');
      assert.equal(size.schema.maximum, api['x-limits'].maxSize);
      for (const name of ['collapse', 'facets', 'explain', 'script'])
        assert.ok(
          params.some((p: any) => p.name === name),
          `${name} is a documented parameter`,
        );
      for (const field of ['matched_via', 'duplicates', 'explain'])
        assert.ok(field in api.components.schemas.Hit.properties, `Hit.${field}`);
    });

    test('/search answers match the schema, with facets, explain, script and matched_via', async () => {
      const cases: Record<string, string>[] = [
        { q: '數位身分證' },
        { q: '特朗普', facets: 'source,tag,month', explain: 'true', script: 'hans' },
        { q: '数字身份证 -试点', sort: 'date', size: '3', page: '2', facets: 'month' },
        { q: '"數位身分證" OR 伺服器', from: '2020-11-01', to: '2021-12-31', script: 'hant' },
        { q: 'source:中央社 資安', tag: '資安' },
        { q: '！？。' },
      ];
      let facets = 0;
      let explained = 0;
      let bridged = 0;
      for (const params of cases) {
        const r = await search(params);
        assert.equal(r.status, 200, JSON.stringify(params));
        assertValid('/search', r, JSON.stringify(params));
        const body = r.body as any;
        if (body.facets) facets++;
        explained += body.hits.filter((h: any) => h.explain).length;
        bridged += body.hits.filter((h: any) => h.matched_via).length;
      }
      // The optional parts were really there to be checked.
      assert.ok(facets >= 2 && explained >= 1 && bridged >= 1, `${facets} ${explained} ${bridged}`);
    });

    test('/search with collapse=true: duplicates are listed and match the schema', async () => {
      const r = await get(copies, '/search?q=數位身分證&collapse=true');
      assert.deepEqual((r.body as any).hits[0].duplicates, ['copy']);
      assertValid('/search', r, 'collapse');
      assertValid('/search', await get(copies, '/search?q=數位身分證'), 'not collapsed');
    });

    test('/suggest, /documents/{id}, /documents/{id}/related and /health match the schema', async () => {
      for (const q of ['數位', '数字', '新', 'x'])
        assertValid('/suggest', await get(seeds, `/suggest?q=${encodeURIComponent(q)}`), q);
      const id = encodeURIComponent(EXAMPLE_ID);
      const doc = await get(seeds, `/documents/${id}`);
      assert.equal(doc.status, 200);
      assert.ok((doc.body as any).related.length > 0, 'the example has related links');
      assertValid('/documents/{id}', doc, 'document');
      const related = await get(seeds, `/documents/${id}/related?size=3`);
      assert.ok((related.body as any).related.length > 0);
      assertValid('/documents/{id}/related', related, 'related');
      assertValid('/health', await get(seeds, '/health'), 'health');
      assertValid('/health', await get(loading, '/health'), 'health while loading');
    });

    test('"did you mean", pinyin read as characters and pinyin completions match the schema', async () => {
      const corrected = await search({ q: '數位身分正' });
      assert.equal((corrected.body as any).corrected_from, '數位身分正');
      assertValid('/search', corrected, 'corrected');
      const offered = await search({ q: '數位身分正', correct: 'false' });
      assert.equal((offered.body as any).did_you_mean, '數位身分證');
      assertValid('/search', offered, 'did_you_mean only');
      const read = await search({ q: 'shuweishenfenzheng', script: 'hant' });
      assert.equal((read.body as any).interpreted_as, '數位身分證');
      assertValid('/search', read, 'interpreted_as');
      const pinyin = await get(seeds, '/suggest?q=swsfz&script=hant');
      assert.ok((pinyin.body as any).suggestions[0].pinyin);
      assertValid('/suggest', pinyin, 'pinyin completions');
      const params = api.paths['/search'].get.parameters.map((p: any) => p.name);
      assert.ok(params.includes('correct'));
      assert.ok(api.paths['/suggest'].get.parameters.some((p: any) => p.name === 'script'));
    });

    test('error answers (400, 404, 503) match the schema of the route', async () => {
      const cases: [string, string, number][] = [
        ['/search', '/search', 400],
        ['/search', '/search?q=網&size=1000', 400],
        ['/search', '/search?q=網&page=200&size=100', 400],
        ['/search', '/search?q=-網', 400],
        ['/suggest', '/suggest?q=', 400],
        ['/documents/{id}', '/documents/no-such-article', 404],
        ['/documents/{id}', '/documents/a%2F..%2Fb', 400],
        [
          '/documents/{id}/related',
          `/documents/${encodeURIComponent(EXAMPLE_ID)}/related?size=0`,
          400,
        ],
      ];
      for (const [route, path, status] of cases) {
        const r = await get(seeds, path);
        assert.equal(r.status, status, path);
        assertValid(route, r, path);
      }
      const notReady = await get(loading, '/search?q=網');
      assert.equal(notReady.status, 503);
      assertValid('/search', notReady, 'loading');
    });

    test('the schema refuses what the API does not send: an unknown field, a wrong type', async () => {
      const r = await search({ q: '數位身分證' });
      const body = r.body as any;
      const validate = validator('/search', 200);
      assert.equal(validate(body), true);
      assert.equal(validate({ ...body, extra: 1 }), false, 'an undocumented field');
      assert.equal(validate({ ...body, hits: [{ ...body.hits[0], score: '1' }] }), false);
      assert.equal(validate({ ...body, hits: [{ ...body.hits[0], date: 'yesterday' }] }), false);
    });

    test('a timed-out search, a rate-limited or shed read, and /ready match the published schemas', async () => {
      const limited = createApp(state, createLogger('silent'), {
        rateLimit: { read: 1, write: 1 },
      }).listen(0, '127.0.0.1');
      await new Promise((ok) => limited.once('listening', ok));
      const base = `http://127.0.0.1:${(limited.address() as AddressInfo).port}`;
      try {
        // A real timed-out answer is made in protection.test.ts (it needs over 63 matches); here the
        // published schema must accept the field as documented and refuse anything else.
        const r = await get(base, '/search?q=' + encodeURIComponent('網'));
        assertValid('/search', r, 'first search');
        const timedOut = { ...(r.body as object), timed_out: true };
        assertValid('/search', { status: 200, body: timedOut }, 'with timed_out');
        assert.ok(!validator('/search', 200)({ ...(r.body as object), timed_out: false }));
        const again = await get(base, '/search?q=' + encodeURIComponent('網'));
        assert.equal(again.status, 429);
        assertValid('/search', again, 'rate limited');
        const ready = await get(base, '/ready');
        assertValid('/ready', ready, '/ready');
      } finally {
        limited.close();
      }
    });

    test('write and admin answers match the schema too (PUT, DELETE, bulk, dictionary, 401/403)', async () => {
      const key = 'schema-test-key';
      const { state, server, base, closed } = await writableServersOn(
        kind,
        tempDir('zh-news-schema-'),
        key,
        createLogger('silent'),
      );
      servers.push(server, closed);
      const call = async (
        method: string,
        path: string,
        body?: string,
        type = 'application/json',
      ) => {
        const res = await fetch(base + path, {
          method,
          body,
          headers: { authorization: `Bearer ${key}`, 'content-type': type },
        });
        return { status: res.status, body: await res.json() };
      };
      const article = JSON.stringify({
        title: '數位身分證試辦延後',
        body: '<p>內政部今天宣布。</p>',
      });
      const created = await call('PUT', '/documents/schema/a', article);
      assert.equal(created.status, 201);
      assertValid('/documents/{id}', created, 'created', 'put');
      assertValid(
        '/documents/{id}',
        await call('PUT', '/documents/schema/a', article),
        'updated',
        'put',
      );
      assertValid('/documents/{id}', await call('PUT', '/documents/schema/b', '{}'), 'bad', 'put');
      const bulk = await call(
        'POST',
        '/documents/_bulk',
        `${JSON.stringify({ id: 'schema/c', title: '標題', body: '內文' })}\n{"delete":"schema/a"}\n{"delete":"schema/none"}\nnot json\n`,
        'application/x-ndjson',
      );
      assert.equal(bulk.status, 200);
      assert.equal(bulk.body.errors, true);
      assertValid('/documents/_bulk', bulk, 'bulk', 'post');
      assertValid(
        '/documents/{id}',
        await call('DELETE', '/documents/schema/c'),
        'deleted',
        'delete',
      );
      assertValid('/documents/{id}', await call('DELETE', '/documents/schema/c'), 'gone', 'delete');
      // The user dictionary re-analyzes the embedded index; a database's rows are analyzed as they
      // are written (docs/operations.md): no run-time dictionary there.
      if (kind === 'embedded') {
        const words = await call(
          'PUT',
          '/admin/dictionary',
          JSON.stringify({ words: ['試辦延後'] }),
        );
        assert.equal(words.status, 202);
        assertValid('/admin/dictionary', words, 'dictionary', 'put');
        assertValid(
          '/admin/dictionary',
          await call('GET', '/admin/dictionary'),
          'dictionary',
          'get',
        );
        const noKey = await fetch(`${base}/admin/dictionary`);
        assertValid('/admin/dictionary', { status: noKey.status, body: await noKey.json() }, '401');
      }
      const wrongKey = await fetch(`${base}/documents/x`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer wrong' },
      });
      assertValid(
        '/documents/{id}',
        { status: wrongKey.status, body: await wrongKey.json() },
        '403',
        'delete',
      );
      await state.writer?.exclusive(async () => undefined); // the re-analysis has finished
      await state.writer?.close();
    });
  });
