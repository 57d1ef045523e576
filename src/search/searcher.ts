/**
 * Query execution: match every query part (verbatim, or word by word as a looser match), rank,
 * and cut highlighted snippets for the page of hits.
 *
 * Order of hits: documents matching more query parts verbatim come first (so every article
 * that contains the query as typed ranks above articles that merely contain its words), then
 * by score (BM25F + proximity), then newer first.
 */
import { analyzeQuery, type QueryPart } from '../analysis/analyzer.js';
import type { NewsIndex } from '../index/news-index.js';
import { SearchError } from '../errors.js';
import { findTerm, docSlot, intersect, union, difference, type TermMatches } from './matcher.js';
import { RANKING, bm25f, idf, minGap, proximityBonus, type FieldFrequencies } from './ranking.js';
import { highlight, snippet, type Span } from './snippet.js';

export const LIMITS = { maxParts: 32, maxWindow: 10_000, snippetLength: 120 };

export interface SearchParams {
  q: string;
  page: number;
  size: number;
}

export interface Hit {
  id: string;
  title: string;
  title_html: string;
  url: string | null;
  source: string | null;
  date: string | null;
  tags: string[];
  categories: string[];
  score: number;
  snippet: string;
}

export interface SearchResult {
  query: string;
  total: number;
  page: number;
  size: number;
  took_ms: number;
  hits: Hit[];
}

/** How one query part is matched: verbatim, or (looser) all of its jieba words anywhere. */
interface PartPlan {
  part: QueryPart;
  verbatim: TermMatches;
  verbatimIdf: number;
  /** jieba words, when the part may also match word by word. */
  words: TermMatches[];
  wordIdfs: number[];
  /** Documents matching the part at all (verbatim ∪ word by word). */
  docs: Int32Array;
}

/** Words shorter than two characters match almost everywhere: no looser match through them. */
function looseWords(part: QueryPart): string[] {
  if (part.words.length < 2) return [];
  const ok = part.words.every((w) => [...w].length >= 2 || /^[a-z0-9]+$/.test(w));
  return ok ? part.words : [];
}

function plan(index: NewsIndex, part: QueryPart): PartPlan {
  const n = index.size;
  const verbatim = findTerm(index, part.text, part.codePoints);
  const words = looseWords(part).map((w) => findTerm(index, w, Array.from(w, (c) => c.codePointAt(0)!)));
  let docs = verbatim.docs;
  if (words.length) {
    let all = words[0].docs;
    for (const w of words.slice(1)) all = intersect(all, w.docs);
    docs = union(verbatim.docs, difference(all, verbatim.docs));
  }
  return {
    part,
    verbatim,
    verbatimIdf: idf(n, verbatim.docs.length),
    words,
    wordIdfs: words.map((w) => idf(n, w.docs.length)),
    docs,
  };
}

/** The terms that matched one document, in query order: a part, or its words. */
interface DocTerm {
  occ: Int32Array;
  length: number;
  idf: number;
  /** Score weight: 1 verbatim, looseWeight for words of a part not found verbatim. */
  weight: number;
}

function docTerms(plans: PartPlan[], d: number): { terms: DocTerm[]; verbatimParts: number } {
  const terms: DocTerm[] = [];
  let verbatimParts = 0;
  for (const p of plans) {
    const slot = docSlot(p.verbatim, d);
    if (slot >= 0) {
      verbatimParts++;
      const occ = p.verbatim.occ.subarray(p.verbatim.docFrom[slot], p.verbatim.docFrom[slot + 1]);
      terms.push({ occ, length: p.verbatim.length, idf: p.verbatimIdf, weight: 1 });
      continue;
    }
    p.words.forEach((w, i) => {
      const s = docSlot(w, d);
      if (s < 0) return;
      terms.push({ occ: w.occ.subarray(w.docFrom[s], w.docFrom[s + 1]), length: w.length, idf: p.wordIdfs[i], weight: RANKING.looseWeight });
    });
  }
  return { terms, verbatimParts };
}

