/**
 * Our OpenCC loop (src/analysis/opencc-tables.ts) must give exactly what opencc-js's own
 * converter gives, Traditional → Simplified (matching, display) and Simplified → Traditional
 * (display): on every dictionary entry in context, on edge cases, on the seeds, and on every
 * post of ../shared/corpus when it is there (skipped, and says so, without it); the Simplified
 * → Traditional converter on those texts as written and converted to Simplified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Converter, Locale } from 'opencc-js';
import { openccConverter, taiwanToSimplified } from '../src/analysis/opencc-tables.js';
import { listPosts } from '../src/ingest/files.js';
import { readPost } from '../src/ingest/post.js';
import { SHARED, SEEDS } from './helpers.js';

const reference = Converter({ from: 'tw', to: 'cn' });
const fast = taiwanToSimplified();
const referenceTw = Converter({ from: 'cn', to: 'tw' });
const fastTw = openccConverter('s2tw');

/** Texts where the two differ (at most `limit`, with both outputs). */
function differences(
  texts: Iterable<string>,
  limit = 5,
  ours = fast,
  theirs = reference,
): string[] {
  const out: string[] = [];
  for (const t of texts) {
    const a = theirs(t);
    const b = ours(t);
    if (a !== b && out.length < limit)
      out.push(
        `${JSON.stringify(t.slice(0, 60))}: opencc-js ${JSON.stringify(a.slice(0, 60))}, ours ${JSON.stringify(b.slice(0, 60))}`,
      );
  }
  return out;
}

/** Title, body and page text of every post in `folders` that reads. */
async function postTexts(folders: string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const folder of folders) {
    for (const ref of await listPosts(folder)) {
      try {
        const { article, extra } = readPost(readFileSync(ref.file), ref.file, ref.id);
        texts.push(article.title, article.body, extra);
      } catch {
        // broken posts are ingest's business
      }
    }
  }
  return texts;
}

/** Both directions' differences from opencc-js on `texts`, and on them in Simplified. */
function bothWays(texts: string[]): string[] {
  return [
    ...differences(texts),
    ...differences(texts, 5, fastTw, referenceTw),
    ...differences(texts.map(fast), 5, fastTw, referenceTw),
  ];
}

for (const name of ['tw2s', 's2tw'] as const)
  test(`every ${name} dictionary entry converts as opencc-js converts it, alone and in context`, () => {
    const config = (
      Locale.configs as Record<
        string,
        { normalizationChain?: string[][]; segmentation: string[]; conversionChain: string[][] }
      >
    )[name];
    const dicts = [
      ...(config.normalizationChain ?? []).flat(),
      ...config.segmentation,
      ...config.conversionChain.flat(),
    ];
    const keys = new Set<string>();
    for (const d of dicts) for (const entry of d.split('|')) keys.add(entry.split(' ')[0]);
    assert.ok(keys.size > 5000, `only ${keys.size} entries: opencc-js's tables changed shape`);
    const texts: string[] = [];
    const all = [...keys];
    all.forEach((k, i) => {
      const next = all[(i + 1) % all.length];
      // alone, between ordinary characters, run into the next entry, cut short, and doubled
      texts.push(k, `我說${k}了`, k + next, k.slice(0, -1), k + k, `${[...k][0]}${next}`);
    });
    assert.deepEqual(
      name === 'tw2s' ? differences(texts) : differences(texts, 5, fastTw, referenceTw),
      [],
    );
  });

test('edge cases convert as opencc-js converts them', () => {
  const texts = [
    '',
    '臺灣軟體與數位身分證',
    '一目瞭然的瞭解', // a segmentation phrase
    '⿰車馬車與⿱⿰車馬門車', // ideographic description sequences are left whole (nested too)
    '⿰車', // a sequence cut short: its characters convert
    '⿲車馬', // an operator alone at the end
    '𠀀𡞱㑯𠵾車', // astral characters and characters that convert to astral ones
    '\ud842車\udfb7', // lone surrogates
    'ABC abc 123 ，。「」',
    '\uf900\uf901豈更', // compatibility ideographs (the normalization dictionary)
    '么麼與什麼',
    '显著的干部与乾隆', // Simplified, one-to-many back to Traditional
  ];
  assert.deepEqual(bothWays(texts), []);
});

test('the seeds convert as opencc-js converts them', async () => {
  const texts = await postTexts([SEEDS]);
  assert.ok(texts.length >= 30);
  assert.deepEqual(bothWays(texts), []);
});

const CORPUS = [join(SHARED, 'corpus', 'cna-rti'), join(SHARED, 'corpus', 'oped')];
const skip = CORPUS.every((f) => existsSync(f))
  ? false
  : `skipped: ${CORPUS[0]} not found (../shared is not beside the repo)`;

test('every post of the corpus converts as opencc-js converts it', { skip }, async () => {
  const texts = await postTexts(CORPUS);
  assert.ok(texts.length > 45_000, `${texts.length} texts`);
  assert.deepEqual(bothWays(texts), []);
});
