/**
 * The admin endpoints (the run-time user dictionary), on the embedded index and on PostgreSQL
 * (test/backends.ts). Keys and body limits are the same on both; adding words re-analyzes the
 * embedded index, while a database refuses the change with 405 `not_supported`.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { analyzeQuery, analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadIndex } from '../src/index/store.js';
import { search } from '../src/search/searcher.js';
import { tempDir } from './helpers.js';
import { BACKENDS, closeBackends, skipOf, testOn, writableServersOn } from './backends.js';

const KEY = 'test-write-key';

after(closeBackends);

for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    const indexDir = tempDir('zh-news-admin-');
    let state: ServerState;
    let server: Server;
    let base: string;
    let closed: Server;
    let closedBase: string;

    before(async () => {
      ({ state, server, base, closed, closedBase } = await writableServersOn(
        kind,
        indexDir,
        KEY,
        createLogger('silent'),
      ));
    });
    after(async () => {
      server.close();
      closed.close();
      await state.writer?.close();
    });

    const put = (body: string, headers: Record<string, string> = {}, url = base) =>
      fetch(`${url}/admin/dictionary`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const auth = { authorization: `Bearer ${KEY}` };
    const errorOf = async (r: Response) =>
      ((await r.json()) as { error: { code: string; message: string } }).error;

    test('the admin endpoint is off when no key is configured', async () => {
      const r = await put('{"words":["新词"]}', auth, closedBase);
      assert.equal(r.status, 404);
    });

    test('a missing key is 401, a wrong key 403', async () => {
      const missing = await put('{"words":["新词"]}');
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
      assert.equal((await put('{"words":["新词"]}', { authorization: 'Bearer nope' })).status, 403);
      assert.equal(
        (await put('{"words":["新词"]}', { authorization: `Basic ${KEY}` })).status,
        401,
      );
      assert.equal((await fetch(`${base}/admin/dictionary`)).status, 401);
    });

    test('a body that is not JSON is 400 with a message; an oversized one 413', async () => {
      const r = await put('not json', auth);
      assert.equal(r.status, 400);
      assert.match((await errorOf(r)).message, /entity.parse.failed|JSON/);
      const big = await put(
        JSON.stringify({ words: ['字'.repeat(10)], pad: 'x'.repeat(100_000) }),
        auth,
      );
      assert.equal(big.status, 413);
    });

    testOn('embedded', kind)('a malformed list of words is 400 with a message', async () => {
      for (const [body, message] of [
        ['{"words":"数位"}', /words must be a list/],
        ['{"words":[]}', /at least one word/],
        ['{"words":["有 空格"]}', /letters or digits only/],
        ['{"words":["' + '字'.repeat(21) + '"]}', /longer than 20/],
        ['{"words":[42]}', /must be a string/],
        ['[]', /must be JSON/],
      ] as [string, RegExp][]) {
        const r = await put(body, auth);
        assert.equal(r.status, 400, body);
        assert.match((await errorOf(r)).message, message, body);
      }
    });

    testOn('embedded', kind)(
      'a word added at run time changes segmentation and re-analyzes the articles holding it',
      async () => {
        // The served index as it is now: the writer replaces it (a new lexicon, the re-analysis).
        const index = () => state.index!;
        const before = analyzerFingerprint();
        assert.deepEqual(analyzeQuery('待處理量')[0].words, ['待', '处理量']);
        const titleTf = () =>
          search(index(), { q: '處理量', page: 1, size: 5, explain: true }).hits.find((h) =>
            h.id.includes('待處理量'),
          )!.explain!.terms[0].title;
        assert.equal(titleTf(), 1, '处理量 is a whole word of the title before');

        const r = await put(JSON.stringify({ words: ['待處理量'] }), auth);
        assert.equal(r.status, 202);
        const body = (await r.json()) as {
          added: string[];
          documents: number;
          fingerprint: string;
        };
        assert.deepEqual(body.added, ['待处理量'], 'stored in Simplified');
        assert.ok(body.documents >= 1);
        assert.notEqual(body.fingerprint, before);
        assert.deepEqual(
          analyzeQuery('待處理量')[0].words,
          ['待处理量'],
          'queries segment with it at once',
        );

        // Queries keep being answered while the articles are re-analyzed in the background.
        let status: { words: string[]; pending_documents: number } | undefined;
        for (let i = 0; i < 100; i++) {
          assert.equal(
            (await fetch(`${base}/search?q=${encodeURIComponent('處理量')}`)).status,
            200,
          );
          status = (await (await fetch(`${base}/admin/dictionary`, { headers: auth })).json()) as {
            words: string[];
            pending_documents: number;
          };
          if (status.pending_documents === 0) break;
          await new Promise((ok) => setTimeout(ok, 50));
        }
        assert.deepEqual(status!.words, ['待处理量']);
        assert.equal(titleTf(), 0.5, '处理量 is now part of the word 待处理量');
        assert.equal(index().fingerprint, body.fingerprint);
        // The word is in the file, and the saved index carries the new fingerprint.
        assert.match(readFileSync(join(indexDir, 'user-dict.txt'), 'utf8'), /^待处理量$/m);
        for (let i = 0; i < 50; i++) {
          try {
            loadIndex(indexDir, body.fingerprint);
            break;
          } catch {
            await new Promise((ok) => setTimeout(ok, 100));
          }
        }
        assert.equal(loadIndex(indexDir, body.fingerprint).size, index().size);
        // Adding it again changes nothing.
        const again = (await (await put(JSON.stringify({ words: ['待处理量'] }), auth)).json()) as {
          added: string[];
          known: string[];
        };
        assert.deepEqual(again.added, []);
        assert.deepEqual(again.known, ['待处理量']);
      },
    );

    testOn('postgres', kind)(
      'on a database the dictionary cannot change at run time: 405 not_supported, and nothing changes',
      async () => {
        const word = '身分證試辦';
        const words = analyzeQuery(word)[0].words;
        assert.ok(words.length > 1, 'jieba cuts the word apart before');
        const listed = async () => {
          const r = await fetch(`${base}/admin/dictionary`, { headers: auth });
          assert.equal(r.status, 200);
          return ((await r.json()) as { words: string[] }).words;
        };
        const before = await listed();
        const r = await put(JSON.stringify({ words: [word] }), auth);
        assert.equal(r.status, 405);
        assert.equal(r.headers.get('allow'), 'GET, HEAD');
        const error = await errorOf(r);
        assert.equal(error.code, 'not_supported');
        assert.match(error.message, /database \(DATABASE_URL\).*embedded index/);
        // Whatever the body: the change is refused before it is read.
        assert.equal((await put('{"words":[]}', auth)).status, 405);
        // Keys are still checked first.
        assert.equal((await put(JSON.stringify({ words: [word] }))).status, 401);
        assert.deepEqual(analyzeQuery(word)[0].words, words, 'segmentation unchanged');
        assert.deepEqual(await listed(), before);
        const found = await fetch(`${base}/search?q=${encodeURIComponent(word)}`);
        assert.equal(found.status, 200);
      },
    );
  });
