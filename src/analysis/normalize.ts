/**
 * Normalization for matching (docs/design.md, "Analysis": the first step):
 * full-width ASCII → half-width, Latin lower-cased, then OpenCC Taiwan Traditional → Simplified.
 *
 * Every step keeps the code-point count, so a code-point offset in the normalized text is the
 * same offset in the original: that is what lets us highlight the article's own script.
 * OpenCC `tw` (not `twp`) is character-level; when a phrase rule would still change the length
 * (a few Simplified characters are astral), we fall back to per-character conversion.
 */
import { taiwanToSimplified } from './opencc-tables.js';

// Built on first use: a process only reading an index (or only building postings) never needs
// OpenCC's tables.
let converter: ((s: string) => string) | undefined;
const twToCn = (s: string): string => (converter ??= taiwanToSimplified())(s);

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
 * Variants OpenCC leaves apart or splits by context: opencc-js turns a lone 么 into 幺 but
 * keeps 什么, and Debian's OpenCC turns 什么 into 什幺. One form each keeps both meeting.
 */
const VARIANTS = /[幺]/g;
const VARIANT_OF: Record<string, string> = { 幺: '么' };
function foldVariants(s: string): string {
  return s.replace(VARIANTS, (c) => VARIANT_OF[c]);
}

/** Normalize `text` for matching; the result has exactly as many code points as `text`. */
export function normalize(text: string): string {
  return foldVariants(lengthKeeping(lengthKeeping(foldWidth(text), lower), twToCn));
}
