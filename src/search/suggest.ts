/**
 * Completions as the user types: title words and phrases that start with what was typed, most
 * frequent first, in the script the user typed. FlexSearch's forward tokenizer indexes every
 * prefix of each entry — what it is built for — and returns entries in insertion order, which
 * is frequency order here. Then as pinyin (pinyin-vocabulary.ts): what readers type before they
 * pick characters.
 */
import { createRequire } from 'node:module';
import type { NewsIndex } from '../index/news-index.js';
import { normalize } from '../analysis/normalize.js';
import { displayConverter, scriptOf, type DisplayScript } from './display.js';
import { pinyinVocabulary } from './pinyin-vocabulary.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import type { SuggestResult } from '../api.js';

// flexsearch 0.8 ships CommonJS with types that do not match its ESM build: load it by require.
const require = createRequire(import.meta.url);
const { Index } = require('flexsearch') as {
  Index: new (
    options: object,
  ) => {
    add(id: number, text: string): void;
    search(q: string, options: { limit: number }): number[];
  };
};

export type { SuggestResult };

export interface SuggestOptions {
  /** The script for completions of pinyin or of text that is the same in both scripts. */
  script?: DisplayScript;
}

const indexes = new WeakMap<NewsIndex, InstanceType<typeof Index>>();

function prefixIndex(index: NewsIndex): InstanceType<typeof Index> {
  let flex = indexes.get(index);
  if (!flex) {
    // Entries are normalized already; each is one token, and every prefix of it is indexed.
    flex = new Index({ tokenize: 'forward', encode: (s: string) => [s], resolution: 1 });
    index.vocabulary.forEach((e, i) => {
      flex!.add(i, e.text);
    });
    indexes.set(index, flex);
  }
  return flex;
}

/** Build the prefix indexes now rather than on the first keystroke. */
export function warmSuggestions(index: NewsIndex): void {
  prefixIndex(index);
  pinyinVocabulary(index).warm();
}

/** Pinyin typed last: letters, ü (or u: / v), apostrophes, spaces between syllables. */
const TRAILING_PINYIN = /[a-zA-ZüÜ'](?:[a-zA-ZüÜ':\s]*[a-zA-ZüÜ'])?\s*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class is every ASCII character
const TRAILING_CHARS = /[^\s\x00-\x7f]+$/;

export function suggest(
  index: NewsIndex,
  q: string,
  size: number,
  options: SuggestOptions = {},
): SuggestResult {
  const typed = q.replace(/^\s+/, '');
  const script = scriptOf(typed, options.script);
  const toTw = (s: string) => displayConverter('hant')(s); // OpenCC cn→tw loads on first use
  const shown = (e: VocabularyEntry) =>
    script === 'hant' ? (e.tw ?? toTw(e.cn ?? e.text)) : (e.cn ?? e.text);
  // Candidates by tier, then by frequency (vocabulary order): what was typed as written is
  // tier 0, pinyin by its tier (pinyin-vocabulary.ts).
  const found: { tier: number; entry: number; lead: string; pinyin: boolean }[] = [];

  // The last word typed, as written; what comes before it is kept.
  const cut = typed.search(/\S+$/);
  const head = cut > 0 ? typed.slice(0, cut) : '';
  const prefix = normalize(cut >= 0 ? typed.slice(cut) : '');
  if (prefix !== '') {
    for (const i of prefixIndex(index).search(prefix, { limit: size * 3 }))
      if (index.vocabulary[i] && index.vocabulary[i].text !== prefix)
        found.push({ tier: 0, entry: i, lead: head, pinyin: false });
  }

  // As pinyin: full or initials (shuzi, szsfz), after characters (数字sfz) or alone.
  const m = TRAILING_PINYIN.exec(typed);
  const syllables = m ? m[0].toLowerCase().replace(/ü|u:/g, 'v').trim() : '';
  if (m && /^[a-z\s']+$/.test(syllables)) {
    const before = typed.slice(0, m.index);
    const chars = TRAILING_CHARS.exec(before);
    const py = pinyinVocabulary(index);
    const mixed = chars
      ? py.completeMixed(normalize(chars[0]), syllables.replace(/[\s']+/g, ''), size)
      : [];
    const lead = mixed.length ? before.slice(0, chars!.index) : before;
    for (const x of mixed.length ? mixed : py.complete(syllables, size))
      found.push({ ...x, lead, pinyin: true });
  }

  found.sort((a, b) => a.tier - b.tier || a.entry - b.entry);
  const seen = new Set<string>();
  const suggestions: SuggestResult['suggestions'] = [];
  for (const f of found) {
    const e = index.vocabulary[f.entry];
    const text = f.lead + shown(e);
    if (seen.has(text)) continue;
    seen.add(text);
    suggestions.push(f.pinyin && e.py !== undefined ? { text, pinyin: e.py } : { text });
    if (suggestions.length === size) break;
  }
  return { query: q, suggestions };
}
