/**
 * Normalization for matching (docs/design.md, "Analysis": the first step):
 * full-width ASCII → half-width, Latin lower-cased, then OpenCC Taiwan Traditional → Simplified,
 * then one key for each group of characters that conversion treats by context (著/着).
 *
 * Every step keeps the code-point count, so a code-point offset in the normalized text is the
 * same offset in the original: that is what lets us highlight the article's own script.
 * OpenCC `tw` (not `twp`) is character-level; when a phrase rule would still change the length
 * (a few Simplified characters are astral), we fall back to per-character conversion.
 */
import { characterMap, contextualFolds, taiwanToSimplified } from './opencc-tables.js';

/**
 * OpenCC tw → cn, then one match key for each group of characters it converts by context
 * though they are valid Simplified (著 kept in 顯著, 着 alone; 瞭 in 瞭望, 了 in 瞭解), so both
 * scripts and every substring meet. The groups come from opencc-js's dictionaries
 * (contextualFolds); 么/幺 is one (opencc-js turns a lone 么 into 幺 but keeps 什么; Debian's
 * OpenCC writes 什幺). Built on first use: a process only reading an index (or only building
 * postings) never needs OpenCC's tables.
 */
let opencc: { twToCn: (s: string) => string; fold: (s: string) => string } | undefined;
function openccSteps(): NonNullable<typeof opencc> {
  if (!opencc) {
    const twToCn = taiwanToSimplified();
    opencc = { twToCn, fold: characterMap(contextualFolds(twToCn)) };
  }
  return opencc;
}
const twToCn = (s: string): string => openccSteps().twToCn(s);

const FULLWIDTH = /[\uFF01-\uFF5E\u3000]/g;

function foldWidth(s: string): string {
  return s.replace(FULLWIDTH, (c) =>
    c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
  );
}

export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** Apply `f` to each code point separately, keeping the original where `f` would change the count. */
function perCodePoint(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const r = f(c);
    out += codePointLength(r) === 1 ? r : c;
  }
  return out;
}

function lengthKeeping(s: string, f: (x: string) => string): string {
  const r = f(s);
  if (r.length === s.length || codePointLength(r) === codePointLength(s)) return r;
  return perCodePoint(s, f);
}

const lower = (s: string) => s.toLowerCase();

/**
 * Only the last step: the match key of each character of already Simplified text (显著 → 显着).
 * A form written in Simplified is `foldContextual(form)` = `normalize(form)` up to case.
 */
export function foldContextual(text: string): string {
  return openccSteps().fold(text);
}

/** Normalize `text` for matching; the result has exactly as many code points as `text`. */
export function normalize(text: string): string {
  return openccSteps().fold(lengthKeeping(lengthKeeping(foldWidth(text), lower), twToCn));
}
