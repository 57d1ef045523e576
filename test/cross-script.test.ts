/**
 * Cross-script folding (src/analysis/normalize.ts, contextualFolds in opencc-tables.ts): a
 * character that is valid Simplified and that tw → cn converts by context (著 kept in 顯著, 着
 * alone) gets one match key, so a phrase's Traditional and Simplified forms normalize alike, in
 * any context, and a search in either script finds the same posts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Converter, Locale } from 'opencc-js';
import { normalize, codePointLength } from '../src/analysis/normalize.js';
import { contextualFolds, taiwanToSimplified } from '../src/analysis/opencc-tables.js';
import { listPosts } from '../src/ingest/files.js';
import { readPost } from '../src/ingest/post.js';
import { search } from '../src/search/searcher.js';
import { isSimplifiedForm } from '../src/index/vocabulary.js';
import { SHARED, tinyIndex } from './helpers.js';

/** opencc-js's own converters: the Simplified form of a Traditional phrase, and back. */
const toSimplified = Converter({ from: 'tw', to: 'cn' });
const toTraditional = Converter({ from: 'cn', to: 'tw' });
const folds = contextualFolds(taiwanToSimplified());
/** Every character with a match key other than itself, and every key. */
const folded = new Set([...folds.keys(), ...folds.values()]);

type Config = { segmentation: string[]; conversionChain: string[][] };
const configs = Locale.configs as unknown as Record<string, Config>;

/** Keys longer than one character of the dictionaries of an opencc-js config. */
function phrases(name: string): string[] {
  const c = configs[name];
  const keys = new Set<string>();
  for (const d of [...(c.segmentation ?? []), ...c.conversionChain.flat()])
    for (const entry of d.split('|')) {
      const key = entry.split(' ')[0];
      if (codePointLength(key) > 1) keys.add(key);
    }
  return [...keys];
}

const hasFolded = (s: string) => Array.from(s).some((c) => folded.has(c));

test('the characters tw → cn converts by context are found in opencc-js, each with one key', () => {
  // The examples that opencc-js converts by context, and the groups they join.
  for (const [c, key] of [
    ['著', '着'],
    ['乾', '干'],
    ['瞭', '了'],
    ['藉', '借'],
    ['徵', '征'],
    ['於', '于'],
    ['幺', '么'],
  ])
    assert.equal(folds.get(c), key, c);
  // Keys are themselves unfolded, one code point each: offsets stay put.
  for (const [c, key] of folds) {
    assert.equal(folds.has(key), false, `${c} → ${key} → ${folds.get(key)}`);
    assert.equal(codePointLength(c) === 1 && codePointLength(key) === 1, true, c + key);
  }
  // Characters tw → cn changes by context but never keeps are not valid Simplified: no key
  // (畫 is 画 or 划, and 画 and 划 stay apart); nor is 夥, which opencc-js 1.4 converts alike
  // everywhere (伙).
  for (const c of ['画', '划', '畫', '夥', '伙']) assert.equal(folds.has(c), false, c);
});

test('every dictionary phrase holding such a character: Traditional and Simplified forms match', () => {
  let checked = 0;
  const failures: string[] = [];
  for (const trad of phrases('tw2s')) {
    const simp = toSimplified(trad);
    if (!hasFolded(trad) && !hasFolded(simp)) continue;
    checked++;
    // alone, in a sentence, and each character of it alone (a substring converts the same)
    const t = normalize(trad);
    if (t !== normalize(simp) || normalize(`我說${trad}了`) !== normalize(`我说${simp}了`))
      failures.push(`${trad} → ${t}, ${simp} → ${normalize(simp)}`);
    const chars = Array.from(t);
    Array.from(trad).forEach((c, i) => {
      if (folded.has(c) || folded.has(chars[i])) {
        if (normalize(c) !== chars[i]) failures.push(`${trad}: ${c} alone → ${normalize(c)}`);
      }
    });
  }
  assert.ok(checked > 300, `only ${checked} phrases hold a folded character`);
  assert.deepEqual(failures.slice(0, 10), []);
});

test('every Simplified dictionary phrase holding such a character meets its Traditional form there', () => {
  // s2t phrases may differ in wording as well (想象 / 想像, a lexical choice no fold makes
  // equal), so compare the positions of the folded characters.
  let checked = 0;
  const failures: string[] = [];
  for (const simp of phrases('s2t')) {
    if (!hasFolded(simp)) continue;
    const trad = toTraditional(simp);
    const a = Array.from(normalize(simp));
    const b = Array.from(normalize(trad));
    if (a.length !== b.length) continue;
    checked++;
    Array.from(simp).forEach((c, i) => {
      if (folded.has(c) && a[i] !== b[i])
        failures.push(`${simp} → ${a.join('')}, ${trad} → ${b.join('')}`);
    });
  }
  assert.ok(checked > 1000, `only ${checked} phrases`);
  assert.deepEqual(failures.slice(0, 10), []);
});

test('a title written in Simplified still counts as Simplified for suggestions', () => {
  // 沈 (a surname) folds to 沉: the Simplified surface keeps its script, the Traditional its own.
  for (const [surface, simplified] of [
    ['沈荣津', true],
    ['沈榮津', false],
    ['显著', true],
    ['顯著', false],
  ] as const)
    assert.equal(isSimplifiedForm(surface, normalize(surface)), simplified, surface);
});

const CORPUS = ['cna-rti', 'oped'].map((f) => join(SHARED, 'corpus', f));
const skip = CORPUS.every((f) => existsSync(f))
  ? false
  : `skipped: ${CORPUS[0]} not found (../shared is not beside the repo)`;

test('显著 and 顯著 find the same posts of the corpus: every post holding either', {
  skip,
}, async () => {
  // The posts whose file mentions either form (UTF-8), indexed as they read.
  const forms = ['顯著', '显著'].map((s) => Buffer.from(s));
  const docs: { id: string; title: string; body: string }[] = [];
  for (const folder of CORPUS)
    for (const ref of await listPosts(folder)) {
      const raw = readFileSync(ref.file);
      if (!forms.some((f) => raw.includes(f))) continue;
      const { article } = readPost(raw, ref.file, ref.id);
      docs.push({ id: article.id, title: article.title, body: article.body });
    }
  const holding = (form: string) =>
    docs.filter((d) => d.title.includes(form) || d.body.includes(form)).map((d) => d.id);
  assert.ok(holding('顯著').length > 100 && holding('显著').length > 50, `${docs.length} posts`);
  const index = tinyIndex(docs);
  const found = (q: string) => {
    const r = search(index, { q, page: 1, size: 1000 });
    return { total: r.total, ids: new Set(r.hits.map((h) => h.id)) };
  };
  const simplified = found('显著');
  const traditional = found('顯著');
  assert.equal(simplified.total, traditional.total);
  for (const id of [...holding('顯著'), ...holding('显著')]) {
    assert.ok(simplified.ids.has(id), `显著 misses ${id}`);
    assert.ok(traditional.ids.has(id), `顯著 misses ${id}`);
  }
  // The example: a Traditional article found by its phrase typed in Simplified.
  const article = found('顯著浪高為');
  assert.equal(article.total, 1);
  assert.deepEqual(found('显著浪高为').ids, article.ids);
});
