/**
 * Single articles: lookup by id, and "more like this" — articles sharing the article's most
 * distinctive words (frequent in it, rare in the archive), scored by those shared words.
 */
import type { NewsIndex } from '../index/news-index.js';
import type { DocumentResponse, RelatedHit } from '../api.js';
import { normalize } from '../analysis/normalize.js';
import { segment } from '../analysis/segment.js';
import { isWordCodePoint } from '../analysis/analyzer.js';
import { findTerm } from './matcher.js';
import { idf } from './ranking.js';

const idMaps = new WeakMap<NewsIndex, Map<string, number>>();

export function docNumber(index: NewsIndex, id: string): number | undefined {
  let m = idMaps.get(index);
  if (!m) {
    m = new Map(index.docs.map((d, i) => [d.id, i]));
    idMaps.set(index, m);
  }
  return m.get(id);
}

export function getDocument(index: NewsIndex, d: number): DocumentResponse {
  return { ...index.docs[d], body: index.body(d) };
}

export type { RelatedHit };

const TERMS = 10;

/** The article's most distinctive words: tf × idf over its title (counted twice) and body. */
function distinctiveTerms(index: NewsIndex, d: number): { text: string; weight: number }[] {
  const tf = new Map<string, number>();
  const text = `${index.docs[d].title}\n${index.docs[d].title}\n${index.body(d)}`;
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
  const shortlist = [...tf]
    .map(([w, n]) => {
      const cps = Array.from(w, (c) => c.codePointAt(0)!);
      const rough = index.bigram(cps[0], cps[1]).length;
      return { w, n, cps, rough: n * Math.log(1 + index.arrays.positions.length / (1 + rough)) };
    })
    .sort((a, b) => b.rough - a.rough)
    .slice(0, TERMS * 3);
  return shortlist
    .map(({ w, n, cps }) => ({
      text: w,
      weight: Math.log(1 + n) * idf(index.size, findTerm(index, w, cps).docs.length),
    }))
    .sort((a, b) => b.weight - a.weight)
    .slice(0, TERMS);
}

export function relatedDocuments(
  index: NewsIndex,
  d: number,
  size: number,
  exclude: Set<number> = new Set(),
): RelatedHit[] {
  const terms = distinctiveTerms(index, d);
  const scores = new Map<number, { score: number; shared: string[] }>();
  for (const t of terms) {
    const m = findTerm(
      index,
      t.text,
      Array.from(t.text, (c) => c.codePointAt(0)!),
    );
    for (const other of m.docs) {
      if (other === d || exclude.has(other)) continue;
      const s = scores.get(other) ?? { score: 0, shared: [] };
      s.score += t.weight;
      s.shared.push(t.text);
      scores.set(other, s);
    }
  }
  // Copies of the same story are not "related": near-duplicates and same-title re-posts go.
  const title = normalize(index.docs[d].title);
  const group = index.arrays.dupOf[d];
  return [...scores]
    .filter(
      ([o, s]) =>
        s.shared.length >= 2 &&
        (group < 0 || index.arrays.dupOf[o] !== group) &&
        normalize(index.docs[o].title) !== title,
    )
    .sort((a, b) => b[1].score - a[1].score || index.dateMs[b[0]] - index.dateMs[a[0]])
    .slice(0, size)
    .map(([o, s]) => {
      const doc = index.docs[o];
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
