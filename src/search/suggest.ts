/**
 * Completions as the user types: title words and phrases that start with what was typed, most
 * frequent first, in the script the user typed. FlexSearch's forward tokenizer indexes every
 * prefix of each entry — what it is built for — and returns entries in insertion order, which
 * is frequency order here.
 */
import { createRequire } from 'node:module';
import type { NewsIndex } from '../index/news-index.js';
import { normalize } from '../analysis/normalize.js';
import { displayConverter } from './display.js';
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

/** Build the prefix index now rather than on the first keystroke. */
export function warmSuggestions(index: NewsIndex): void {
  prefixIndex(index);
}

export function suggest(index: NewsIndex, q: string, size: number): SuggestResult {
  // Complete the last word typed; keep what comes before it.
  const typed = q.replace(/^\s+/, '');
  const cut = typed.search(/\S+$/);
  const head = cut > 0 ? typed.slice(0, cut) : '';
  const last = cut >= 0 ? typed.slice(cut) : '';
  const prefix = normalize(last);
  if (prefix === '') return { query: q, suggestions: [] };
  // Traditional when the user's text changes under Traditional → Simplified conversion.
  const traditional = prefix !== last.toLowerCase();
  const toTw = displayConverter('hant');
  const seen = new Set<string>();
  const suggestions: SuggestResult['suggestions'] = [];
  for (const i of prefixIndex(index).search(prefix, { limit: size * 3 })) {
    const e = index.vocabulary[i];
    if (!e || e.text === prefix) continue;
    const shown = traditional ? (e.tw ?? toTw(e.cn ?? e.text)) : (e.cn ?? e.text);
    if (seen.has(shown)) continue;
    seen.add(shown);
    suggestions.push({ text: head + shown });
    if (suggestions.length === size) break;
  }
  return { query: q, suggestions };
}