function scoreDoc(index: NewsIndex, d: number, terms: DocTerm[]): number {
  const bodyStart = index.bodyStart(d);
  const extraStart = index.extraStart(d);
  const titleLen = index.titleLength(d);
  const bodyLen = index.bodyLength(d);
  const { avgTitleLength, avgBodyLength } = index.stats;
  let score = 0;
  for (const t of terms) {
    const tf: FieldFrequencies = { title: 0, body: 0, extra: 0 };
    let wholeInTitle = false;
    for (let i = 0; i < t.occ.length; i++) {
      const s = t.occ[i];
      const whole = index.wordStartsAt(s) && index.wordStartsAt(s + t.length);
      const w = whole ? 1 : RANKING.subwordWeight;
      if (s < bodyStart) {
        tf.title += w;
        wholeInTitle ||= whole;
      } else if (s < extraStart) tf.body += w;
      else tf.extra += w;
    }
    score += t.weight * bm25f(tf, t.idf, titleLen, bodyLen, avgTitleLength, avgBodyLength);
    if (tf.title > 0) score += t.weight * t.idf * (wholeInTitle ? RANKING.titleMatch : RANKING.titleMatch * RANKING.subwordWeight);
  }
  const fieldOf = (p: number) => (p < bodyStart ? 0 : p < extraStart ? 1 : 2);
  for (let i = 0; i + 1 < terms.length; i++) {
    const a = terms[i];
    const b = terms[i + 1];
    score += proximityBonus(minGap(a.occ, a.length, b.occ, b.length, fieldOf), a.idf, b.idf);
  }
  return score;
}

function dedupeParts(parts: QueryPart[]): QueryPart[] {
  const seen = new Set<string>();
  return parts.filter((p) => !seen.has(p.text) && seen.add(p.text));
}

interface Ranked {
  doc: number;
  verbatimParts: number;
  score: number;
  time: number;
}

function better(a: Ranked, b: Ranked): number {
  return b.verbatimParts - a.verbatimParts || b.score - a.score || b.time - a.time || a.doc - b.doc;
}

export function search(index: NewsIndex, params: SearchParams): SearchResult {
  const started = performance.now();
  const { page, size } = params;
  if (page * size > LIMITS.maxWindow) {
    throw new SearchError('bad_request', `page × size must be at most ${LIMITS.maxWindow} (asked for ${page} × ${size})`);
  }
  const parts = dedupeParts(analyzeQuery(params.q));
  if (parts.length > LIMITS.maxParts) {
    throw new SearchError('invalid_query', `the query has ${parts.length} distinct terms; at most ${LIMITS.maxParts} are allowed`);
  }
  const done = (total: number, hits: Hit[]): SearchResult => ({
    query: params.q,
    total,
    page,
    size,
    took_ms: Math.round((performance.now() - started) * 100) / 100,
    hits,
  });
  if (parts.length === 0 || index.size === 0) return done(0, []);

  // Rarest part first keeps the running intersection small.
  const plans = parts.map((p) => plan(index, p));
  const byRarity = [...plans].sort((a, b) => a.docs.length - b.docs.length);
  const candidates = byRarity.slice(1).reduce((acc, p) => intersect(acc, p.docs), byRarity[0].docs);

  const ranked: Ranked[] = new Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const d = candidates[i];
    const { terms, verbatimParts } = docTerms(plans, d);
    ranked[i] = { doc: d, verbatimParts, score: scoreDoc(index, d, terms), time: index.dateMs[d] };
  }
  const top = topK(ranked, page * size).slice((page - 1) * size);
  return done(ranked.length, top.map((r) => toHit(index, plans, r)));
}

/** The best k in order, without sorting everything when k is small. */
function topK(items: Ranked[], k: number): Ranked[] {
  if (items.length <= k * 4) return items.sort(better).slice(0, k);
  // Keep a sorted buffer of the best k; most items fail the first comparison.
  const best: Ranked[] = [];
  for (const it of items) {
    if (best.length === k && better(it, best[k - 1]) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (better(best[mid], it) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, it);
    if (best.length > k) best.pop();
  }
  return best;
}

function toHit(index: NewsIndex, plans: PartPlan[], r: Ranked): Hit {
  const d = r.doc;
  const doc = index.docs[d];
  const { terms } = docTerms(plans, d);
  const titleStart = index.titleStart(d);
  const bodyStart = index.bodyStart(d);
  const extraStart = index.extraStart(d);
  const titleSpans: Span[] = [];
  const bodySpans: Span[] = [];
  terms.forEach((t, term) => {
    for (let i = 0; i < t.occ.length; i++) {
      const s = t.occ[i];
      if (s < bodyStart) titleSpans.push({ start: s - titleStart, end: s - titleStart + t.length, term });
      else if (s < extraStart) bodySpans.push({ start: s - bodyStart, end: s - bodyStart + t.length, term });
    }
  });
  return {
    id: doc.id,
    title: doc.title,
    title_html: highlight(doc.title, titleSpans),
    url: doc.url,
    source: doc.source,
    date: doc.date,
    tags: doc.tags,
    categories: doc.categories,
    score: Math.round(r.score * 1000) / 1000,
    snippet: snippet(index.bodyText(d), bodySpans, { length: LIMITS.snippetLength }),
  };
}
