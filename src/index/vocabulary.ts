/**
 * The suggestion vocabulary: words and short phrases (2–3 adjacent words) of titles, by how many
 * titles hold them, with the surface forms they were written in (Traditional and Simplified).
 * Titles carry a news archive's vocabulary — names, places, the words of stories — without the
 * filler of bodies, and are cheap to scan at index time.
 */
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';
import { foldContextual } from '../analysis/normalize.js';

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

/** The order of the vocabulary: in more titles first, then by text (code-unit order). */
export function vocabularyOrder(aText: string, aDf: number, bText: string, bDf: number): number {
  return bDf - aDf || (aText < bText ? -1 : aText > bText ? 1 : 0);
}

/**
 * A surface form counts as Simplified (`cn`) when it is its text's normalization up to case and
 * match keys (沈荣津 is Simplified though its text is 沉荣津; 沈榮津 is not).
 */
export function isSimplifiedForm(surface: string, text: string): boolean {
  const lower = surface.toLowerCase();
  return lower === text || foldContextual(lower) === text;
}

/** The form seen most often (the first seen on ties). */
export function mostFrequent(m: Map<string, number>): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [k, v] of m) if (v > n) [best, n] = [k, v];
  return best;
}

/**
 * The words and short phrases of one title, each with the form it is written in: merge.ts
 * counts them in and out for added and removed titles; a build tallies them as it goes
 * (VocabularyTally), without keeping a list per title.
 */
export function titleTerms(
  original: string,
  analyzed: AnalyzedText,
): [text: string, surface: string][] {
  const out: [string, string][] = [];
  eachTitleTerm(original, analyzed, (text, surface) => out.push([text, surface]));
  return out;
}

function eachTitleTerm(
  original: string,
  analyzed: AnalyzedText,
  each: (text: string, surface: string) => void,
): void {
  const cps = analyzed.codePoints;
  // Spans are in code points. Nearly every title is one UTF-16 unit per code point, before and
  // after normalizing, so spans are plain slices; others go through arrays of code points.
  let norm = '';
  for (let i = 0; i < cps.length; i += 4096)
    norm += String.fromCodePoint(...cps.subarray(i, i + 4096));
  const oneUnitEach = norm.length === cps.length && original.length === cps.length;
  const chars = oneUnitEach ? [] : Array.from(original);
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
  const seen = new Set<string>();
  for (let w = 0; w < words.length; w++) {
    for (let span = 1; span <= 3 && w + span <= words.length; span++) {
      // Phrases only over adjacent words (no space or punctuation between).
      if (span > 1 && words[w + span - 2][1] !== words[w + span - 1][0]) break;
      const from = words[w][0];
      const to = words[w + span - 1][1];
      if (to - from < 2 || to - from > MAX_PHRASE_CHARS || allDigits(cps, from, to)) continue;
      const text = oneUnitEach
        ? norm.slice(from, to)
        : String.fromCodePoint(...cps.subarray(from, to));
      if (seen.has(text)) continue;
      seen.add(text);
      each(text, oneUnitEach ? original.slice(from, to) : chars.slice(from, to).join(''));
    }
  }
}

/** Only ASCII digits (a number is no suggestion). */
function allDigits(cps: Int32Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (cps[i] < 0x30 || cps[i] > 0x39) return false;
  return true;
}

/**
 * Tally of one text while building: `forms` is its one surface form until a second title holds
 * it (most texts are in one title only: 172k of the corpus's 200k), then a count per form.
 */
interface BuildTally {
  df: number;
  forms: string | Map<string, number>;
}

/**
 * Counts title terms as titles come, in index order (a build adds each article as its batch is
 * analyzed: keeping a list per title to the end cost ~40 MB of RSS over the corpus and a third
 * of the main thread's young-generation collections).
 */
export class VocabularyTally {
  private readonly tallies = new Map<string, BuildTally>();

  addTitle(original: string, analyzed: AnalyzedText): void {
    eachTitleTerm(original, analyzed, this.count);
  }

  private readonly count = (text: string, surface: string): void => {
    const t = this.tallies.get(text);
    if (t === undefined) {
      this.tallies.set(text, { df: 1, forms: surface });
      return;
    }
    t.df++;
    if (typeof t.forms !== 'string') t.forms.set(surface, (t.forms.get(surface) ?? 0) + 1);
    else if (t.forms === surface) t.forms = new Map([[surface, 2]]);
    else
      t.forms = new Map([
        [t.forms, 1],
        [surface, 1],
      ]);
  };

  /**
   * The vocabulary, in vocabularyOrder, cut to MAX_VOCABULARY_ENTRIES. Texts are bucketed by df
   * and each bucket sorted by plain string order (code units, as vocabularyOrder compares):
   * 0.5 s instead of 1.1–1.4 s for a comparator sort of 200k tallies, each with two maps, over
   * the corpus.
   */
  entries(): VocabularyEntry[] {
    const { tallies } = this;
    const byDf: string[][] = [];
    for (const [text, t] of tallies) (byDf[t.df] ??= []).push(text);
    const out: VocabularyEntry[] = [];
    for (let df = byDf.length - 1; df >= 1 && out.length < MAX_VOCABULARY_ENTRIES; df--) {
      const texts = byDf[df];
      if (!texts) continue;
      texts.sort();
      for (const text of texts.slice(0, MAX_VOCABULARY_ENTRIES - out.length)) {
        const e: VocabularyEntry = { text, df };
        const forms = tallies.get(text)!.forms;
        const counts = typeof forms === 'string' ? new Map([[forms, 1]]) : forms;
        const tw = new Map<string, number>();
        const cn = new Map<string, number>();
        for (const [surface, n] of counts)
          (isSimplifiedForm(surface, text) ? cn : tw).set(surface, n);
        const twForm = mostFrequent(tw);
        const cnForm = mostFrequent(cn);
        if (twForm) e.tw = twForm;
        if (cnForm) e.cn = cnForm;
        out.push(e);
      }
    }
    return out;
  }
}
