/**
 * The search page (`GET /`), end to end in Debian's Chromium driven by playwright-core.
 *
 * The real service runs in-process over the seeds, once on the embedded index and once on
 * PostgreSQL (test/backends.ts: a private cluster, no mock); the tests that never reach the
 * backend (static files, answers stubbed in the browser) run on the embedded index only.
 * Browser tests are skipped, saying so, when /usr/bin/chromium is missing
 * (`scripts/ensure-chromium.sh` installs it). The features the page shows only when the API
 * answers them (facets, the timeline, script conversion, /suggest) are tested against the real
 * API, so a feature lost from the API fails its test; the page's handling of odd answers is
 * tested against stubbed ones. Screenshots go to test-output/screenshots/ (git-ignored;
 * PostgreSQL's prefixed `postgres-`).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type ServerState } from '../src/server/app.js';
import { webDir, CONTENT_SECURITY_POLICY } from '../src/server/web.js';
import { createLogger } from '../src/log.js';
import { EXAMPLE_ID, REPO } from './helpers.js';
import {
  BACKENDS,
  closeBackends,
  seedsState,
  serve,
  skipOf,
  testOn,
  type BackendKind,
} from './backends.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const NO_CHROMIUM = `${CHROMIUM} is missing: browser tests skipped (bash scripts/ensure-chromium.sh installs it)`;
const SCREENSHOTS = join(REPO, 'test-output', 'screenshots');
const TIMEOUT = 10_000;
const BROWSER_TEST = { timeout: 60_000 };
const SIMPLIFIED_ID = '2020-12-02-多地试点数字身份证 专家提醒筑牢信息安全防线';
const XSS_ID = '2021-01-14-網站未過濾使用者輸入 資安專家示範跨站腳本攻擊手法';

// The backend being served: the suites below run once per kind, one kind after the other.
let state: ServerState;
let server: Server;
let base: string;

/** A screenshot's path: the embedded index's under its name, PostgreSQL's prefixed. */
const shot = (kind: BackendKind, name: string) =>
  join(SCREENSHOTS, kind === 'embedded' ? name : `${kind}-${name}`);

after(closeBackends);

for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    before(async () => {
      state = await seedsState(kind);
      ({ server, base } = await serve(state));
    });
    after(() => {
      server?.closeAllConnections();
      server?.close();
    });
    servedPage(kind);
    searchPage(kind);
  });

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { signal: AbortSignal.timeout(TIMEOUT) });
  return { status: res.status, body: await res.json() };
}

function servedPage(kind: BackendKind): void {
  describe('the page is served with a Content-Security-Policy', () => {
    testOn('embedded', kind)('GET / is the HTML page, with the CSP and no-cache', async () => {
      const res = await fetch(base + '/');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const html = await res.text();
      assert.match(html, /<html lang="zh-Hant">/);
      assert.match(html, /<script type="module" src="\/app.js\?v=[\w-]{27}"><\/script>/);
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i, 'no inline style or handler attributes');
    });

    testOn('embedded', kind)(
      'the static files have their types, the CSP and ETags (304 when unchanged)',
      async () => {
        for (const [path, type] of [
          ['/app.js', /^text\/javascript/],
          ['/style.css', /^text\/css/],
          ['/favicon.svg', /^image\/svg\+xml/],
        ] as const) {
          const res = await fetch(base + path);
          assert.equal(res.status, 200, path);
          assert.match(res.headers.get('content-type') ?? '', type, path);
          assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path);
          const etag = res.headers.get('etag');
          assert.ok(etag, path);
          await res.arrayBuffer();
          const again = await fetch(base + path, { headers: { 'If-None-Match': etag } });
          assert.equal(again.status, 304, path);
        }
        const { request } = await import('node:http');
        const raw = (encoding: string) =>
          new Promise<{ encoding?: string; bytes: number }>((ok, fail) => {
            request(base + '/app.js', { headers: { 'Accept-Encoding': encoding } }, (res) => {
              let bytes = 0;
              res
                .on('data', (chunk: Buffer) => (bytes += chunk.length))
                .on('end', () => ok({ encoding: res.headers['content-encoding'], bytes }))
                .on('error', fail);
            })
              .on('error', fail)
              .end();
          });
        const zipped = await raw('gzip');
        // Brotli is made when first asked for (gzip until then), so ask until it is there.
        let brotli = await raw('gzip, deflate, br');
        for (let i = 0; i < 100 && brotli.encoding !== 'br'; i++) {
          assert.equal(brotli.encoding, 'gzip');
          await new Promise((ok) => setTimeout(ok, 50));
          brotli = await raw('gzip, deflate, br');
        }
        const plain = await raw('identity');
        assert.equal(zipped.encoding, 'gzip');
        assert.equal(brotli.encoding, 'br');
        assert.equal(plain.encoding, undefined);
        assert.ok(zipped.bytes < plain.bytes / 2, `${zipped.bytes} gzipped vs ${plain.bytes}`);
        assert.ok(brotli.bytes < zipped.bytes, `${brotli.bytes} brotli vs ${zipped.bytes} gzip`);
      },
    );

    testOn('embedded', kind)(
      'the page names its files by fingerprint; those are cached for a year, the page is not',
      async () => {
        const html = await (await fetch(base + '/')).text();
        const urls = [...html.matchAll(/(?:src|href)="(\/[\w.-]+\?v=[\w-]+)"/g)].map((m) => m[1]);
        assert.deepEqual(urls.map((u) => u.split('?')[0]).sort(), [
          '/app.js',
          '/favicon.svg',
          '/style.css',
        ]);
        for (const url of urls) {
          const res = await fetch(base + url);
          assert.equal(res.status, 200, url);
          assert.equal(
            res.headers.get('cache-control'),
            'public, max-age=31536000, immutable',
            url,
          );
          // The fingerprint is the content's: the same bytes as the plain URL.
          const plain = await fetch(base + url.split('?')[0]);
          assert.equal(plain.headers.get('cache-control'), 'no-cache', url);
          assert.deepEqual(
            Buffer.from(await res.arrayBuffer()),
            Buffer.from(await plain.arrayBuffer()),
          );
        }
        const stale = await fetch(base + '/app.js?v=old');
        assert.equal(stale.headers.get('cache-control'), 'no-cache');
      },
    );

    test('the API and its errors still answer beside the page', async () => {
      const ok = await getJson('/search?q=' + encodeURIComponent('數位身分證'));
      assert.equal(ok.status, 200);
      assert.ok(ok.body.hits.some((h: any) => h.id === EXAMPLE_ID));
      const missing = await getJson('/no-such-file.js');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    });

    testOn('embedded', kind)('the page files weigh well under 150 KB', async () => {
      let total = 0;
      for (const path of ['/', '/app.js', '/style.css', '/favicon.svg'])
        total += (await (await fetch(base + path)).arrayBuffer()).byteLength;
      assert.ok(total < 150 * 1024, `${total} bytes`);
      assert.ok(existsSync(join(webDir(), 'index.html')));
    });
  });
}

