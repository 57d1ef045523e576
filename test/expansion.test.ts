/**
 * Query-time expansion through the cross-strait table (src/search/expansion.ts): which query
 * parts get equivalents, what they read, what `matched_via` says, and what is never expanded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equivalents } from '../src/search/expansion.js';
import { analyzeQuery } from '../src/analysis/analyzer.js';
import { normalize } from '../src/analysis/normalize.js';
import { TERM_GROUPS } from '../src/analysis/regional-terms.js';

/** The equivalents of a one-part query: normalized text → what was bridged. */
function expand(q: string): Map<string, { via: string[]; whole: boolean }> {
  const parts = analyzeQuery(q);
  assert.equal(parts.length, 1, q);
  return new Map(equivalents(parts[0]).map((e) => [e.text, { via: e.via, whole: e.whole }]));
}

test('a listed word gets its equivalents, normalized, with what was bridged as written', () => {
  assert.deepEqual(expand('软件'), new Map([['软体', { via: ['软件 ≡ 軟體'], whole: true }]]));
  assert.deepEqual(expand('軟體'), new Map([['软件', { via: ['軟體 ≡ 软件'], whole: true }]]));
  assert.deepEqual(expand('川普').get('特朗普')?.via, ['川普 ≡ 特朗普']);
  // Every other form of the group, Hong Kong's too: 数字身份证 ≡ 數位身分證 ≡ 數碼身份證.
  assert.deepEqual([...expand('数字身份证').keys()].sort(), ['数位身分证', '数码身份证']);
});

test('an equivalent of part of a word is a partial match; the rest of the word is kept', () => {
  const e = expand('软件公司');
  assert.deepEqual(e, new Map([['软体公司', { via: ['软件 ≡ 軟體'], whole: false }]]));
  // Two listed words in one part: every combination, each saying what it bridged.
  const both = expand('软件服务器');
  assert.ok(both.has('软体伺服器'), [...both.keys()].join());
  assert.deepEqual(both.get('软体伺服器')?.via, ['软件 ≡ 軟體', '服务器 ≡ 伺服器']);
  assert.ok([...both.values()].every((v) => v.whole));
});

test('sense-restricted and unlisted words are not expanded', () => {
  for (const q of ['数字', '质量', '天氣', '新竹市']) assert.deepEqual(expand(q), new Map(), q);
  // 数字 is expanded only inside a listed compound.
  assert.ok(expand('数字化').size > 0);
});

test('a name written with an interpunct is a form when typed without it, never doubled', () => {
  // 比尔·盖茨 ≡ 盖茨 ≡ 比爾蓋茲 ≡ 蓋茲: the whole name typed matches as one form, so its tail
  // 盖茨 is not replaced inside it (which gave 比尔 + 比爾蓋茲).
  assert.deepEqual([...expand('比尔盖茨').keys()].sort(), ['比尔盖兹', '盖兹', '盖茨']);
  assert.deepEqual(expand('比尔盖茨').get('比尔盖兹')?.via, ['比尔·盖茨 ≡ 比爾蓋茲']);
  assert.ok(expand('盖茨').has('比尔盖茨'));
});

test('every group of the table expands each of its forms to the others', () => {
  let checked = 0;
  for (const g of TERM_GROUPS) {
    const forms = [...new Set([...g.cn, ...g.tw, ...g.hk].map((f) => f.replaceAll('·', '')))];
    const normalized = new Set(forms.map(normalize));
    if (normalized.size < 2) continue;
    for (const f of forms) {
      const parts = analyzeQuery(f);
      if (parts.length !== 1) continue; // e.g. a form with a digit and a letter run
      const got = new Set(equivalents(parts[0]).map((e) => e.text));
      for (const other of normalized)
        if (other !== normalize(f))
          assert.ok(got.has(other), `${f} → ${other} (got ${[...got].join(', ')})`);
      checked++;
    }
  }
  assert.ok(checked > 1_000, `${checked} forms checked`);
});
