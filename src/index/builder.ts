/**
 * Builds a NewsIndex from analyzed articles. Postings are produced by two stable counting
 * sorts (by the second character, then by the first) over every word position, so each
 * bigram's positions come out ascending without a hash map per position.
 */
import type { Article } from '../ingest/article.js';
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';
import { NewsIndex, type IndexArrays } from './news-index.js';
import { buildVocabulary, titleTerms } from './vocabulary.js';
import { findNearDuplicates } from './near-duplicates.js';

export interface AnalyzedArticle {
  article: Article;
  title: AnalyzedText;
  body: AnalyzedText;
  /** Page text outside the article (HtmlText.extra): searchable with a low weight, never shown. */
  extra: AnalyzedText;
  /** Words and phrases of the title for suggestions (vocabulary.ts); computed when absent. */
  titleTerms?: [string, string][];
}

export class IndexBuilder {
  private readonly items: AnalyzedArticle[] = [];
  private totalLength = 0;

  add(item: AnalyzedArticle): void {
    this.items.push(item);
    this.totalLength += item.title.codePoints.length + item.body.codePoints.length + item.extra.codePoints.length + 3;
  }

  get count(): number {
    return this.items.length;
  }

  build(fingerprint: string): NewsIndex {
    const n = this.totalLength;
    const ids = new Int32Array(n);
    const wordStarts = new Uint8Array((n >> 3) + 1); // a bit per position
    const nonWord = new Uint8Array((n >> 3) + 1); // a bit per position: space, punctuation, separator
    const docStarts = new Int32Array(this.items.length + 1);
    const bodyStarts = new Int32Array(this.items.length);
    const extraStarts = new Int32Array(this.items.length);
    // charId[cp]: 0 unseen, -1 non-word, else the character's id.
    const charId = new Int32Array(0x110000);
    const chars: number[] = [0];
    let titleTotal = 0;
    let bodyTotal = 0;

    const place = (text: AnalyzedText, at: number): number => {
      const cps = text.codePoints;
      for (let i = 0; i < cps.length; i++) {
        const cp = cps[i];
        let id = charId[cp];
        if (id === 0) {
          id = isWordCodePoint(cp) ? chars.push(cp) - 1 : -1;
          charId[cp] = id;
        }
        ids[at + i] = id > 0 ? id : 0;
        if (id < 0) nonWord[(at + i) >> 3] |= 1 << ((at + i) & 7);
      }
      nonWord[(at + cps.length) >> 3] |= 1 << ((at + cps.length) & 7);
      const flags = text.wordStarts;
      for (let i = 0; i <= cps.length; i++) {
        // i = cps.length is the separator, always a boundary
        if (i === cps.length || flags[i]) wordStarts[(at + i) >> 3] |= 1 << ((at + i) & 7);
      }
      return at + cps.length + 1;
    };

    let at = 0;
    this.items.forEach((item, d) => {
      docStarts[d] = at;
      at = place(item.title, at);
      bodyStarts[d] = at;
      at = place(item.body, at);
      extraStarts[d] = at;
      at = place(item.extra, at);
      titleTotal += item.title.codePoints.length;
      bodyTotal += item.body.codePoints.length;
    });
    docStarts[this.items.length] = at;
    wordStarts[n >> 3] |= 1 << (n & 7);

    // Bodies are stored as UTF-16LE, written straight into one array (a buffer per body, then
    // concatenating and copying them, made ~200 MB of garbage for 16,000 articles).
    const bodyAstral = Uint8Array.from(this.items, (i) => (/[\ud800-\udfff]/.test(i.article.body) ? 1 : 0));
    const bodyOffsets = new Float64Array(this.items.length + 1);
    this.items.forEach((i, d) => (bodyOffsets[d + 1] = bodyOffsets[d] + 2 * i.article.body.length));
    const bodyBytes = new Uint8Array(bodyOffsets[this.items.length]);
    const bodyWriter = Buffer.from(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength);
    this.items.forEach((i, d) => bodyWriter.write(i.article.body, bodyOffsets[d], 'utf16le'));
    const dates = Float64Array.from(this.items, (i) => (i.article.date ? Date.parse(i.article.date) || 0 : 0));
    const dupOf = findNearDuplicates(
      this.items.map((i) => i.body.codePoints),
      this.items.map((i) => i.title.codePoints),
      dates,
    );
    const arrays = buildPostings(ids, chars.length, { dupOf, wordStarts, nonWord, docStarts, bodyStarts, extraStarts, bodyBytes, bodyOffsets, bodyAstral, chars: Int32Array.from(chars) });
    const docCount = Math.max(1, this.items.length);
    const vocabulary = buildVocabulary(this.items.map((i) => i.titleTerms ?? titleTerms(i.article.title, i.title)));
    return new NewsIndex(
      this.items.map(({ article: { body: _body, ...doc } }) => doc),
      arrays,
      { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount },
      fingerprint,
      vocabulary,
    );
  }
}

