/**
 * What a public endpoint needs in front of search (issue 18): CORS on reads only, compression
 * and cache headers, per-address rate limits, the search deadline, load shedding, metrics,
 * readiness, request ids and the slow-query log, and the optional read key. Each app here is the
 * real one over real text (seeds/), configured through AppOptions as cli.ts does from the
 * environment.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp, type AppOptions, type ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { search } from '../src/search/searcher.js';
import { docNumber } from '../src/search/documents.js';
import { IndexWriter } from '../src/index/writer.js';
import { Metrics } from '../src/server/metrics.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { seedsIndex, tinyIndex, EXAMPLE_ID } from './helpers.js';
import { BACKENDS, closeBackends, seedsState, skipOf } from './backends.js';

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await closeBackends();
});

async function serve(
  state: ServerState,
  options: AppOptions = {},
  logLines?: string[],
): Promise<string> {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines?.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = logLines ? createLogger('info', sink) : createLogger('silent');
  const server = createApp(state, logger, options).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((ok) => server.once('listening', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw request: headers as sent, the body as bytes on the wire (no decompression). */
function raw(
  url: string,
  { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}> {
  return new Promise((ok, fail) => {
    request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res
        .on('data', (c: Buffer) => chunks.push(c))
        .on('end', () =>
          ok({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }),
        )
        .on('error', fail);
    })
      .on('error', fail)
      .end();
  });
}

const q = (text: string, extra: Record<string, string> = {}) =>
  '/search?' + new URLSearchParams({ q: text, ...extra });

/** The seeds' articles twenty times over (real text, 380 documents): enough to time out on. */
let large: NewsIndex;
before(async () => {
  const { index } = await seedsIndex();
  const docs = [];
  for (let copy = 0; copy < 20; copy++)
    for (let d = 0; d < index.size; d++)
      docs.push({
        id: `${copy}/${index.docs[d].id}`,
        title: index.docs[d].title,
        body: index.body(d),
      });
  large = tinyIndex(docs);
});

