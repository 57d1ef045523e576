/**
 * Property-based (fast-check): random query strings and parameters thrown at the real app over
 * the seeds, on the embedded index and
 * on PostgreSQL. Whatever comes in, the answer is never a 5xx and every error has the
 * documented shape {"error": {"code", "message"}}.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { searchQuery } from '../src/api.js';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { BACKENDS, closeBackends, seedsState, skipOf } from './backends.js';

/** Text a user (or an attacker) might type: Chinese, query syntax, punctuation, odd code points. */
const queryText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '數位',
        '身分證',
        '数字',
        '網',
        '"',
        '-',
        'OR',
        '|',
        '(',
        ')',
        'source:',
        'tag:',
        '*',
        ' ',
        '　',
        '\u0000',
        '😀',
        '%',
        '&',
        '<script>',
        'a'.repeat(120),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);
const paramValue = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '10', '100', '101', '1.5', '1e3', 'abc', 'true', 'date'),
  fc.string({ maxLength: 12 }),
);
// Every documented /search parameter (the schema the API is validated with), and an unknown one.
const paramName = fc.constantFrom(...Object.keys(searchQuery.shape), 'other');
const route = fc.constantFrom('/search', '/suggest', '/documents/x/related');

after(closeBackends);

for (const kind of BACKENDS)
  describe(kind, { skip: skipOf(kind) }, () => {
    let server: Server;
    let base: string;
    before(async () => {
      server = createApp(await seedsState(kind), createLogger('silent'), {
        searchTimeoutMs: 1000,
        corsOrigins: ['http://localhost:8080'],
      }).listen(0, '127.0.0.1');
      await new Promise((ok) => server.once('listening', ok));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    test('random queries and parameters: never a 5xx, every error in the documented shape', async () => {
      let answered = 0;
      let ok = 0;
      await fc.assert(
        fc.asyncProperty(
          route,
          queryText,
          fc.array(fc.tuple(paramName, paramValue), { maxLength: 6 }),
          async (path, q, params) => {
            const search = new URLSearchParams([['q', q], ...params]);
            const res = await fetch(`${base}${path}?${search}`);
            const text = await res.text();
            answered++;
            assert.ok(res.status < 500, `${res.status} for ${path}?${search}: ${text}`);
            const body = JSON.parse(text);
            if (res.status >= 400) {
              assert.deepEqual(Object.keys(body), ['error'], text);
              assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], text);
              assert.equal(typeof body.error.code, 'string');
              assert.ok(body.error.message.length > 0);
            } else ok++;
          },
        ),
        { numRuns: 400 },
      );
      // The generators reach both sides: answers and refusals.
      assert.equal(answered, 400);
      assert.ok(ok > 20 && ok < 380, `${ok} of 400 answered 200`);
    });

    test('random raw paths and percent-encodings: never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/search?q=', '/suggest?q=', '/documents/', '/documents/a/'),
          fc.array(
            fc.oneof(
              fc.constantFrom('%', '%2', '%zz', '%E6%95', '%00', '..', '/', '%2F', '?', '&', '='),
              fc.string({ maxLength: 4 }).map(encodeURIComponent),
            ),
            { maxLength: 8 },
          ),
          async (prefix, parts) => {
            const res = await fetch(base + prefix + parts.join(''));
            const text = await res.text();
            assert.ok(res.status < 500, `${res.status} for ${prefix}${parts.join('')}: ${text}`);
            if (res.status >= 400) assert.equal(typeof JSON.parse(text).error.code, 'string');
          },
        ),
        { numRuns: 300 },
      );
    });
  });
