import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { seedsIndex, EXAMPLE_ID } from './helpers.js';

const state: ServerState = { index: null };
let server: Server;
let base: string;

before(async () => {
  server = createApp(state, createLogger('silent')).listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

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
  state.index = (await seedsIndex()).index;
  const ok = await get('/health');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { status: 'ok', documents: state.index.size });
});

test('GET /search answers the contract shape', async () => {
  state.index = (await seedsIndex()).index;
  const r = await get('/search?' + new URLSearchParams({ q: '數位身分證', page: '1', size: '5' }));
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body).sort(), ['hits', 'page', 'query', 'size', 'took_ms', 'total']);
  assert.equal(r.body.query, '數位身分證');
  assert.equal(r.body.page, 1);
  assert.equal(r.body.size, 5);
  assert.equal(typeof r.body.took_ms, 'number');
  const hit = r.body.hits.find((h: any) => h.id === EXAMPLE_ID);
  assert.ok(hit);
  for (const key of ['id', 'title', 'title_html', 'url', 'source', 'date', 'tags', 'score', 'snippet']) assert.ok(key in hit, key);
  assert.equal(hit.source, '(臺)中央社CNA');
  assert.equal(hit.date, '2020-12-25T07:57:00.000Z');
  assert.deepEqual(hit.tags, ['(臺)中央社CNA']);
});

test('bad requests get 400 with the error shape, never 500', async () => {
  state.index = (await seedsIndex()).index;
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
  state.index = (await seedsIndex()).index;
  for (const text of ['。，！', '😀😀', '"""']) {
    const r = await get('/search?' + new URLSearchParams({ q: text }));
    assert.equal(r.status, 200, text);
    assert.equal(r.body.total, 0);
  }
});

test('a long query of many terms is answered or refused quickly, never hangs', async () => {
  state.index = (await seedsIndex()).index;
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