// What sits in front of search, on the embedded index and on PostgreSQL (test/backends.ts).
for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    test('CORS: an allowed origin on reads; no headers for other origins, writes or their preflights', async () => {
      const seeded = await seedsState(kind);
      const allowed = 'https://news.example.com';
      const base = await serve(seeded, { corsOrigins: [allowed], writeKey: 'k' });
      const ok = await raw(base + q('數位身分證'), { headers: { Origin: allowed } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['access-control-allow-origin'], allowed);
      assert.match(String(ok.headers['access-control-expose-headers']), /X-Request-Id/);
      const other = await raw(base + q('數位身分證'), {
        headers: { Origin: 'https://evil.example' },
      });
      assert.equal(other.status, 200);
      assert.equal(other.headers['access-control-allow-origin'], undefined);

      for (const path of ['/search', '/suggest', `/documents/${encodeURIComponent(EXAMPLE_ID)}`]) {
        const pre = await raw(base + path, {
          method: 'OPTIONS',
          headers: { Origin: allowed, 'Access-Control-Request-Method': 'GET' },
        });
        assert.equal(pre.status, 204, path);
        assert.equal(pre.headers['access-control-allow-origin'], allowed, path);
        assert.match(String(pre.headers['access-control-allow-methods']), /^GET,HEAD$/, path);
      }
      // A page asking to write: the preflight gets no CORS answer, so the browser never sends it.
      for (const [method, path] of [
        ['PUT', '/documents/x'],
        ['DELETE', `/documents/${encodeURIComponent(EXAMPLE_ID)}`],
        ['POST', '/documents/_bulk'],
        ['PUT', '/admin/dictionary'],
      ]) {
        const pre = await raw(base + path, {
          method: 'OPTIONS',
          headers: { Origin: allowed, 'Access-Control-Request-Method': method },
        });
        assert.equal(pre.headers['access-control-allow-origin'], undefined, `${method} ${path}`);
        assert.equal(pre.headers['access-control-allow-methods'], undefined, `${method} ${path}`);
        assert.notEqual(pre.status, 204, `${method} ${path}`);
      }
      const put = await raw(base + '/documents/x', {
        method: 'DELETE',
        headers: { Origin: allowed },
      });
      assert.equal(put.headers['access-control-allow-origin'], undefined);
      // Without CORS_ORIGINS nobody gets CORS headers.
      const closed = await serve(seeded);
      const none = await raw(closed + q('數位身分證'), { headers: { Origin: allowed } });
      assert.equal(none.headers['access-control-allow-origin'], undefined);
    });

    test('compression by Accept-Encoding (brotli, gzip), ETags and cache headers per route', async () => {
      const seeded = await seedsState(kind);
      const base = await serve(seeded, { writeKey: 'k' });
      const path = q('網', { size: '10' });
      const plain = await raw(base + path);
      const br = await raw(base + path, { headers: { 'Accept-Encoding': 'br' } });
      const gz = await raw(base + path, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(br.headers['content-encoding'], 'br');
      assert.equal(gz.headers['content-encoding'], 'gzip');
      const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
      const body = JSON.parse(String(plain.bytes));
      assert.ok(body.hits.length > 0);
      assert.deepEqual(JSON.parse(String(brotliDecompressSync(br.bytes))).hits, body.hits);
      assert.deepEqual(JSON.parse(String(gunzipSync(gz.bytes))).hits, body.hits);
      assert.ok(
        br.bytes.length < plain.bytes.length / 2,
        `${br.bytes.length} vs ${plain.bytes.length}`,
      );
      assert.match(String(plain.headers.vary), /Accept-Encoding/);

      assert.equal(plain.headers['cache-control'], 'public, max-age=10');
      const etag = String(plain.headers.etag);
      assert.match(etag, /^W\/"/);
      // took_ms varies, so a repeated search has a new ETag; a document is stable and revalidates.
      const doc = `/documents/${encodeURIComponent(EXAMPLE_ID)}`;
      const first = await raw(base + doc);
      assert.equal(first.headers['cache-control'], 'public, max-age=60');
      const again = await raw(base + doc, {
        headers: { 'If-None-Match': String(first.headers.etag) },
      });
      assert.equal(again.status, 304);
      assert.equal((await raw(base + '/search')).headers['cache-control'], 'no-store');
      assert.equal(
        (await raw(base + '/documents/x', { method: 'DELETE' })).headers['cache-control'],
        'no-store',
      );
      assert.equal((await raw(base + '/health')).headers['cache-control'], 'no-store');
    });

    test('rate limits: per address, reads and writes counted apart, 429 with Retry-After', async () => {
      const seeded = await seedsState(kind);
      const base = await serve(seeded, { rateLimit: { read: 3, write: 1 } });
      for (let i = 0; i < 3; i++) assert.equal((await raw(base + q('網'))).status, 200);
      const limited = await raw(base + q('網'));
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0, String(limited.headers['retry-after']));
      const err = JSON.parse(String(limited.bytes)).error;
      assert.equal(err.code, 'rate_limited');
      assert.match(err.message, /at most 3 a minute/);
      // Writes have their own budget (here: writes are off, so the one allowed is a 405).
      assert.equal((await raw(base + '/documents/x', { method: 'DELETE' })).status, 405);
      assert.equal((await raw(base + '/documents/x', { method: 'DELETE' })).status, 429);
      // Without TRUST_PROXY a forged X-Forwarded-For changes nothing.
      const forged = await raw(base + q('網'), { headers: { 'X-Forwarded-For': '203.0.113.9' } });
      assert.equal(forged.status, 429);

      // Behind a trusted proxy (here: loopback) each forwarded client has its own budget.
      const proxied = await serve(seeded, {
        rateLimit: { read: 1, write: 1 },
        trustProxy: 'loopback',
      });
      const from = (ip: string) => raw(proxied + q('網'), { headers: { 'X-Forwarded-For': ip } });
      assert.equal((await from('203.0.113.1')).status, 200);
      assert.equal((await from('203.0.113.1')).status, 429);
      assert.equal((await from('203.0.113.2')).status, 200);
    });

    test('GET /metrics: requests, search, index and write figures; optionally behind a key', async () => {
      const seeded = await seedsState(kind);
      const state: ServerState = { ...seeded, writer: null };
      const base = await serve(state, { metricsKey: 'm' });
      for (let i = 0; i < 3; i++) await raw(base + q('數位身分證'));
      await raw(base + '/search');
      assert.equal((await raw(base + '/metrics')).status, 401);
      assert.equal(
        (await raw(base + '/metrics', { headers: { Authorization: 'Bearer x' } })).status,
        403,
      );
      const r = await raw(base + '/metrics', { headers: { Authorization: 'Bearer m' } });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain/);
      const text = String(r.bytes);
      assert.match(text, /http_requests_total\{method="GET",route="\/search",status="200"\} 3/);
      assert.match(text, /http_requests_total\{method="GET",route="\/search",status="400"\} 1/);
      assert.match(
        text,
        /http_request_duration_seconds_count\{method="GET",route="\/search",status="200"\} 3/,
      );
      assert.match(text, /search_duration_seconds_count\{timed_out="false"\} 3/);
      assert.match(text, /search_hits_count 3/);
      // The index and write-ahead-log figures are the embedded index's.
      if (kind === 'embedded') {
        const { index } = await seedsIndex();
        assert.match(text, new RegExp(`index_documents ${index.size}\\b`));
      }
      for (const name of [
        'index_wal_bytes',
        'index_write_queue_depth',
        'index_applied_seq',
        'index_write_to_searchable_seconds_count',
      ])
        assert.match(text, new RegExp(`^${name}`, 'm'), name);
    });

    test('request ids on every log line and in X-Request-Id; slow queries logged with explain', async () => {
      const seeded = await seedsState(kind);
      const lines: string[] = [];
      const base = await serve(seeded, { slowQueryMs: 0.000_001 }, lines);
      const r = await raw(base + q('數位身分證'));
      const id = String(r.headers['x-request-id']);
      assert.match(id, /^[0-9a-f-]{36}$/);
      const given = await raw(base + q('數位身分證'), { headers: { 'X-Request-Id': 'edge-42' } });
      assert.equal(given.headers['x-request-id'], 'edge-42');
      const bad = await raw(base + q('數位身分證'), {
        headers: { 'X-Request-Id': 'x'.repeat(65) },
      });
      assert.match(String(bad.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      await new Promise((ok) => setTimeout(ok, 50));
      const logged = lines.map((l) => JSON.parse(l));
      const mine = logged.filter((l) => l.reqId === id || l.req?.id === id);
      assert.ok(
        mine.some((l) => l.msg === 'request completed'),
        JSON.stringify(logged),
      );
      // The slow-query log is written by the embedded index's search route only (a database's
      // slow statements are logged by PostgreSQL itself: docs/operations.md).
      if (kind === 'postgres') return;
      const slow = mine.find((l) => l.msg === 'slow query');
      assert.ok(slow, 'slow query line with the request id');
      assert.equal(slow.query, '數位身分證');
      assert.ok(slow.explain.length > 0 && slow.explain[0].terms.length > 0, JSON.stringify(slow));
      assert.ok(logged.some((l) => l.reqId === 'edge-42' && l.msg === 'slow query'));
    });

    test('SEARCH_KEY: every read needs it (401 without, 403 wrong); health and the page stay open', async () => {
      const seeded = await seedsState(kind);
      const base = await serve(seeded, { searchKey: 's3cret' });
      for (const path of [
        q('網'),
        '/suggest?q=%E6%95%B8',
        `/documents/${encodeURIComponent(EXAMPLE_ID)}`,
      ]) {
        const none = await raw(base + path);
        assert.equal(none.status, 401, path);
        assert.equal(JSON.parse(String(none.bytes)).error.code, 'unauthorized');
        assert.match(JSON.parse(String(none.bytes)).error.message, /SEARCH_KEY/);
        assert.equal(
          (await raw(base + path, { headers: { Authorization: 'Bearer nope' } })).status,
          403,
        );
        const ok = await raw(base + path, { headers: { Authorization: 'Bearer s3cret' } });
        assert.equal(ok.status, 200, path);
        assert.match(String(ok.headers['cache-control']), /^private/);
      }
      assert.equal((await raw(base + '/health')).status, 200);
      assert.equal((await raw(base + '/')).status, 200);
    });
  });

// Readiness of a loading index, load shedding while a write holds the writer, and the result
// cache are the embedded index's (a database has no writer or result cache: docs/operations.md);
// the deadline's test counts the documents ranked before the cut over an in-memory index.
test('the search deadline: the hits ranked so far, with timed_out', async () => {
  const full = search(large, { q: '網', page: 1, size: 10 });
  assert.ok(full.total > 100, `${full.total} matches`);
  assert.equal(full.timed_out, undefined);
  const cut = search(large, { q: '網', page: 1, size: 10, deadline: performance.now() - 1 });
  assert.equal(cut.timed_out, true);
  // Ranking stops at its first look at the clock (every 64 candidates).
  assert.equal(cut.total, 63);
  assert.equal(cut.hits.length, 10);
  // They are the best of the first 63 candidates (in document order), not of all matches.
  const matching: number[] = [];
  for (let page = 1; (page - 1) * 100 < full.total; page++)
    for (const h of search(large, { q: '網', page, size: 100 }).hits)
      matching.push(docNumber(large, h.id)!);
  const first = new Set(matching.sort((a, b) => a - b).slice(0, 63));
  assert.ok(cut.hits.every((h) => first.has(docNumber(large, h.id)!)));
  assert.ok(full.hits.some((h) => !first.has(docNumber(large, h.id)!)));
  // Through HTTP, SEARCH_TIMEOUT_MS sets the budget; 0 ms runs out at the first look.
  const base = await serve({ index: large }, { searchTimeoutMs: 0 });
  const r = await raw(base + q('網'));
  assert.equal(r.status, 200);
  const body = JSON.parse(String(r.bytes));
  assert.equal(body.timed_out, true);
  assert.equal(body.total, 63);
  const roomy = await serve({ index: large }, { searchTimeoutMs: 60_000 });
  const all = JSON.parse(String((await raw(roomy + q('網'))).bytes));
  assert.equal(all.timed_out, undefined);
  assert.equal(all.total, full.total);
});

test('overload: past MAX_IN_FLIGHT new requests get 503 with Retry-After at once', async () => {
  const { index } = await seedsIndex();
  const state: ServerState = { index: null, writer: null };
  const { writer } = await IndexWriter.open(index, null);
  writer.attach(state);
  state.writer = writer;
  const base = await serve(state, {
    writeKey: 'k',
    load: { maxInFlight: 1, maxEventLoopDelayMs: 0 },
  });
  // Hold the writer: a write now stays in flight until the gate opens.
  let open!: () => void;
  const gate = new Promise<void>((ok) => (open = ok));
  const held = writer.exclusive(() => gate);
  const put = fetch(base + '/documents/overload-test', {
    method: 'PUT',
    headers: { Authorization: 'Bearer k', 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: '測試', body: '過載測試的文章', format: 'text' }),
  });
  // In flight once it reached the writer (it waits there for the gate).
  for (let i = 0; i < 500 && writer.queueDepth === 0; i++)
    await new Promise((ok) => setTimeout(ok, 20));
  assert.equal(writer.queueDepth, 1);
  const shed = await raw(base + q('網'));
  assert.equal(shed.status, 503);
  assert.equal(shed.headers['retry-after'], '1');
  assert.equal(JSON.parse(String(shed.bytes)).error.code, 'overloaded');
  // Liveness and metrics still answer.
  assert.equal((await raw(base + '/health')).status, 200);
  const metrics = String((await raw(base + '/metrics')).bytes);
  assert.match(metrics, /http_requests_shed_total\{reason="in_flight"\} 1/);
  open();
  await held;
  assert.equal((await put).status, 201);
  assert.equal((await raw(base + q('過載測試'))).status, 200);
});

