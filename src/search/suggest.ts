/**
 * Completions as the user types: title words and phrases that start with what was typed, most
 * frequent first, in the script the user typed. FlexSearch's forward tokenizer indexes every
 * prefix of each entry — what it is built for — and returns entries in insertion order, which
 * is frequency order here (src/index/suggestion-index.ts, part of the lexicon). Then as pinyin (pinyin-vocabulary.ts): what readers type before they
 * pick characters.
 */
import type { NewsIndex } from '../index/news-index.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import { normalize } from '../analysis/normalize.js';
import { displayConverter, scriptOf, type DisplayScript } from './display.js';
import { PinyinVocabulary } from './pinyin-vocabulary.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import type { SuggestResult } from '../api.js';

export type { SuggestResult };

export interface SuggestOptions {
  /** The script for completions of pinyin or of text that is the same in both scripts. */
  script?: DisplayScript;
}

/**
 * Build the lexicon now rather than on the first keystroke, for a reader loaded or built without
 * a writer (a writer builds each one in a worker).
 */
export function warmSuggestions(target: NewsIndex | IndexReader): void {
  void readerOf(target).lexicon;
}

/** Pinyin typed last: letters, ü (or u: / v), apostrophes, spaces between syllables. */
const TRAILING_PINYIN = /[a-zA-ZüÜ'](?:[a-zA-ZüÜ':\s]*[a-zA-ZüÜ'])?\s*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class is every ASCII character
const TRAILING_CHARS = /[^\s\x00-\x7f]+$/;

export function suggest(
  target: NewsIndex | IndexReader,
  q: string,
  size: number,
  options: SuggestOptions = {},
): SuggestResult {
  // The lexicon's own vocabulary: right after a flush it may be the previous one (lexicon.ts).
  const { lexicon } = readerOf(target);
  const { vocabulary } = lexicon;
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
    for (const i of lexicon.prefixes.search(prefix, { limit: size * 3 }))
      if (vocabulary[i] && vocabulary[i].text !== prefix)
        found.push({ tier: 0, entry: i, lead: head, pinyin: false });
  }

  // As pinyin: full or initials (shuzi, szsfz), after characters (数字sfz) or alone.
  const m = TRAILING_PINYIN.exec(typed);
  const syllables = m ? m[0].toLowerCase().replace(/ü|u:/g, 'v').trim() : '';
  if (m && /^[a-z\s']+$/.test(syllables)) {
    const before = typed.slice(0, m.index);
    const chars = TRAILING_CHARS.exec(before);
    const py = new PinyinVocabulary(lexicon);
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
    const e = vocabulary[f.entry];
    const text = f.lead + shown(e);
    if (seen.has(text)) continue;
    seen.add(text);
    suggestions.push(f.pinyin && e.py !== undefined ? { text, pinyin: e.py } : { text });
    if (suggestions.length === size) break;
  }
  return { query: q, suggestions };
}