function buildPostings(ids: Int32Array, charCount: number, layout: Omit<IndexArrays, 'keys' | 'keyStarts' | 'positions'>): IndexArrays {
  return { ...layout, ...bigramPostings(ids, charCount) };
}

/**
 * Postings of the text `ids` (character ids below `charCount`, 0 for non-word characters; the
 * text ends with a 0): keys a * charCount + b ascending, each with its ascending positions.
 * Also used for the text a merge adds (merge.ts).
 */
export function bigramPostings(ids: Int32Array, charCount: number): { keys: Float64Array; keyStarts: Uint32Array; positions: Int32Array } {
  // Every field ends with a separator (id 0), so a word character always has a next position.
  // Each pass reads its input in order and carries the ids it needs along, so no pass looks a
  // position up at random in `ids` (16 M entries: cache misses dominated an earlier version).
  const n = ids.length;
  let count = 0;
  const secondStart = new Uint32Array(charCount + 1);
  const firstStart = new Uint32Array(charCount + 1);
  for (let p = 0; p < n; p++) {
    const a = ids[p];
    if (a === 0) continue;
    count++;
    secondStart[ids[p + 1]]++;
    firstStart[a]++;
  }
  prefixSums(secondStart);
  prefixSums(firstStart);

  // Pass 1: stable by the second character, carrying the first.
  const bySecond = new Int32Array(count);
  const firstOf = new Int32Array(count);
  const next = secondStart.slice();
  for (let p = 0; p < n; p++) {
    const a = ids[p];
    if (a === 0) continue;
    const j = next[ids[p + 1]]++;
    bySecond[j] = p;
    firstOf[j] = a;
  }
  // Pass 2: stable by the first character, carrying the second.
  const positions = new Int32Array(count);
  const secondOf = new Int32Array(count);
  const at = firstStart.slice();
  for (let b = 0; b < charCount; b++) {
    const end = b + 1 < charCount ? secondStart[b + 1] : count;
    for (let j = secondStart[b]; j < end; j++) {
      const dst = at[firstOf[j]]++;
      positions[dst] = bySecond[j];
      secondOf[dst] = b;
    }
  }
  // Distinct (first, second) runs become the key table.
  const keys: number[] = [];
  const starts: number[] = [];
  for (let a = 1; a < charCount; a++) {
    const end = a + 1 < charCount ? firstStart[a + 1] : count;
    let prev = -1;
    for (let i = firstStart[a]; i < end; i++) {
      if (secondOf[i] !== prev) {
        prev = secondOf[i];
        keys.push(a * charCount + prev);
        starts.push(i);
      }
    }
  }
  starts.push(count);
  return { keys: Float64Array.from(keys), keyStarts: Uint32Array.from(starts), positions };
}

/** Turn counts into start offsets in place. */
function prefixSums(a: Uint32Array): void {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a[i];
    a[i] = sum;
    sum += c;
  }
}