test('overload: a loop running behind for seconds sheds requests; one long stall does not', async () => {
  const { index } = await seedsIndex();
  const base = await serve({ index }, { load: { maxInFlight: 0, maxEventLoopDelayMs: 20 } });
  const spin = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  // Stalls (start-up, an index merge): not a backlog, nothing is refused.
  spin(300);
  await new Promise((ok) => setTimeout(ok, 100));
  spin(2500);
  for (let i = 0; i < 3; i++) assert.equal((await raw(base + q('網'))).status, 200);
  await new Promise((ok) => setTimeout(ok, 2100));
  assert.equal((await raw(base + q('網'))).status, 200);
  // Behind all the time for seconds (a backlog): new requests get 503 at once.
  const busy = setInterval(() => spin(95), 100);
  await new Promise((ok) => setTimeout(ok, 6500));
  clearInterval(busy);
  const shed = await raw(base + q('網'));
  assert.equal(shed.status, 503);
  assert.equal(shed.headers['retry-after'], '1');
  assert.match(JSON.parse(String(shed.bytes)).error.message, /ms behind/);
  // Caught up: answered again.
  await new Promise((ok) => setTimeout(ok, 4500));
  assert.equal((await raw(base + q('網'))).status, 200);
});

test('GET /ready is 503 until the index is loaded and writes are applied; /health stays liveness', async () => {
  const { index } = await seedsIndex();
  const state: ServerState = { index: null, writer: null };
  const base = await serve(state, { writeKey: 'k' });
  const loading = await raw(base + '/ready');
  assert.equal(loading.status, 503);
  assert.equal(JSON.parse(String(loading.bytes)).index_loaded, false);
  state.index = index;
  const noWriter = JSON.parse(String((await raw(base + '/ready')).bytes));
  assert.deepEqual([noWriter.status, noWriter.writes_applied], ['not_ready', false]);
  assert.equal((await raw(base + '/health')).status, 200);
  const { writer } = await IndexWriter.open(index, null);
  state.writer = writer;
  const ready = await raw(base + '/ready');
  assert.equal(ready.status, 200);
  assert.equal(JSON.parse(String(ready.bytes)).documents, index.size);
});

