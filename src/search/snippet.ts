/**
 * Snippets and highlighted titles, cut from the article's own text (its own script): the
 * normalized text has the same code points at the same offsets, so spans found in the index
 * mark the original directly. Everything but our <mark> is HTML-escaped.
 */

import type { TextSource } from '../index/text-source.js';

/** A matched span in a field, in code points, and which query term it belongs to. */
export interface Span {
  start: number;
  end: number;
  term: number;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const UNESCAPES = Object.fromEntries(Object.entries(ESCAPES).map(([c, e]) => [e, c]));
/** The text of a highlighted title or snippet (for a terminal): each mark tag becomes `mark`. */
export function markedText(html: string, mark = ''): string {
  return html.replace(/<\/?mark>/g, mark).replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => UNESCAPES[e]);
}

/** `chars` (the text from `base` on) from `from` to `to`, every span marked; spans clipped and merged. */
function markRange(
  chars: string | string[],
  base: number,
  spans: Span[],
  from: number,
  to: number,
): string {
  const sorted = spans
    .map((s) => ({ start: Math.max(s.start, from), end: Math.min(s.end, to) }))
    .filter((s) => s.start < s.end)
    .sort((a, b) => a.start - b.start);
  const text = (a: number, b: number) => {
    const part = chars.slice(a - base, b - base);
    return escapeHtml(typeof part === 'string' ? part : part.join(''));
  };
  let out = '';
  let at = from;
  let i = 0;
  while (i < sorted.length) {
    const start = Math.max(sorted[i].start, at);
    let end = sorted[i].end;
    while (i + 1 < sorted.length && sorted[i + 1].start <= end)
      end = Math.max(end, sorted[++i].end);
    i++;
    if (end <= start) continue;
    out += text(at, start) + '<mark>' + text(start, end) + '</mark>';
    at = end;
  }
  return out + text(at, to);
}

/** The whole field with every span marked (titles). */
export function highlight(text: string, spans: Span[]): string {
  const chars = Array.from(text);
  return markRange(chars, 0, spans, 0, chars.length);
}

const SENTENCE_END = new Set(['。', '！', '？', '!', '?', '\n', '；']);
const SPACE = /\s/;

export interface SnippetOptions {
  /** Target length in characters. */
  length: number;
}

/**
 * The best passage of `text`: the window of about `length` characters holding the most
 * distinct query terms (then the most occurrences), widened to sentence boundaries where
 * they are near, with every occurrence marked.
 */
export function snippet(text: TextSource, spans: Span[], { length }: SnippetOptions): string {
  const n = text.length;
  if (n === 0) return '';
  const occ = [...spans].sort((a, b) => a.start - b.start);
  let best = { from: 0, to: 0, distinct: 0, count: 0 };
  for (let i = 0, j = 0; i < occ.length; i++) {
    // Grow the window [occ[i], occ[j]) while it fits in `length` characters.
    if (j < i) j = i;
    while (j < occ.length && occ[j].end - occ[i].start <= length) j++;
    const terms = new Set<number>();
    for (let k = i; k < j; k++) terms.add(occ[k].term);
    const count = Math.max(1, j - i);
    if (terms.size > best.distinct || (terms.size === best.distinct && count > best.count)) {
      best = {
        from: occ[i].start,
        to: j > i ? occ[j - 1].end : occ[i].end,
        distinct: terms.size,
        count,
      };
    }
  }
  // Everything below looks at most `length` / 2 characters before the window's first match and
  // `length` + 30 after it (or up to its last match).
  const base = Math.max(0, best.from - Math.floor(length / 2) - 1);
  const chars = text.slice(base, Math.min(n, Math.max(best.to, best.from + length + 30) + 1));
  const ch = (k: number) => chars[k - base];
  let start: number;
  if (best.distinct === 0) {
    start = 0;
  } else {
    // Start at the beginning of the sentence holding the first match, if it is close enough.
    const slack = Math.max(0, length - (best.to - best.from));
    const lookBack = Math.min(slack, Math.floor(length / 2));
    start = Math.max(0, best.from - Math.min(lookBack, 20));
    for (let k = best.from - 1; k >= Math.max(0, best.from - lookBack); k--) {
      if (SENTENCE_END.has(ch(k))) {
        start = k + 1;
        break;
      }
      if (k === 0) start = 0;
    }
  }
  while (start < n && SPACE.test(ch(start))) start++;
  // End at the first sentence end past most of the target length, else cut with an ellipsis.
  let end = Math.min(n, Math.max(start + length, best.to));
  const limit = Math.min(n, start + length + 30);
  for (let k = Math.max(best.to, start + Math.floor(length * 0.6)) - 1; k < limit; k++) {
    if (SENTENCE_END.has(ch(k))) {
      end = k + 1;
      break;
    }
  }
  let tail = end;
  while (tail > start && SPACE.test(ch(tail - 1))) tail--;
  const body = markRange(chars, base, spans, start, tail).replace(/\n/g, ' ');
  return (start > 0 ? '…' : '') + body + (end < n ? '…' : '');
}
