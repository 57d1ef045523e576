import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import type { ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadIndex } from '../src/index/store.js';
import { IndexWriter } from '../src/index/writer.js';
import { MAX_DOCUMENT_BYTES } from '../src/server/writes.js';
import { EXAMPLE_ID, REPO, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';

import { BACKENDS, closeBackends, skipOf, writableServersOn } from './backends.js';

const KEY = 'test-write-key-Zq81';

after(closeBackends);

/** Documents served: the embedded index's size, or the database's count. */
const documentsOf = async (state: ServerState) =>
  state.backend ? state.backend.size() : state.index!.size;

// The write API against the embedded index and against PostgreSQL (test/backends.ts).
for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    const indexDir = tempDir('zh-news-writes-');
    const logLines: string[] = [];
    let state: ServerState;
    let server: Server;
    let base: string;
    let closed: Server;
    let closedBase: string;

    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(chunk.toString());
          done();
        },
      });
      ({ state, server, base, closed, closedBase } = await writableServersOn(
        kind,
        indexDir,
        KEY,
        createLogger('info', sink),
      ));
    });
    after(async () => {
      server.close();
      closed.close();
      await state.writer?.close();
    });

    const auth = { authorization: `Bearer ${KEY}` };
    const json = { 'content-type': 'application/json', ...auth };
    const enc = (id: string) => id.split('/').map(encodeURIComponent).join('/');
    const put = (id: string, body: unknown, headers: Record<string, string> = json) =>
      fetch(`${base}/documents/${enc(id)}`, {
        method: 'PUT',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers,
      });
    const del = (id: string, headers: Record<string, string> = auth) =>
      fetch(`${base}/documents/${enc(id)}`, { method: 'DELETE', headers });
    const searchIds = async (q: string) => {
      const r = await fetch(`${base}/search?q=${encodeURIComponent(q)}&size=100`);
      return ((await r.json()) as { hits: { id: string }[] }).hits.map((h) => h.id);
    };
    const errorOf = async (r: Response) =>
      ((await r.json()) as { error: { code: string; message: string } }).error;

    const ARTICLE = {
      title: '臺南市推出數位身分證體驗站',
      body: '<p>臺南市政府今天在市府大樓設立體驗站，民眾可以試用數位身分證的手機介面。</p><script>alert(1)</script><p>市府表示，試辦期間不收費。</p>',
      url: 'https://example.com/news/tainan-eid',
      source: '(臺)測試通訊社',
      date: '2026-11-29T08:00:00+08:00',
      tags: ['數位身分證', '臺南'],
    };

    test('PUT creates an article that is searchable, in both scripts, as soon as it is answered', async () => {
      const r = await put('live/tainan-eid', ARTICLE);
      assert.equal(r.status, 201);
      const body = (await r.json()) as { id: string; result: string; seq: number };
      assert.equal(body.id, 'live/tainan-eid');
      assert.equal(body.result, 'created');
      assert.ok(body.seq >= 1);
      assert.ok((await searchIds('體驗站')).includes('live/tainan-eid'));
      assert.ok((await searchIds('体验站')).includes('live/tainan-eid'));
      const doc = (await (await fetch(`${base}/documents/live/tainan-eid`)).json()) as Record<
        string,
        unknown
      >;
      assert.equal(doc.title, ARTICLE.title);
      assert.equal(doc.source, ARTICLE.source);
      assert.equal(doc.date, '2026-11-29T00:00:00.000Z');
      assert.deepEqual(doc.tags, ['數位身分證', '臺南']);
      // The HTML went through the post cleaner: paragraphs kept, the script dropped.
      assert.equal(
        doc.body,
        '臺南市政府今天在市府大樓設立體驗站，民眾可以試用數位身分證的手機介面。\n市府表示，試辦期間不收費。',
      );
      // The other articles are all still there.
      assert.ok((await searchIds('數位身分證')).includes(EXAMPLE_ID));
    });

    test('PUT on an existing id replaces it: the old text no longer matches, the new one does', async () => {
      await put('live/replace-me', {
        title: '舊標題：颱風假',
        body: '這是第一版的內容，提到蘇迪勒。',
      });
      const r = await put('live/replace-me', {
        title: '新標題：地震速報',
        body: '這是第二版的內容，提到花蓮。',
        format: 'text',
      });
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { result: string }).result, 'updated');
      assert.deepEqual(await searchIds('蘇迪勒'), []);
      assert.deepEqual(await searchIds('地震速報'), ['live/replace-me']);
      const health = (await (await fetch(`${base}/health`)).json()) as { documents: number };
      assert.equal(health.documents, await documentsOf(state));
    });

    test('PUT takes a raw post with front matter as text/markdown', async () => {
      const post = [
        '---',
        'title: 香港推出智慧身份證查詢服務',
        'date: 2026-11-28 10:00:00 +0800',
        'source: (港)測試日報',
        'tags: 智慧身份證, 香港',
        '---',
        '',
        '入境處表示，市民可以**網上**查詢換領進度。[詳情](https://example.com/x)',
        '',
      ].join('\n');
      const r = await put('live/hk-id', post, { 'content-type': 'text/markdown', ...auth });
      assert.equal(r.status, 201);
      const doc = (await (await fetch(`${base}/documents/live/hk-id`)).json()) as Record<
        string,
        unknown
      >;
      assert.equal(doc.title, '香港推出智慧身份證查詢服務');
      assert.equal(doc.source, '(港)測試日報');
      assert.deepEqual(doc.tags, ['智慧身份證', '香港']);
      assert.equal(doc.body, '入境處表示，市民可以網上查詢換領進度。詳情');
      assert.deepEqual(await searchIds('換領進度'), ['live/hk-id']);
    });

    test('DELETE removes an article; an unknown id is 404', async () => {
      await put('live/delete-me', { title: '將被刪除的報導', body: '獨角仙展覽今天開幕。' });
      assert.deepEqual(await searchIds('獨角仙'), ['live/delete-me']);
      const r = await del('live/delete-me');
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { result: string }).result, 'deleted');
      assert.deepEqual(await searchIds('獨角仙'), []);
      assert.equal((await fetch(`${base}/documents/live/delete-me`)).status, 404);
      const again = await del('live/delete-me');
      assert.equal(again.status, 404);
      assert.equal((await errorOf(again)).code, 'not_found');
    });

    test('POST /documents/_bulk answers per line; a bad line fails only itself', async () => {
      const lines = [
        JSON.stringify({
          id: 'bulk/a',
          title: '批次一：高鐵延伸屏東',
          body: '交通部宣布高鐵延伸屏東的路線。',
        }),
        '{not json',
        JSON.stringify({ id: 'bulk/b', body: '沒有標題' }),
        '',
        JSON.stringify({ id: '../escape', title: '路徑', body: '想逃出資料夾' }),
        JSON.stringify({ delete: 'bulk/never-was' }),
        JSON.stringify({
          id: 'bulk/c',
          title: '批次三：屏東燈會',
          body: '屏東燈會吸引遊客。',
          format: 'text',
        }),
        JSON.stringify({ delete: 'bulk/a' }),
      ].join('\n');
      const r = await fetch(`${base}/documents/_bulk`, {
        method: 'POST',
        body: lines,
        headers: { 'content-type': 'application/x-ndjson', ...auth },
      });
      assert.equal(r.status, 200);
      const out = (await r.json()) as {
        errors: boolean;
        items: {
          line: number;
          id?: string;
          status: number;
          result?: string;
          error?: { message: string };
        }[];
      };
      assert.equal(out.errors, true);
      assert.deepEqual(
        out.items.map((i) => [i.line, i.status, i.result ?? null]),
        [
          [1, 201, 'created'],
          [2, 400, null],
          [3, 400, null],
          [5, 400, null],
          [6, 404, null],
          [7, 201, 'created'],
          [8, 200, 'deleted'],
        ],
      );
      assert.match(out.items[1].error!.message, /not a JSON object/);
      assert.match(out.items[2].error!.message, /title/);
      assert.match(out.items[3].error!.message, /relative path/);
      assert.deepEqual(await searchIds('屏東燈會'), ['bulk/c']);
      assert.deepEqual(await searchIds('高鐵延伸屏東'), []);
    });

    test('every write endpoint needs the key: missing 401, wrong 403; and the key never reaches the log', async () => {
      const calls = [
        (h: Record<string, string>) =>
          put('live/x', ARTICLE, { 'content-type': 'application/json', ...h }),
        (h: Record<string, string>) => del('live/x', h),
        (h: Record<string, string>) =>
          fetch(`${base}/documents/_bulk`, {
            method: 'POST',
            body: '{}',
            headers: { 'content-type': 'application/x-ndjson', ...h },
          }),
      ];
      for (const call of calls) {
        assert.equal((await call({})).status, 401);
        assert.equal((await call({ authorization: 'Bearer wrong' })).status, 403);
        assert.equal((await call({ authorization: `Basic ${KEY}` })).status, 401);
      }
      await put('live/logged', ARTICLE);
      const log = logLines.join('');
      assert.match(log, /"method":"PUT"/); // requests are logged…
      assert.ok(!log.includes(KEY), 'the write key appears in the log'); // …without the key
    });

    test('writes are off without a key: 405 with a message', async () => {
      const r = await fetch(`${closedBase}/documents/x`, {
        method: 'PUT',
        body: JSON.stringify(ARTICLE),
        headers: json,
      });
      assert.equal(r.status, 405);
      assert.match((await errorOf(r)).message, /WRITE_KEY/);
      assert.equal((await fetch(`${closedBase}/documents/x`, { method: 'DELETE' })).status, 405);
    });

    test('ids that could walk out of a folder, hold NUL or control characters, or run absurdly long are 400', async () => {
      for (const raw of [
        '..%2Fetc%2Fpasswd',
        'a%2F..%2F..%2Fb',
        '%2Fabsolute',
        'nul%00byte',
        'tab%09id',
        'back%5Cslash',
        'a'.repeat(501),
        'trailing%2F',
        '_bulk',
      ]) {
        const r = await fetch(`${base}/documents/${raw}`, {
          method: 'PUT',
          body: JSON.stringify(ARTICLE),
          headers: json,
        });
        assert.equal(r.status, 400, raw);
        assert.equal((await errorOf(r)).code, 'bad_request');
      }
      assert.equal(
        (await fetch(`${base}/documents/%E0%A4%A`, { method: 'DELETE', headers: auth })).status,
        400,
      );
    });

    test('field limits and body limits: 400 for bad fields, 413 for a body over the limit, 415 for another type', async () => {
      const cases: [unknown, RegExp][] = [
        [{ ...ARTICLE, title: '' }, /title must not be empty/],
        [{ ...ARTICLE, title: '長'.repeat(1001) }, /title must be at most 1000/],
        [{ ...ARTICLE, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, /at most 100 tags/],
        [{ ...ARTICLE, tags: ['x'.repeat(101)] }, /tags must be at most 100/],
        [{ ...ARTICLE, url: 'javascript:alert(1)' }, /http\(s\) URL/],
        [{ ...ARTICLE, date: 'yesterday-ish' }, /date must be/],
        [{ ...ARTICLE, format: 'pdf' }, /format must be/],
        [{ ...ARTICLE, extra: 1 }, /extra|Unrecognized/i],
        [{ ...ARTICLE, id: 'another' }, /differs/],
        [[1, 2], /JSON object/],
        [{ title: '只有標題' }, /body must be text/],
      ];
      for (const [body, message] of cases) {
        const r = await put('live/limits', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 60));
        assert.match((await errorOf(r)).message, message);
      }
      const deep = '<div>'.repeat(2000) + '深' + '</div>'.repeat(2000);
      const bomb = await put('live/bomb', { ...ARTICLE, body: deep });
      assert.equal(bomb.status, 400);
      assert.match((await errorOf(bomb)).message, /nest/);

      const huge = await put('live/huge', {
        ...ARTICLE,
        body: 'x'.repeat(MAX_DOCUMENT_BYTES + 10),
      });
      assert.equal(huge.status, 413);
      assert.equal((await errorOf(huge)).code, 'too_large');
      const other = await put('live/type', 'title=x', {
        'content-type': 'application/x-www-form-urlencoded',
        ...auth,
      });
      assert.equal(other.status, 415);
      const broken = await put('live/raw', '---\ntitle: [unclosed\n---\nbody', {
        'content-type': 'text/markdown',
        ...auth,
      });
      assert.equal(broken.status, 400);
      assert.match((await errorOf(broken)).message, /front matter/);
      assert.equal((await fetch(`${base}/documents/live/limits`)).status, 404); // nothing half-written
    });

    // The write-ahead log and the index folder are the embedded index's: a database has neither
    // (its durability under kill -9 is tested in postgres.test.ts).
    if (kind === 'embedded') {
      test('cli search sees writes the snapshot does not hold yet (it reads the log, read-only)', () => {
        const r = spawnSync(
          process.execPath,
          [
            join(REPO, 'dist', 'src', 'cli.js'),
            'search',
            '地震速報',
            '--index',
            indexDir,
            '--json',
          ],
          { encoding: 'utf8' },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(
          (JSON.parse(r.stdout) as { hits: { id: string }[] }).hits.map((h) => h.id),
          ['live/replace-me'],
        );
      });

      test('the log replays into a reopened index; a torn last record is cut off, the rest kept', async () => {
        await put('live/durable', { title: '重開後仍在的報導', body: '鯨鯊出現在外海。' });
        const walDir = join(indexDir, 'wal');
        const segments = readdirSync(walDir).sort();
        assert.ok(segments.length >= 1);
        const last = join(walDir, segments[segments.length - 1]);
        const before = readFileSync(last).length;
        appendFileSync(last, '0badc0de {"seq":999999,"op":"delete","id":"live/dura'); // a crash mid-append
        const { writer, replayed } = await IndexWriter.open(
          loadIndex(indexDir, analyzerFingerprint()),
          indexDir,
          { compactBytes: 1 << 30 },
        );
        try {
          assert.ok(replayed >= 1);
          const ids = new Set(writer.index.docs.map((d) => d.id));
          assert.ok(
            ids.has('live/durable') &&
              ids.has('live/tainan-eid') &&
              ids.has('bulk/c') &&
              !ids.has('bulk/a') &&
              !ids.has('live/delete-me'),
          );
          assert.equal(writer.index.size, await documentsOf(state));
        } finally {
          await writer.close();
        }
        // Reopening replayed the log into a snapshot: the saved index alone now holds the write.
        const saved = loadIndex(indexDir, analyzerFingerprint());
        assert.ok(saved.docs.some((d) => d.id === 'live/durable'));
        assert.ok(saved.appliedSeq >= 1);
        assert.ok(before > 0);
      });

      test('npm start does not rebuild over articles that came only through the write API', () => {
        // Another analyzer (here another main dictionary) makes the saved index incompatible; `start`
        // would rebuild it from seeds/ and lose the articles written over HTTP: it refuses instead.
        const dict = join(indexDir, '..', `tiny-dict-${process.pid}.utf8`);
        writeFileSync(dict, '数位 100 n\n身分证 100 n\n');
        const r = spawnSync(process.execPath, [join(REPO, 'dist', 'src', 'cli.js'), 'start'], {
          encoding: 'utf8',
          env: {
            ...process.env,
            INDEX_DIR: indexDir,
            PORT: '0',
            JIEBA_DICT: dict,
            LOG_LEVEL: 'silent',
          },
          timeout: 60_000,
        });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /\d+ articles came through the write API and would be lost/);
        assert.ok(
          loadIndex(indexDir, analyzerFingerprint()).docs.some((d) => d.id === 'live/durable'),
          'the index is untouched',
        );
      });
    }
  });
