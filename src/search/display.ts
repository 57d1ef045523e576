/**
 * Display conversion (`script=hant|hans`): titles and snippets shown in Traditional or
 * Simplified whatever the article's script. Matching never uses it. OpenCC only maps CJK
 * characters, so the escaped HTML and our <mark> tags pass through unchanged.
 */
import { Converter } from 'opencc-js';
import { normalize } from '../analysis/normalize.js';

export type DisplayScript = 'hant' | 'hans';

const converters: Partial<Record<DisplayScript, (s: string) => string>> = {};

export function displayConverter(script: DisplayScript | undefined): (s: string) => string {
  if (!script) return (s) => s;
  return (converters[script] ??=
    script === 'hant' ? Converter({ from: 'cn', to: 'tw' }) : Converter({ from: 'tw', to: 'cn' }));
}

/**
 * The script text was typed in, for answering in it: Traditional when more of its characters
 * are Traditional-only (they change under normalization) than Simplified-only (they change
 * under conversion to Traditional, and not under normalization); a tie with some of each goes
 * to Traditional (台灣: 台 converts to 臺, 灣 is Traditional). Text the same in both scripts
 * (pinyin, 人) is in `asked`, else Simplified.
 */
export function scriptOf(text: string, asked?: DisplayScript): DisplayScript {
  const toTw = displayConverter('hant');
  let traditional = 0;
  let simplified = 0;
  for (const c of text) {
    if (normalize(c) !== c.toLowerCase()) traditional++;
    else if (toTw(c) !== c) simplified++;
  }
  if (traditional === 0 && simplified === 0) return asked ?? 'hans';
  return traditional >= simplified ? 'hant' : 'hans';
}