function searchPage(kind: BackendKind): void {
  describe('the search page in Chromium', { skip: HAVE_CHROMIUM ? false : NO_CHROMIUM }, () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let dialogs: string[];
    let problems: string[];

    before(async () => {
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30_000,
        // playwright-core's launch() starts from a fresh temporary profile (its own --user-data-dir).
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      mkdirSync(SCREENSHOTS, { recursive: true });
    });

    after(async () => {
      await browser?.close();
    });

    /** A fresh page at the desktop size; collects dialogs, uncaught errors and CSP violations. */
    async function openPage(viewport = { width: 1280, height: 800 }): Promise<Page> {
      await context?.close();
      context = await browser.newContext({ viewport, locale: 'zh-TW', serviceWorkers: 'block' });
      context.setDefaultTimeout(TIMEOUT);
      context.setDefaultNavigationTimeout(TIMEOUT);
      page = await context.newPage();
      dialogs = [];
      problems = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        dialog.dismiss().catch(() => {});
      });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
          problems.push(`CSP: ${msg.text()}`);
      });
      return page;
    }

    /** Waits until the page has finished rendering a search newer than `after`. */
    async function settled(p: Page, after = -1): Promise<number> {
      await p.waitForFunction(
        (n) =>
          document.body.dataset.state !== 'loading' &&
          Number(document.body.dataset.rendered ?? -1) > n,
        after,
        { timeout: TIMEOUT },
      );
      return Number(await p.evaluate(() => document.body.dataset.rendered));
    }

    const rendered = (p: Page) => p.evaluate(() => Number(document.body.dataset.rendered ?? -1));
    const hitIds = (p: Page) =>
      p
        .locator('#hits > li.hit')
        .evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.id ?? ''));

    async function typeAndSearch(p: Page, text: string): Promise<void> {
      const n = await rendered(p);
      await p.locator('#q').fill('');
      await p.locator('#q').pressSequentially(text, { delay: 20 });
      await p.locator('#q').press('Enter');
      await settled(p, n);
    }

    async function markedTitle(p: Page, id: string): Promise<{ text: string; marks: string[] }> {
      const hit = p.locator(`#hits > li.hit[data-id="${id}"]`);
      await hit.waitFor();
      return hit.locator('.hit-title').evaluate((el) => ({
        text: el.textContent ?? '',
        marks: [...el.querySelectorAll('mark')].map((m) => m.textContent ?? ''),
      }));
    }

    test(
      "a news site's page on an allowed origin calls /search; other origins and writes are refused",
      BROWSER_TEST,
      async () => {
        // Two loopback origins: the site's pages on localhost, the search service on 127.0.0.1.
        const site = express();
        site.get('/', (_req, res) => {
          res.type('html').send('<!doctype html><title>site</title><p>news site</p>');
        });
        const listen = (handler: express.Express, host: string) =>
          new Promise<Server>((ok) => {
            const s = handler.listen(0, host, () => ok(s));
          });
        const allowedSite = await listen(site, '127.0.0.1');
        const otherSite = await listen(site, '127.0.0.1');
        const origin = (s: Server) => `http://localhost:${(s.address() as AddressInfo).port}`;
        let writes = 0;
        const app = createApp(state, createLogger('silent'), {
          corsOrigins: [origin(allowedSite)],
          writeKey: 'k',
        });
        const counting = express();
        counting.use((req, _res, next) => {
          if (req.method === 'PUT' || req.method === 'DELETE') writes++;
          next();
        });
        counting.use(app);
        const service = await listen(counting, '127.0.0.1');
        const api = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
        try {
          const call = (p: Page, init: RequestInit | null) =>
            p.evaluate(
              async ({ url, init }) => {
                try {
                  const res = await fetch(url, init ?? undefined);
                  const body = await res.json();
                  return { ok: true, status: res.status, ids: body.hits?.map((h: any) => h.id) };
                } catch (e) {
                  return { ok: false, error: String(e) };
                }
              },
              { url: `${api}/search?q=${encodeURIComponent('數位身分證')}`, init },
            );
          const p = await openPage();
          await p.goto(origin(allowedSite) + '/');
          const allowed = await call(p, null);
          assert.equal(allowed.ok, true, JSON.stringify(allowed));
          assert.equal(allowed.status, 200);
          assert.ok(allowed.ids.includes(EXAMPLE_ID), JSON.stringify(allowed));
          // A write from the allowed page: its preflight gets no CORS answer, so it is never sent.
          const put = await p.evaluate(async (url) => {
            try {
              await fetch(url, {
                method: 'PUT',
                headers: { Authorization: 'Bearer k', 'Content-Type': 'application/json' },
                body: JSON.stringify({ title: 't', body: 'b' }),
              });
              return 'sent';
            } catch (e) {
              return String(e);
            }
          }, `${api}/documents/from-a-page`);
          assert.match(put, /TypeError/);
          assert.equal(writes, 0);

          await p.goto(origin(otherSite) + '/');
          const refused = await call(p, null);
          assert.equal(refused.ok, false, JSON.stringify(refused));
          assert.match(String(refused.error), /TypeError/);
        } finally {
          for (const s of [allowedSite, otherSite, service]) {
            s.closeAllConnections();
            s.close();
          }
        }
      },
    );

    test(
      'Tab reaches the search box first; the page has labels and a language',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        const res = await p.goto(base + '/');
        assert.equal(res?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
        await settled(p);
        await p.keyboard.press('Tab');
        assert.equal(await p.evaluate(() => document.activeElement?.id), 'q');
        assert.equal(await p.locator('html').getAttribute('lang'), 'zh-Hant');
        assert.equal(await p.locator('#q').getAttribute('role'), 'combobox');
        assert.equal(await p.getByLabel('搜尋新聞').getAttribute('id'), 'q');
        await p.screenshot({ path: shot(kind, 'desktop-home.png') });
        assert.deepEqual(problems, []);
      },
    );

    test(
      'typing 數位身分證 and Enter shows the example post with <mark>ed words',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        await settled(p);
        await typeAndSearch(p, '數位身分證');
        assert.equal(new URL(p.url()).searchParams.get('q'), '數位身分證');
        const title = await markedTitle(p, EXAMPLE_ID);
        assert.ok(title.text.startsWith('新竹市：數位身分證110年1月試辦傾向暫緩'), title.text);
        assert.deepEqual(title.marks, ['數位身分證']);
        const hit = p.locator(`#hits > li.hit[data-id="${EXAMPLE_ID}"]`);
        assert.ok(
          (await hit.locator('.hit-snippet mark').allTextContents()).includes('數位身分證'),
        );
        assert.equal(await hit.locator('.hit-source').textContent(), '(臺)中央社CNA');
        assert.equal(await hit.locator('time').textContent(), '2020-12-25');
        const link = hit.locator('.hit-title a');
        assert.equal(
          await link.getAttribute('href'),
          'https://www.cna.com.tw/news/firstnews/202012250125.aspx',
        );
        assert.equal(await link.getAttribute('target'), '_blank');
        assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
        assert.match(
          (await p.locator('#summary').textContent()) ?? '',
          /^\d+ 筆結果（[\d.]+ 毫秒）/,
        );
        assert.equal(await p.title(), '數位身分證 – 新聞搜尋');
        await p.screenshot({ path: shot(kind, 'desktop-results.png'), fullPage: true });
        assert.deepEqual(problems, []);
      },
    );

    test(
      '数位身分证 (Simplified) finds the same example post, marked in its own script',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        await settled(p);
        await typeAndSearch(p, '数位身分证');
        const title = await markedTitle(p, EXAMPLE_ID);
        assert.deepEqual(title.marks, ['數位身分證']);
        assert.deepEqual(problems, []);
      },
    );

    test(
      '数字身份证 shows the Simplified post and, through 数字身份证 ≡ 數位身分證, the example post',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        await settled(p);
        await typeAndSearch(p, '数字身份证');
        const title = await markedTitle(p, SIMPLIFIED_ID);
        assert.deepEqual(title.marks, ['数字身份证']);
        // The regional equivalent is marked in the article's own words.
        const example = await markedTitle(p, EXAMPLE_ID);
        assert.deepEqual(example.marks, ['數位身分證']);
        assert.deepEqual(problems, []);
      },
    );

    test('page 2 opens from the pager; back and forward work', BROWSER_TEST, async () => {
      const p = await openPage();
      await p.goto(base + '/?q=' + encodeURIComponent('網') + '&size=5');
      await settled(p);
      const first = await hitIds(p);
      assert.equal(first.length, 5);
      assert.match((await p.locator('#summary').textContent()) ?? '', /第 1 頁，共 \d+ 頁/);
      let n = await rendered(p);
      await p.locator('#pager a[aria-label="第 2 頁"]').click();
      n = await settled(p, n);
      const url = new URL(p.url());
      assert.equal(url.searchParams.get('page'), '2');
      assert.equal(url.searchParams.get('size'), '5');
      assert.equal(await p.locator('#pager [aria-current="page"]').textContent(), '2');
      const second = await hitIds(p);
      assert.equal(second.length, 5);
      assert.equal(
        second.filter((id) => first.includes(id)).length,
        0,
        'page 2 holds other articles',
      );
      assert.equal(
        await p.evaluate(() => document.activeElement?.id),
        'results-title',
        'focus moves to the results',
      );

      await p.locator('#pager a[rel="next"]').click();
      n = await settled(p, n);
      assert.equal(new URL(p.url()).searchParams.get('page'), '3');
      await p.goBack();
      n = await settled(p, n);
      assert.equal(new URL(p.url()).searchParams.get('page'), '2');
      assert.deepEqual(await hitIds(p), second);
      await p.goBack();
      n = await settled(p, n);
      assert.deepEqual(await hitIds(p), first);
      await p.goForward();
      await settled(p, n);
      assert.deepEqual(await hitIds(p), second);
      assert.deepEqual(problems, []);
    });

    test('a shared URL reloads to the same results', BROWSER_TEST, async () => {
      const p = await openPage();
      const shared =
        base + '/?' + new URLSearchParams({ q: '網', page: '2', size: '4', sort: 'date' });
      await p.goto(shared);
      await settled(p);
      const ids = await hitIds(p);
      assert.equal(ids.length, 4);
      await p.reload();
      await settled(p);
      assert.deepEqual(await hitIds(p), ids);
      const other = await openPage({ width: 1024, height: 768 });
      await other.goto(shared);
      await settled(other);
      assert.deepEqual(await hitIds(other), ids);
      assert.equal(await other.locator('#q').inputValue(), '網');
      assert.equal(await other.locator('#sort').inputValue(), 'date');
      assert.deepEqual(problems, []);
    });

    test(
      'an article with <script> and <img onerror> in its text shows them as text; no dialog fires',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        await settled(p);
        for (const [query, shown] of [
          ['alert', '<script>alert("xss")</script>'],
          ['onerror', '<img src=x onerror=alert(document.cookie)>'],
          ['跨站腳本', '跨站腳本'],
        ]) {
          await typeAndSearch(p, query);
          const hit = p.locator(`#hits > li.hit[data-id="${XSS_ID}"]`);
          await hit.waitFor();
          const snippet = (await hit.locator('.hit-snippet').textContent()) ?? '';
          assert.ok(snippet.includes(shown), `${query}: ${snippet}`);
          assert.ok(
            (await hit.locator('.hit-snippet mark').allTextContents()).includes(query),
            query,
          );
        }
        // Everything inside the results is text and <mark>s (plus our own link and meta markup).
        const tags = await p
          .locator('#hits .hit-snippet *, #hits .hit-title *')
          .evaluateAll((els) => [...new Set(els.map((e) => e.tagName.toLowerCase()))]);
        assert.deepEqual(
          tags.filter((t) => !['mark', 'a', 'span'].includes(t)),
          [],
        );
        assert.equal(await p.locator('img[src="x"]').count(), 0);
        assert.equal(await p.locator('script').count(), 1, 'only app.js');
        await p.waitForTimeout(300); // an onerror would fire by now
        assert.deepEqual(dialogs, []);
        assert.deepEqual(problems, []);
      },
    );

    testOn('embedded', kind)(
      'mark-only rendering: any other tag in title_html or snippet stays text (stubbed hostile API answer)',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.route('**/search?**', (route) =>
          route.fulfill({
            contentType: 'application/json',
            body: JSON.stringify({
              query: 'x',
              total: 1,
              page: 1,
              size: 10,
              took_ms: 0.1,
              hits: [
                {
                  id: 'evil',
                  title: 't',
                  url: 'javascript:alert(1)',
                  source: '<b>src</b>',
                  date: '2021-01-01T00:00:00Z',
                  tags: ['<i>t</i>'],
                  categories: [],
                  score: 1,
                  title_html:
                    '<img src=x onerror=alert(1)><mark>x</mark><mark class="a">y</mark>&lt;b&gt;</mark>',
                  snippet:
                    '<script>alert(2)</script><mark><mark>z</mark></mark><svg onload=alert(3)>&#x3c;img src=x onerror=alert(4)&#62;&bogus;',
                },
              ],
            }),
          }),
        );
        await p.goto(base + '/?q=x');
        await settled(p);
        const hit = p.locator('#hits > li.hit[data-id="evil"]');
        assert.equal(
          await hit
            .locator('.hit-title')
            .evaluate((el) => el.querySelectorAll('*:not(mark):not(span)').length),
          0,
          'no link for a javascript: URL',
        );
        assert.deepEqual(await hit.locator('.hit-title mark').allTextContents(), ['x']);
        assert.equal(
          await hit.locator('.hit-title').textContent(),
          '<img src=x onerror=alert(1)>x<mark class="a">y<b>',
        );
        assert.deepEqual(
          await hit.locator('.hit-snippet mark').allTextContents(),
          ['z'],
          'a nested <mark> is dropped',
        );
        assert.equal(
          await hit.locator('.hit-snippet').textContent(),
          '<script>alert(2)</script>z<svg onload=alert(3)><img src=x onerror=alert(4)>&bogus;',
        );
        assert.equal(await hit.locator('.hit-source').textContent(), '<b>src</b>');
        assert.equal(
          await p.locator('img[src="x"], svg[onload], #hits script, #hits b, #hits i').count(),
          0,
        );
        await p.waitForTimeout(300);
        assert.deepEqual(dialogs, []);
        assert.deepEqual(problems, []);
      },
    );

    test(
      'while the index loads (503) the page says so and retries by itself',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        let calls = 0;
        await p.route('**/search?**', (route) => {
          calls++;
          if (calls === 1)
            return route.fulfill({
              status: 503,
              json: {
                error: { code: 'not_ready', message: 'the index is still loading; retry shortly' },
              },
            });
          return route.fallback();
        });
        await p.goto(base + '/?q=' + encodeURIComponent('數位身分證'));
        await p.locator('#message', { hasText: '正在載入索引' }).waitFor();
        await p.locator(`#hits > li.hit[data-id="${EXAMPLE_ID}"]`).waitFor();
        assert.equal(await p.locator('#message').isHidden(), true);
        assert.deepEqual(problems, []);
      },
    );

    testOn('embedded', kind)(
      'typing through an input method asks for suggestions only for the composed text',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        const asked: string[] = [];
        await p.route('**/suggest?**', (route) => {
          const q = new URL(route.request().url()).searchParams.get('q') ?? '';
          asked.push(q);
          route.fulfill({ json: { query: q, suggestions: [{ text: q + '試辦' }] } });
        });
        await p.goto(base + '/');
        await settled(p);
        await p.locator('#q').focus();
        const cdp = await context.newCDPSession(p);
        for (const text of ['s', 'sh', 'shu', 'shuw', 'shuwe', 'shuwei']) {
          await cdp.send('Input.imeSetComposition', {
            text,
            selectionStart: text.length,
            selectionEnd: text.length,
          });
          await p.waitForTimeout(60);
        }
        await p.keyboard.press('ArrowDown'); // belongs to the input method while composing
        await p.waitForTimeout(400);
        assert.deepEqual(asked, [], 'no suggestion request during the composition');
        await cdp.send('Input.insertText', { text: '數位' });
        await p.locator('#suggestions [role="option"]').first().waitFor();
        assert.deepEqual(asked, ['數位']);
        assert.equal(await p.locator('#q').inputValue(), '數位');
        assert.deepEqual(problems, []);
      },
    );

    test('apply a filter from the facets (outlet), then a date range', BROWSER_TEST, async () => {
      const p = await openPage();
      await p.goto(base + '/?q=' + encodeURIComponent('網'));
      let n = await settled(p);
      assert.equal(await p.locator('#filters').isVisible(), true);
      const first = p.locator('#facet-source a.facet-link').first();
      const name = (await first.locator('.facet-name').textContent()) ?? '';
      const count = Number(await first.locator('.facet-count').textContent());
      await first.click();
      n = await settled(p, n);
      assert.equal(new URL(p.url()).searchParams.get('source'), name);
      assert.match(
        (await p.locator('#summary').textContent()) ?? '',
        new RegExp(`^${count} 筆結果`),
      );
      const sources = await p.locator('#hits .hit-source').allTextContents();
      assert.ok(sources.length > 0 && sources.every((s) => s === name), sources.join());
      assert.equal(await p.locator('#active-filters .chip').count(), 1);
      await p.screenshot({ path: shot(kind, 'desktop-filtered.png'), fullPage: true });

      await p.locator('#date-from').fill('2021-01-01');
      await p.locator('#date-to').fill('2021-03-31');
      await p.locator('#date-form button[type="submit"]').click();
      n = await settled(p, n);
      const url = new URL(p.url());
      assert.equal(url.searchParams.get('from'), '2021-01-01');
      assert.equal(url.searchParams.get('to'), '2021-03-31');
      for (const day of await p.locator('#hits time').allTextContents())
        assert.ok(day >= '2021-01-01' && day <= '2021-03-31', day);
      assert.deepEqual(problems, []);
    });

    test('a timeline bar filters to its month', BROWSER_TEST, async () => {
      const p = await openPage();
      await p.goto(base + '/?q=' + encodeURIComponent('網'));
      let n = await settled(p);
      const bar = p.locator('#timeline a.tl-bar').first();
      assert.ok((await p.locator('#timeline a.tl-bar').count()) > 1);
      await bar.click();
      n = await settled(p, n);
      const url = new URL(p.url());
      const from = url.searchParams.get('from') ?? '';
      const to = url.searchParams.get('to') ?? '';
      assert.match(from, /^\d{4}-\d{2}-01$/);
      assert.equal(to.slice(0, 7), from.slice(0, 7));
      for (const day of await p.locator('#hits time').allTextContents())
        assert.equal(day.slice(0, 7), from.slice(0, 7));
      assert.equal(await p.locator('#timeline a.tl-bar.active').count(), 1);
      assert.deepEqual(problems, []);
    });

    test(
      'facets, timeline and filters render from a stubbed API answer (page-side check)',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        const requests: URLSearchParams[] = [];
        await p.route('**/search?**', async (route) => {
          const url = new URL(route.request().url());
          requests.push(url.searchParams);
          const res = await route.fetch();
          const body = await res.json();
          body.facets = {
            source: [
              { value: '(臺)範例新聞網', count: 7 },
              { value: '(港)範例日報', count: 5 },
              { value: '(中)范例新闻网', count: 4 },
              { value: '(臺)中央社CNA', count: 1 },
            ],
            tag: [
              { value: '(臺)範例新聞網', count: 7 },
              { value: '資安', count: 3 },
            ],
            month: [
              { value: '2020-10', count: 3 },
              { value: '2020-11', count: 2 },
              { value: '2020-12', count: 2 },
              { value: '2021-01', count: 1 },
              { value: '2021-02', count: 3 },
              { value: '2021-04', count: 3 },
              { value: '2021-05', count: 1 },
              { value: '2021-06', count: 2 },
            ],
          };
          await route.fulfill({ response: res, json: body });
        });
        await p.goto(base + '/?q=' + encodeURIComponent('網'));
        let n = await settled(p);
        assert.equal(requests[0].get('facets'), 'source,tag,month');
        assert.equal(await p.locator('#facet-source a.facet-link').count(), 4);
        assert.equal(
          await p.locator('#timeline a.tl-bar').count(),
          8,
          'one link per month with articles',
        );
        assert.equal(
          await p.locator('#timeline .tl-bar').count(),
          9,
          'the empty month 2021-03 is drawn too',
        );
        await p.screenshot({
          path: shot(kind, 'desktop-facets-stubbed.png'),
          fullPage: true,
        });

        await p.locator('#facet-source a.facet-link', { hasText: '(港)範例日報' }).click();
        n = await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('source'), '(港)範例日報');
        assert.equal(requests.at(-1)?.get('source'), '(港)範例日報');
        assert.equal(
          await p.locator('#facet-source a[aria-current="true"] .facet-name').textContent(),
          '(港)範例日報',
        );

        await p.locator('#timeline a.tl-bar[aria-label^="2020 年 12 月"]').click();
        n = await settled(p, n);
        let url = new URL(p.url());
        assert.equal(url.searchParams.get('from'), '2020-12-01');
        assert.equal(url.searchParams.get('to'), '2020-12-31');
        assert.equal(url.searchParams.get('source'), '(港)範例日報');
        assert.equal(await p.locator('#date-from').inputValue(), '2020-12-01');
        assert.equal(
          await p.locator('#timeline a.tl-bar.active').getAttribute('aria-label'),
          '2020 年 12 月：2 篇',
        );
        assert.equal(await p.locator('#active-filters .chip').count(), 2);

        await p.locator('#timeline a.tl-bar[aria-label^="2021 年 2 月"]').click();
        n = await settled(p, n);
        url = new URL(p.url());
        assert.equal(url.searchParams.get('to'), '2021-02-28');

        await p.locator('#sort').selectOption('date');
        n = await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('sort'), 'date');
        assert.equal(requests.at(-1)?.get('sort'), 'date');

        await p.locator('#active-filters a.chip-clear').click();
        n = await settled(p, n);
        url = new URL(p.url());
        assert.deepEqual([...url.searchParams.keys()].sort(), ['q', 'sort']);
        await p.setViewportSize({ width: 390, height: 844 });
        await p.waitForTimeout(200);
        await p.screenshot({ path: shot(kind, 'phone-facets-stubbed.png'), fullPage: true });
        assert.deepEqual(problems, []);
      },
    );

    test(
      'the 繁/简 toggle re-requests with script= and puts it in the URL',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/?q=' + encodeURIComponent('數位身分證'));
        const n = await settled(p);
        const request = p.waitForRequest(
          (r) =>
            r.url().includes('/search?') && new URL(r.url()).searchParams.get('script') === 'hans',
        );
        await p.locator('label[for="script-hans"]').click();
        await request;
        await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('script'), 'hans');
        assert.equal(await p.locator('html').getAttribute('lang'), 'zh-Hans');
        assert.equal(await p.locator('label[for="q"]').textContent(), '搜索新闻');
        assert.equal(await p.locator('#script-hans').isChecked(), true);
        assert.deepEqual(problems, []);
      },
    );

    test('the page takes its limits from the published API description', BROWSER_TEST, async () => {
      const p = await openPage();
      // The real limits first: page × size over 10,000 falls back to page 1, never a 400.
      const asked: URL[] = [];
      p.on('request', (r) => {
        if (r.url().includes('/search?')) asked.push(new URL(r.url()));
      });
      await p.goto(`${base}/?q=${encodeURIComponent('網')}&size=100&page=150`);
      await settled(p);
      assert.deepEqual(
        [asked[0].searchParams.get('page'), asked[0].searchParams.get('size')],
        ['1', '100'],
      );
      assert.equal(await p.locator('#q').getAttribute('maxlength'), '500');
      // Other limits in /openapi.json: the page follows them, not a copy of its own.
      await p.route('**/openapi.json', async (route) => {
        const res = await route.fetch();
        const api = await res.json();
        api['x-limits'] = { ...api['x-limits'], maxWindow: 40, maxSize: 20, maxQueryLength: 3 };
        await route.fulfill({ response: res, json: api });
      });
      asked.length = 0;
      await p.goto(`${base}/?q=${encodeURIComponent('數位身分證')}&size=50&page=4`);
      await settled(p);
      const q = asked[0].searchParams;
      assert.deepEqual([q.get('q'), q.get('size'), q.get('page')], ['數位身', '10', '4']);
      assert.equal(await p.locator('#q').getAttribute('maxlength'), '3');
      asked.length = 0;
      await p.goto(`${base}/?q=${encodeURIComponent('網')}&page=5`);
      await settled(p);
      assert.equal(asked[0].searchParams.get('page'), '1', 'page × size over 40');
      assert.deepEqual(problems, []);
    });

    test('the 繁/简 toggle shows results converted', BROWSER_TEST, async () => {
      const p = await openPage();
      await p.goto(base + '/?q=' + encodeURIComponent('數位身分證'));
      let n = await settled(p);
      await p.locator('label[for="script-hans"]').click();
      n = await settled(p, n);
      let title = await markedTitle(p, EXAMPLE_ID);
      assert.ok(title.text.startsWith('新竹市：数位身分证110年1月试办倾向暂缓'), title.text);
      assert.deepEqual(title.marks, ['数位身分证']);

      await typeAndSearch(p, '数字身份证');
      assert.equal(
        new URL(p.url()).searchParams.get('script'),
        'hans',
        'a new search keeps the script',
      );
      n = await rendered(p);
      await p.locator('label[for="script-hant"]').click();
      n = await settled(p, n);
      title = await markedTitle(p, SIMPLIFIED_ID);
      assert.ok(title.text.startsWith('多地試點數字身份證'), title.text);
      assert.deepEqual(title.marks, ['數字身份證']);
      assert.equal(await p.locator('html').getAttribute('lang'), 'zh-Hant');

      await p.reload();
      n = await settled(p);
      assert.equal(await p.locator('#script-hant').isChecked(), true);
      assert.ok((await markedTitle(p, SIMPLIFIED_ID)).text.startsWith('多地試點數字身份證'));
      await p.screenshot({ path: shot(kind, 'desktop-traditional.png'), fullPage: true });

      await p.locator('label[for="script-orig"]').click();
      await settled(p, n);
      assert.equal(new URL(p.url()).searchParams.get('script'), null);
      assert.ok((await markedTitle(p, SIMPLIFIED_ID)).text.startsWith('多地试点数字身份证'));
      assert.deepEqual(problems, []);
    });

    test(
      'suggestions: arrow keys, Enter and Escape (stubbed /suggest), and none when /suggest is missing',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.route('**/suggest?**', (route) => {
          const q = new URL(route.request().url()).searchParams.get('q') ?? '';
          route.fulfill({
            json: {
              query: q,
              suggestions: [
                { text: q + '試辦' },
                { text: q + '<img src=x onerror=alert(1)>' },
                { text: q },
              ],
            },
          });
        });
        await p.goto(base + '/');
        let n = await settled(p);
        const box = p.locator('#q');
        await box.pressSequentially('數位身分證', { delay: 20 });
        const options = p.locator('#suggestions [role="option"]');
        await options.first().waitFor();
        assert.equal(await box.getAttribute('aria-expanded'), 'true');
        assert.equal(await options.count(), 3);
        assert.equal(await options.nth(1).textContent(), '數位身分證<img src=x onerror=alert(1)>');
        await box.press('ArrowDown');
        await box.press('ArrowDown');
        await box.press('ArrowUp');
        assert.equal(await box.getAttribute('aria-activedescendant'), 'suggestion-0');
        assert.equal(await options.nth(0).getAttribute('aria-selected'), 'true');
        await box.press('Escape');
        assert.equal(await p.locator('#suggestions').isHidden(), true);
        assert.equal(await box.getAttribute('aria-expanded'), 'false');
        assert.equal(
          await box.inputValue(),
          '數位身分證',
          'Escape with the list open keeps the text',
        );
        await box.press('End');
        await box.press('Backspace');
        await box.pressSequentially('證', { delay: 20 });
        await p.waitForFunction(
          () =>
            document.querySelector('#suggestions [role="option"]')?.textContent ===
            '數位身分證試辦',
        );
        await box.press('ArrowDown');
        await box.press('Enter');
        n = await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('q'), '數位身分證試辦');
        assert.equal(await box.inputValue(), '數位身分證試辦');
        assert.equal(await p.locator('img[src="x"]').count(), 0);

        // A server without /suggest (404): the list never opens and nothing breaks.
        await p.unroute('**/suggest?**');
        await p.route('**/suggest?**', (route) =>
          route.fulfill({
            status: 404,
            json: { error: { code: 'not_found', message: 'no route for GET /suggest' } },
          }),
        );
        await box.fill('');
        await box.pressSequentially('數位', { delay: 20 });
        await p.waitForTimeout(500);
        assert.equal(await p.locator('#suggestions').isHidden(), true);
        await box.press('Enter');
        await settled(p, n);
        assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
        assert.deepEqual(dialogs, []);
        assert.deepEqual(problems, []);
      },
    );

    test('suggestions from the real /suggest', BROWSER_TEST, async () => {
      const p = await openPage();
      await p.goto(base + '/');
      const n = await settled(p);
      await p.locator('#q').pressSequentially('數位', { delay: 20 });
      const options = p.locator('#suggestions [role="option"]');
      await options.first().waitFor();
      const first = (await options.first().textContent()) ?? '';
      assert.ok(first.length > 0);
      await p.locator('#q').press('ArrowDown');
      await p.locator('#q').press('Enter');
      await settled(p, n);
      assert.equal(new URL(p.url()).searchParams.get('q'), first);
      assert.deepEqual(problems, []);
    });

    test(
      'pinyin typed shows completions in characters, with their reading',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        const n = await settled(p);
        const asked: string[] = [];
        p.on('request', (r) => {
          if (r.url().includes('/suggest?')) asked.push(r.url());
        });
        await p.locator('#q').pressSequentially('swsfz', { delay: 20 });
        const options = p.locator('#suggestions [role="option"]');
        await options.first().waitFor();
        // The page's script (繁 by default) goes with the request: pinyin has none of its own.
        assert.equal(new URL(asked[asked.length - 1]).searchParams.get('script'), 'hant');
        const first = options.first();
        assert.equal(
          await first.locator('.suggestion-pinyin').textContent(),
          'shu wei shen fen zheng',
        );
        assert.match((await first.textContent()) ?? '', /^數位身分證/);
        await p.locator('#q').press('ArrowDown');
        await p.locator('#q').press('Enter');
        await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('q'), '數位身分證');
        assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
        // On the 简 page, completions of pinyin come in Simplified.
        await p.goto(base + '/?script=hans');
        await settled(p);
        await p.locator('#q').pressSequentially('shuwei', { delay: 20 });
        await p.waitForFunction(() =>
          [...document.querySelectorAll('#suggestions [role="option"]')].some((o) =>
            o.textContent?.startsWith('数位身分证'),
          ),
        );
        assert.deepEqual(problems, []);
      },
    );

    test(
      '「您是不是要找」: a homophone typo shows the corrected results, a link to search as typed, and the suggestion there',
      BROWSER_TEST,
      async () => {
        const p = await openPage();
        await p.goto(base + '/');
        await settled(p);
        await typeAndSearch(p, '數位身分正');
        const box = p.locator('#correction');
        assert.equal(await box.isVisible(), true);
        assert.match((await box.locator('.correction-showing').textContent()) ?? '', /數位身分證/);
        assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
        await p.screenshot({ path: shot(kind, 'did-you-mean-corrected.png') });
        // "Search instead for" the query as typed: no hits, and the suggestion as a link.
        let n = await rendered(p);
        await box.locator('.correction-instead a').click();
        await settled(p, n);
        assert.equal(new URL(p.url()).searchParams.get('correct'), 'false');
        assert.deepEqual(await hitIds(p), []);
        const meant = box.locator('.correction-meant');
        assert.equal(await meant.textContent(), '您是不是要找：數位身分證');
        await p.screenshot({ path: shot(kind, 'did-you-mean-link.png') });
        n = await rendered(p);
        await meant.locator('a').click();
        await settled(p, n);
        const url = new URL(p.url());
        assert.equal(url.searchParams.get('q'), '數位身分證');
        assert.equal(url.searchParams.get('correct'), null);
        assert.equal(await box.isHidden(), true);
        assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
        // A whole-pinyin query is searched as characters, and says so.
        await typeAndSearch(p, 'shuweishenfenzheng');
        assert.match((await box.locator('.correction-showing').textContent()) ?? '', /数位身分证/);
        assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
        assert.deepEqual(problems, []);
      },
    );

    test('readable on a phone (390×844): no sideways scrolling', BROWSER_TEST, async () => {
      const p = await openPage({ width: 390, height: 844 });
      await p.goto(base + '/');
      await settled(p);
      await p.screenshot({ path: shot(kind, 'phone-home.png') });
      await p.goto(base + '/?q=' + encodeURIComponent('數位身分證'));
      await settled(p);
      assert.ok((await hitIds(p)).includes(EXAMPLE_ID));
      const widths = await p.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      assert.ok(widths.scroll <= widths.client, JSON.stringify(widths));
      const fontSize = await p
        .locator('.hit-snippet')
        .first()
        .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(fontSize >= 15, `snippet font ${fontSize}px`);
      await p.screenshot({ path: shot(kind, 'phone-results.png'), fullPage: true });
      await p.goto(base + '/?q=' + encodeURIComponent('網') + '&size=5&page=2');
      await settled(p);
      const pager = await p.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
      }));
      assert.ok(pager.scroll <= pager.client, JSON.stringify(pager));
      assert.deepEqual(problems, []);
    });

    test('the first load transfers under 150 KB', BROWSER_TEST, async (t) => {
      const p = await openPage();
      const cdp = await context.newCDPSession(p);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      const bytes = new Map<string, number>();
      const urls = new Map<string, string>();
      cdp.on('Network.requestWillBeSent', (e) => {
        if (e.request.url.startsWith('http')) urls.set(e.requestId, e.request.url);
      });
      cdp.on('Network.loadingFinished', (e) => {
        if (urls.has(e.requestId)) bytes.set(e.requestId, e.encodedDataLength);
      });
      await p.goto(base + '/');
      await settled(p);
      await p.waitForLoadState('networkidle');
      const empty = [...bytes.values()].reduce((a, b) => a + b, 0);
      bytes.clear();
      await p.goto(base + '/?q=' + encodeURIComponent('數位身分證'));
      await settled(p);
      await p.waitForLoadState('networkidle');
      const withSearch = [...bytes.values()].reduce((a, b) => a + b, 0);
      const files = [...bytes.keys()].map((id) => new URL(urls.get(id) ?? base).pathname).sort();
      t.diagnostic(
        `first load: ${empty} bytes (page only), ${withSearch} bytes with a search (${files.join(' ')})`,
      );
      assert.ok(empty < 150 * 1024, `${empty} bytes`);
      assert.ok(withSearch < 150 * 1024, `${withSearch} bytes`);
    });
  });
}
