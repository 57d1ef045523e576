/**
 * Completions as the user types: title words and phrases that start with what was typed, most
 * frequent first, in the script the user typed. FlexSearch's forward tokenizer indexes every
 * prefix of each entry — what it is built for — and returns entries in insertion order, which
 * is frequency order here.
 */
import type { NewsIndex } from '../index/news-index.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import { prefixIndex } from '../index/suggestion-index.js';
import { normalize } from '../analysis/normalize.js';
import { displayConverter } from './display.js';
import type { SuggestResult } from '../api.js';

export type { SuggestResult };

/** Build the prefix index now (at load and flush) rather than on the first keystroke. */
export function warmSuggestions(index: NewsIndex | IndexReader): void {
  prefixIndex(readerOf(index).vocabulary);
}

export function suggest(target: NewsIndex | IndexReader, q: string, size: number): SuggestResult {
  const { vocabulary } = readerOf(target);
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
  for (const i of prefixIndex(vocabulary).search(prefix, { limit: size * 3 })) {
    const e = vocabulary[i];
    if (!e || e.text === prefix) continue;
    const shown = traditional ? (e.tw ?? toTw(e.cn ?? e.text)) : (e.cn ?? e.text);
    if (seen.has(shown)) continue;
    seen.add(shown);
    suggestions.push({ text: head + shown });
    if (suggestions.length === size) break;
  }
  return { query: q, suggestions };
}
