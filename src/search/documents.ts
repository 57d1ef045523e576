/**
 * Single articles: lookup by id, and "more like this" — articles sharing the article's most
 * distinctive words (frequent in it, rare in the archive), scored by those shared words.
 */
import type { NewsIndex } from '../index/news-index.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { DocumentResponse, RelatedHit } from '../api.js';
import { normalize } from '../analysis/normalize.js';
import { segment } from '../analysis/segment.js';
import { isWordCodePoint } from '../analysis/analyzer.js';
import { findTerm, liveOnly } from './matcher.js';
import { idf } from './ranking.js';

/** Global number of the live document with this id (index/reader.ts). */
export function docNumber(index: NewsIndex | IndexReader, id: string): number | undefined {
  return readerOf(index).docNumber(id);
}

export function getDocument(index: NewsIndex | IndexReader, d: number): DocumentResponse {
  const reader = readerOf(index);
  return { ...reader.doc(d), body: reader.body(d) };
}

export type { RelatedHit };

const TERMS = 10;

/** Live documents (global numbers, ascending) holding `text` verbatim, over every segment. */
function docsWith(reader: IndexReader, text: string): number[] {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  const out: number[] = [];
  reader.segments.forEach((seg, s) => {
    for (const d of liveOnly(findTerm(seg.index, text, cps), seg.live).docs)
      out.push(reader.bases[s] + d);
  });
  return out;
}

/** The article's most distinctive words: tf × idf over its title (counted twice) and body. */
function distinctiveTerms(reader: IndexReader, g: number): { text: string; weight: number }[] {
  const tf = new Map<string, number>();
  const doc = reader.doc(g);
  const text = `${doc.title}\n${doc.title}\n${reader.body(g)}`;
  for (const t of segment(normalize(text))) {
    const cps = Array.from(t.text);
    if (
      cps.length < 2 ||
      !cps.every((c) => isWordCodePoint(c.codePointAt(0)!)) ||
      /^\d+$/.test(t.text)
    )
      continue;
    tf.set(t.text, (tf.get(t.text) ?? 0) + 1);
  }
  // Cheap rarity first (a bigram's position count), exact document frequency for the shortlist.
  let positions = 0;
  for (const seg of reader.segments) positions += seg.index.positionCount;
  const shortlist = [...tf]
    .map(([w, n]) => {
      const cps = Array.from(w, (c) => c.codePointAt(0)!);
      let rough = 0;
      for (const seg of reader.segments) rough += seg.index.bigram(cps[0], cps[1]).length;
      return { w, n, rough: n * Math.log(1 + positions / (1 + rough)) };
    })
    .sort((a, b) => b.rough - a.rough)
    .slice(0, TERMS * 3);
  return shortlist
    .map(({ w, n }) => ({
      text: w,
      weight: Math.log(1 + n) * idf(reader.size, docsWith(reader, w).length),
    }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, TERMS);
}

export function relatedDocuments(
  index: NewsIndex | IndexReader,
  d: number,
  size: number,
  exclude: Set<number> = new Set(),
): RelatedHit[] {
  const reader = readerOf(index);
  const terms = distinctiveTerms(reader, d);
  const scores = new Map<number, { score: number; shared: string[] }>();
  for (const t of terms) {
    for (const other of docsWith(reader, t.text)) {
      if (other === d || exclude.has(other)) continue;
      const s = scores.get(other) ?? { score: 0, shared: [] };
      s.score += t.weight;
      s.shared.push(t.text);
      scores.set(other, s);
    }
  }
  // Copies of the same story are not "related": near-duplicates and same-title re-posts go.
  const title = normalize(reader.doc(d).title);
  const group = reader.dupOf(d);
  return [...scores]
    .filter(
      ([o, s]) =>
        s.shared.length >= 2 &&
        (group < 0 || reader.dupOf(o) !== group) &&
        normalize(reader.doc(o).title) !== title,
    )
    .sort((a, b) => b[1].score - a[1].score || reader.dateMs(b[0]) - reader.dateMs(a[0]))
    .slice(0, size)
    .map(([o, s]) => {
      const doc = reader.doc(o);
      return {
        id: doc.id,
        title: doc.title,
        url: doc.url,
        source: doc.source,
        date: doc.date,
        score: Math.round(s.score * 1000) / 1000,
        shared_terms: s.shared,
      };
    });
}