test('repeated searches come from the result cache until the index changes', async () => {
  const { index } = await seedsIndex();
  const state: ServerState = { index: null, writer: null };
  const { writer } = await IndexWriter.open(index, null);
  writer.attach(state);
  state.writer = writer;
  const metrics = new Metrics({ processMetrics: false });
  const base = await serve(state, { writeKey: 'k', searchCacheBytes: 1 << 20, metrics });
  // The writer swaps in the suggestion lexicon it builds at open (a new reader, which rightly
  // empties the cache): on a busy machine that landed between the two searches below.
  await writer.lexiconReady();
  const counts = async () => {
    const text = await metrics.registry.metrics();
    const n = (result: string) =>
      Number(
        new RegExp(`search_cache_requests_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ??
          0,
      );
    return { hit: n('hit'), miss: n('miss') };
  };
  const path = q('快取測試');
  const first = await raw(base + path);
  const second = await raw(base + path);
  assert.deepEqual(JSON.parse(String(second.bytes)), JSON.parse(String(first.bytes)));
  assert.equal(JSON.parse(String(first.bytes)).total, 0);
  assert.deepEqual(await counts(), { hit: 1, miss: 1 });
  // A write makes a new index: the cached answer is not served for it.
  const put = await fetch(base + '/documents/cache-test', {
    method: 'PUT',
    headers: { Authorization: 'Bearer k', 'Content-Type': 'application/json' },
    body: JSON.stringify({
      title: '快取測試',
      body: '寫入之後，快取的答案不再有效。',
      format: 'text',
    }),
  });
  assert.equal(put.status, 201);
  const after = JSON.parse(String((await raw(base + path)).bytes));
  assert.deepEqual(
    after.hits.map((h: { id: string }) => h.id),
    ['cache-test'],
  );
  assert.deepEqual(await counts(), { hit: 1, miss: 2 });
});

test('a cached answer is sent as prepared bytes: per encoding, with its ETag, 304 when held', async () => {
  const { index } = await seedsIndex();
  const { brotliDecompressSync, gunzipSync } = await import('node:zlib');
  const base = await serve({ index }, { searchCacheBytes: 1 << 20 });
  const path = q('網', { size: '10' });
  const plain = await raw(base + path);
  const plainAgain = await raw(base + path);
  // From the cache: the same bytes and ETag (took_ms included), so a browser can revalidate.
  assert.ok(plain.bytes.equals(plainAgain.bytes));
  assert.equal(plainAgain.headers.etag, plain.headers.etag);
  assert.match(String(plain.headers.etag), /^W\/"/);
  assert.equal(plain.headers['content-length'], String(plain.bytes.length));
  assert.equal(plain.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.match(String(plain.headers['x-request-id']), /^[\w-]+$/);
  const held = await raw(base + path, { headers: { 'If-None-Match': String(plain.headers.etag) } });
  assert.equal(held.status, 304);
  assert.equal(held.bytes.length, 0);

  // Each encoding is kept apart; a browser's list (gzip first) gets gzip, a br-only client br.
  const hits = JSON.parse(String(plain.bytes)).hits;
  for (const [accept, encoding, decode] of [
    ['gzip, deflate, br', 'gzip', gunzipSync],
    ['br', 'br', brotliDecompressSync],
    ['br;q=1, gzip;q=0.5', 'br', brotliDecompressSync],
  ] as const) {
    const first = await raw(base + path, { headers: { 'Accept-Encoding': accept } });
    const again = await raw(base + path, { headers: { 'Accept-Encoding': accept } });
    assert.equal(first.headers['content-encoding'], encoding, accept);
    assert.ok(again.bytes.equals(first.bytes), accept);
    assert.equal(first.headers['content-length'], String(first.bytes.length), accept);
    assert.match(String(first.headers.vary), /Accept-Encoding/, accept);
    assert.deepEqual(JSON.parse(String(decode(first.bytes))).hits, hits, accept);
  }
  // HEAD: the headers of the answer without its body.
  const head = await raw(base + path, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(plain.bytes.length));
  assert.equal(head.bytes.length, 0);
  // Small answers are not compressed; errors keep their shape.
  const none = await raw(base + q('zzqqxx無此詞'), { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(none.headers['content-encoding'], undefined);
  assert.equal(JSON.parse(String(none.bytes)).total, 0);
  const bad = await raw(base + q('網', { size: '0' }), { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(String(bad.bytes)).error.code, 'bad_request');
});
