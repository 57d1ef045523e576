/**
 * Display conversion (`script=hant|hans`): titles and snippets shown in Traditional or
 * Simplified whatever the article's script. Matching never uses it. OpenCC only maps CJK
 * characters, so the escaped HTML and our <mark> tags pass through unchanged.
 */
import { Converter } from 'opencc-js';

export type DisplayScript = 'hant' | 'hans';

const converters: Partial<Record<DisplayScript, (s: string) => string>> = {};

export function displayConverter(script: DisplayScript | undefined): (s: string) => string {
  if (!script) return (s) => s;
  return (converters[script] ??=
    script === 'hant' ? Converter({ from: 'cn', to: 'tw' }) : Converter({ from: 'tw', to: 'cn' }));
}
