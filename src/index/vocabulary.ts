/**
 * The suggestion vocabulary: words and short phrases (2–3 adjacent words) of titles, by how many
 * titles hold them, with the surface forms they were written in (Traditional and Simplified).
 * Titles carry a news archive's vocabulary — names, places, the words of stories — without the
 * filler of bodies, and are cheap to scan at index time.
 */
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';

export interface VocabularyEntry {
  /** Normalized (Simplified) text. */
  text: string;
  /** Titles holding it. */
  df: number;
  /** Most frequent form as written in Traditional titles, when one differs from `text`. */
  tw?: string;
  /** Most frequent form as written in titles that were already Simplified. */
  cn?: string;
}

/** At most this many entries are kept (the most frequent). */
export const MAX_VOCABULARY_ENTRIES = 50_000;
const MAX_PHRASE_CHARS = 10;

interface Tally {
  df: number;
  tw: Map<string, number>;
  cn: Map<string, number>;
}

/** The order of the vocabulary: in more titles first, then by text (code-unit order). */
export function vocabularyOrder(aText: string, aDf: number, bText: string, bDf: number): number {
  return bDf - aDf || (aText < bText ? -1 : aText > bText ? 1 : 0);
}

/** The form seen most often (the first seen on ties). */
export function mostFrequent(m: Map<string, number>): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [k, v] of m) if (v > n) [best, n] = [k, v];
  return best;
}

/**
 * The words and short phrases of one title, each with the form it is written in: computed per
 * post where posts are analyzed (worker threads), merged by buildVocabulary.
 */
export function titleTerms(original: string, analyzed: AnalyzedText): [text: string, surface: string][] {
  const cps = analyzed.codePoints;
  const orig = Array.from(original);
  // Words of word characters only, with where they start and end.
  const words: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= cps.length; i++) {
    if (i < cps.length && !analyzed.wordStarts[i]) continue;
    let ok = i > start;
    for (let k = start; k < i && ok; k++) ok = isWordCodePoint(cps[k]);
    if (ok) words.push([start, i]);
    start = i;
  }
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (let w = 0; w < words.length; w++) {
    for (let span = 1; span <= 3 && w + span <= words.length; span++) {
      // Phrases only over adjacent words (no space or punctuation between).
      if (span > 1 && words[w + span - 2][1] !== words[w + span - 1][0]) break;
      const from = words[w][0];
      const to = words[w + span - 1][1];
      if (to - from < 2 || to - from > MAX_PHRASE_CHARS) continue;
      const text = String.fromCodePoint(...cps.subarray(from, to));
      if (/^\d+$/.test(text) || seen.has(text)) continue;
      seen.add(text);
      out.push([text, orig.slice(from, to).join('')]);
    }
  }
  return out;
}

export function buildVocabulary(titles: [text: string, surface: string][][]): VocabularyEntry[] {
  const tallies = new Map<string, Tally>();
  for (const terms of titles) {
    for (const [text, surface] of terms) {
      let t = tallies.get(text);
      if (!t) {
        t = { df: 0, tw: new Map(), cn: new Map() };
        tallies.set(text, t);
      }
      t.df++;
      const forms = surface.toLowerCase() === text ? t.cn : t.tw;
      forms.set(surface, (forms.get(surface) ?? 0) + 1);
    }
  }
  return [...tallies]
    .sort((a, b) => vocabularyOrder(a[0], a[1].df, b[0], b[1].df))
    .slice(0, MAX_VOCABULARY_ENTRIES)
    .map(([text, t]) => {
      const e: VocabularyEntry = { text, df: t.df };
      const tw = mostFrequent(t.tw);
      const cn = mostFrequent(t.cn);
      if (tw) e.tw = tw;
      if (cn) e.cn = cn;
      return e;
    });
}
