/**
 * Builds a NewsIndex from analyzed articles. Postings are produced by two stable counting
 * sorts (by the second character, then by the first) over every word position, so each
 * bigram's positions come out ascending without a hash map per position.
 */
import type { Article } from '../ingest/article.js';
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';
import { NewsIndex, type IndexArrays } from './news-index.js';

export interface AnalyzedArticle {
  article: Article;
  title: AnalyzedText;
  body: AnalyzedText;
  /** Page text outside the article (HtmlText.extra): searchable with a low weight, never shown. */
  extra: AnalyzedText;
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
    const wordStarts = new Uint8Array(n + 1);
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
      }
      wordStarts.set(text.wordStarts.subarray(0, cps.length), at);
      wordStarts[at + cps.length] = 1; // the separator
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
    wordStarts[n] = 1;

    const arrays = buildPostings(ids, chars.length, { wordStarts, docStarts, bodyStarts, extraStarts, chars: Int32Array.from(chars) });
    const docCount = Math.max(1, this.items.length);
    return new NewsIndex(
      this.items.map((i) => i.article),
      arrays,
      { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount },
      fingerprint,
    );
  }
}

function buildPostings(ids: Int32Array, charCount: number, layout: Omit<IndexArrays, 'keys' | 'keyStarts' | 'positions'>): IndexArrays {
  const n = ids.length;
  const second = (p: number) => (p + 1 < n ? ids[p + 1] : 0);
  let count = 0;
  const bySecond = new Uint32Array(charCount + 1);
  const byFirst = new Uint32Array(charCount + 1);
  for (let p = 0; p < n; p++) {
    if (ids[p] === 0) continue;
    count++;
    bySecond[second(p)]++;
    byFirst[ids[p]]++;
  }
  prefixSums(bySecond);
  prefixSums(byFirst);
  const tmp = new Int32Array(count);
  for (let p = 0; p < n; p++) if (ids[p] !== 0) tmp[bySecond[second(p)]++] = p;
  const positions = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const p = tmp[i];
    positions[byFirst[ids[p]]++] = p;
  }
  // Distinct (first, second) runs become the key table.
  const keys: number[] = [];
  const starts: number[] = [];
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const p = positions[i];
    const k = ids[p] * charCount + second(p);
    if (k !== prev) {
      keys.push(k);
      starts.push(i);
      prev = k;
    }
  }
  starts.push(count);
  return { ...layout, keys: Float64Array.from(keys), keyStarts: Uint32Array.from(starts), positions };
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
