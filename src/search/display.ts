/**
 * Display conversion (`script=hant|hans`): titles and snippets shown in Traditional or
 * Simplified whatever the article's script. Matching never uses it. OpenCC only maps CJK
 * characters, so the escaped HTML and our <mark> tags pass through unchanged.
 */
import { normalize } from '../analysis/normalize.js';
import { openccConverter } from '../analysis/opencc-tables.js';

export type DisplayScript = 'hant' | 'hans';

const converters: Partial<Record<DisplayScript, (s: string) => string>> = {};

export function displayConverter(script: DisplayScript | undefined): (s: string) => string {
  if (!script) return (s) => s;
  // opencc-js's Converter({ from: 'cn', to: 'tw' }) and ({ from: 'tw', to: 'cn' }), run by
  // our tables (the same output in ~1/15 of the memory: test/opencc.test.ts).
  return (converters[script] ??= openccConverter(script === 'hant' ? 's2tw' : 'tw2s'));
}

/** Characters that are the Simplified form of some other (Traditional) character: 数, 台, 着. */
let simplifiedTargets: Set<string> | undefined;
function simplifiedForms(): Set<string> {
  if (simplifiedTargets) return simplifiedTargets;
  // The normalizer's own table over the CJK block, a character a line (no phrase across them);
  // cheaper than loading OpenCC's Simplified → Traditional converter.
  const chars: string[] = [];
  for (let cp = 0x4e00; cp <= 0x9fff; cp++) chars.push(String.fromCodePoint(cp));
  const out = normalize(chars.join('\n')).split('\n');
  simplifiedTargets = new Set(out.filter((c, i) => c !== chars[i]));
  return simplifiedTargets;
}

/**
 * The script text was typed in, for answering in it: Traditional when at least as many of its
 * characters are Traditional-only (they change under normalization) as are Simplified forms of
 * other characters (显 of 顯); 台灣 is Traditional, 显著浪高为 Simplified although OpenCC turns
 * its 著 into 着. Text the same in both scripts (pinyin, 人) is in `asked`, else Simplified.
 */
export function scriptOf(text: string, asked?: DisplayScript): DisplayScript {
  let traditional = 0;
  let simplified = 0;
  for (const c of text) {
    if (normalize(c) !== c.toLowerCase()) traditional++;
    else if (simplifiedForms().has(c)) simplified++;
  }
  if (traditional === 0 && simplified === 0) return asked ?? 'hans';
  return traditional >= simplified ? 'hant' : 'hans';
}
