/**
 * Query execution: parse the query, match every clause (a part verbatim, or word by word as a
 * looser match; a phrase; alternatives), filter, rank, facet, and cut highlighted snippets for
 * the page of hits.
 *
 * Order of hits (sort=relevance): documents matching more clauses verbatim come first (so every
 * article that contains the query as typed ranks above articles that merely contain its words),
 * then by score (BM25F + proximity, blended with freshness), then newer first.
 * sort=date: newest first, then by that order.
 */
import type { QueryPart } from '../analysis/analyzer.js';
import type { IndexStats, NewsIndex } from '../index/news-index.js';
import { readerOf, type IndexReader, type Segment } from '../index/reader.js';
import { SearchError } from '../errors.js';
import { lowerBound, partitionPoint } from '../index/bitset.js';
import {
  findTerm,
  findPhrase,
  regroup,
  docSlot,
  hasDoc,
  intersect,
  union,
  difference,
  liveOnly,
  type TermMatches,
} from './matcher.js';
import {
  DEFAULT_RANKING,
  bm25f,
  idf,
  minGap,
  proximityBonus,
  freshnessFactor,
  type FieldFrequencies,
  type RankingParams,
} from './ranking.js';
import { highlight, snippet, type Span } from './snippet.js';
import { parseQuery, allParts, type ParsedQuery } from './query-syntax.js';
import {
  compileSegmentFilters,
  readerFacetCounts,
  parseDateBound,
  type FacetField,
} from './filters.js';
import { displayConverter, type DisplayScript } from './display.js';
import { equivalents, type Equivalent } from './expansion.js';
import { LIMITS as API_LIMITS, type Hit, type SearchResult, type TermExplanation } from '../api.js';

export const LIMITS = { maxParts: 32, maxWindow: API_LIMITS.maxWindow, snippetLength: 120 };

export interface SearchParams {
  q: string;
  page: number;
  size: number;
  source?: string[];
  tag?: string[];
  /** `YYYY-MM-DD` (or ISO time), inclusive. */
  from?: string;
  /** `YYYY-MM-DD` (or ISO time), inclusive (a date includes its whole day, UTC). */
  to?: string;
  sort?: 'relevance' | 'date';
  facets?: FacetField[];
  explain?: boolean;
  /** Show titles and snippets in this script (display only; matching is unaffected). */
  script?: DisplayScript;
  /** Show one hit per near-duplicate group, listing the others in `duplicates` (default false). */
  collapse?: boolean;
  /** `performance.now()` past which ranking stops: the hits ranked so far, with timed_out. */
  deadline?: number;
  /**
   * Score every candidate instead of skipping those whose score bound cannot reach the page
   * (same answers, slower; the reference the bounded top-k is tested against).
   */
  exhaustive?: boolean;
}

/** Collection-wide counts for ranking, when the searched reader holds only candidates. */
export interface CollectionStats {
  /** Live documents in the collection. */
  docCount: number;
  stats: IndexStats;
  /**
   * When the reader holds only the top candidates (backend.ts, fast path): the collection's
   * document frequency per term text, the number of matching documents, and the newest match's
   * time (ms), which the reader's few documents cannot give.
   */
  docFreq?: ReadonlyMap<string, number>;
  total?: number;
  newest?: number;
  /**
   * Document frequencies in the order assignIdfs visits the query's terms (per clause,
   * alternative and part: the part, then its words), as an earlier search of the same query
   * counted them over every document holding one of its terms (backend.ts): they override
   * docFreq and the reader's counts, so a reader of the query's possible matches alone ranks
   * as that one did.
   */
  termDocFreqs?: readonly number[];
  /** Called with the document frequencies this search used, in that order. */
  onTermDocFreqs?: (dfs: number[]) => void;
}

// The result's shape is part of the API contract, defined with the request schemas.
export type { Explanation, Hit, SearchResult, TermExplanation } from '../api.js';

/** How one query part is matched: verbatim, or (looser) all of its jieba words anywhere. */
interface PartPlan {
  verbatim: TermMatches;
  verbatimIdf: number;
  /** jieba words, when the part may also match word by word. */
  words: TermMatches[];
  wordIdfs: number[];
  /** Documents matching the part at all (verbatim ∪ word by word). */
  docs: Int32Array;
  /** For merged forms: what each form bridges (index = TermMatches.forms value; 0 = as typed). */
  formVia?: string[][];
}

/** One alternative of a clause: parts that must all match, or one phrase. */
interface AltPlan {
  parts: PartPlan[];
  docs: Int32Array;
  /** For a regional equivalent of what was typed: what it bridges ("身份证 ≡ 身分證"). */
  via?: string[];
  /**
   * An equivalent of only part of a word typed (软件公司 → 软体公司) is a looser match: it ranks
   * below articles holding what was typed, as words apart do. One of the whole word (软件 →
   * 軟體) ranks with them.
   */
  partial?: boolean;
  /** Where the last lookup in `docs` ended (hasDoc). */
  cursor?: number;
}

interface ClausePlan {
  alts: AltPlan[];
  docs: Int32Array;
}

/** Words shorter than two characters match almost everywhere: no looser match through them. */
export function looseWords(part: QueryPart): string[] {
  if (part.words.length < 2) return [];
  const ok = part.words.every((w) => [...w].length >= 2 || /^[a-z0-9]+$/.test(w));
  return ok ? part.words : [];
}

const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

/** One segment as a query sees it: its index, live-docs, and where its documents start. */
interface SegmentContext {
  index: NewsIndex;
  live: Uint8Array | null;
  /** Position in the reader's segments. */
  slot: number;
  base: number;
}

/** Occurrences of a term in the live documents of one segment. */
function liveTerm(ctx: SegmentContext, text: string, cps: number[]): TermMatches {
  return liveOnly(findTerm(ctx.index, text, cps), ctx.live);
}

/**
 * Inverse document frequencies are set after every segment is planned (assignIdfs): they come
 * from document frequencies summed over the segments, so a score does not depend on how the
 * documents fall into segments.
 */
const PENDING_IDF = NaN;

function planPart(ctx: SegmentContext, part: QueryPart, cache: Map<string, PartPlan>): PartPlan {
  const cached = cache.get(part.text);
  if (cached) return cached;
  const verbatim = liveTerm(ctx, part.text, part.codePoints);
  const words = looseWords(part).map((w) => liveTerm(ctx, w, codePoints(w)));
  let docs = verbatim.docs;
  if (words.length) {
    let all = words[0].docs;
    for (const w of words.slice(1)) all = intersect(all, w.docs);
    docs = union(verbatim.docs, difference(all, verbatim.docs));
  }
  const plan = {
    verbatim,
    verbatimIdf: PENDING_IDF,
    words,
    wordIdfs: words.map(() => PENDING_IDF),
    docs,
  };
  cache.set(part.text, plan);
  return plan;
}

function planPhrase(ctx: SegmentContext, parts: QueryPart[]): PartPlan {
  const text = parts.map((p) => p.text).join(' ');
  const verbatim = liveOnly(
    findPhrase(
      ctx.index,
      text,
      parts.map((p) => p.codePoints),
    ),
    ctx.live,
  );
  return {
    verbatim,
    verbatimIdf: PENDING_IDF,
    words: [],
    wordIdfs: [],
    docs: verbatim.docs,
  };
}

/**
 * An equivalent form is matched like the form typed (its occurrences counted the same way, its
 * words apart as the looser match), so either form of a pair ranks the articles alike — but a
 * document counts only where the form occurs at least once as whole jieba words, never only
 * inside other words (布什 in 公布什么, 内存 in 国内存款).
 */
function planEquivalent(
  ctx: SegmentContext,
  e: Equivalent,
  cache: Map<string, PartPlan>,
): PartPlan {
  const { index } = ctx;
  // No words given: an equivalent matches only as written.
  const plan = planPart(ctx, { text: e.text, codePoints: e.codePoints, words: [] }, cache);
  const all = plan.verbatim;
  const keep: number[] = [];
  all.docs.forEach((_d, i) => {
    for (let k = all.docFrom[i]; k < all.docFrom[i + 1]; k++) {
      const s = all.occ[k];
      if (index.wordStartsAt(s) && index.wordStartsAt(s + all.length)) {
        for (let j = all.docFrom[i]; j < all.docFrom[i + 1]; j++) keep.push(all.occ[j]);
        return;
      }
    }
  });
  if (keep.length === all.occ.length) return plan;
  const verbatim = regroup(index, e.text, all.length, Int32Array.from(keep));
  return {
    ...plan,
    verbatim,
    verbatimIdf: PENDING_IDF,
    docs: verbatim.docs,
  };
}

/**
 * The occurrences of several forms (each ascending) as one ascending list, by a k-way merge:
 * where forms start at one position, the longest wins, then the earliest form (0 = as typed).
 * Linear in the occurrences, and no object per occurrence: a frequent word (部分, 用户) and its
 * equivalents hold tens of thousands of them in a large archive.
 */
export function mergeOccurrences(
  index: NewsIndex,
  text: string,
  length: number,
  forms: TermMatches[],
  equivalentWeight: number,
): TermMatches {
  const endOf = (f: number, i: number) => {
    const v = forms[f];
    return v.ends ? v.ends[i] : v.occ[i] + v.length;
  };
  let size = 0;
  for (const f of forms) size += f.occ.length;
  const occ = new Int32Array(size);
  const ends = new Int32Array(size);
  const weights = new Float32Array(size);
  const formOf = new Uint8Array(size);
  const at = new Array<number>(forms.length).fill(0);
  let n = 0;
  for (;;) {
    let best = -1;
    let pos = 0;
    let end = 0;
    for (let f = 0; f < forms.length; f++) {
      if (at[f] >= forms[f].occ.length) continue;
      const p = forms[f].occ[at[f]];
      if (best < 0 || p < pos) {
        best = f;
        pos = p;
        end = endOf(f, at[f]);
      } else if (p === pos) {
        const e = endOf(f, at[f]);
        if (e > end) {
          best = f;
          end = e;
        }
      }
    }
    if (best < 0) break;
    occ[n] = pos;
    ends[n] = end;
    weights[n] = best === 0 ? 1 : equivalentWeight;
    formOf[n++] = best;
    // Every form's occurrence at this position is covered by the one kept.
    for (let f = 0; f < forms.length; f++)
      if (at[f] < forms[f].occ.length && forms[f].occ[at[f]] === pos) at[f]++;
  }
  const merged = regroup(index, text, length, occ.subarray(0, n));
  merged.ends = ends.subarray(0, n);
  merged.weights = weights.subarray(0, n);
  merged.forms = formOf.subarray(0, n);
  return merged;
}

/**
 * The form typed and its equivalents as one term, the way a search engine treats synonyms:
 * the occurrences of every form together, one idf from the articles holding any of them, an
 * equivalent's occurrences weighing `equivalentWeight`. Either form of a pair (软件 / 軟體) so
 * ranks the same articles nearly alike; of two articles alike but for the form, the one in the
 * form typed ranks first.
 */
function mergeForms(
  index: NewsIndex,
  ranking: RankingParams,
  typed: PartPlan,
  eqs: { plan: PartPlan; via: string[] }[],
): PartPlan {
  const all = [{ plan: typed, via: [] as string[] }, ...eqs];
  const merged = mergeOccurrences(
    index,
    typed.verbatim.text,
    typed.verbatim.length,
    all.map(({ plan }) => plan.verbatim),
    ranking.equivalentWeight,
  );
  return {
    verbatim: merged,
    verbatimIdf: PENDING_IDF,
    words: [],
    wordIdfs: [],
    docs: merged.docs,
    formVia: all.map((a) => a.via),
  };
}

/**
 * A part matched only as written: what was quoted, and a table term, which is one unit of
 * meaning: its words apart do not carry it (数字 … 身份证 is not 数字身份证; 数字 alone may mean
 * "digits"). So a word typed that the table knows, and each of its equivalents, match only as
 * written.
 */
function verbatimOnly(plan: PartPlan): PartPlan {
  return plan.words.length === 0
    ? plan
    : { ...plan, words: [], wordIdfs: [], docs: plan.verbatim.docs };
}

function planClauses(
  ctx: SegmentContext,
  parsed: ParsedQuery,
  ranking: RankingParams,
  expand: (part: QueryPart) => Equivalent[],
): ClausePlan[] {
  const { index } = ctx;
  const cache = new Map<string, PartPlan>();
  return parsed.clauses.map((clause) => {
    const alts = clause.flatMap((alt): AltPlan[] => {
      // Quoted: verbatim only. One part needs no phrase matching, only no looser match.
      const parts = !alt.phrase
        ? alt.parts.map((p) => planPart(ctx, p, cache))
        : alt.parts.length === 1
          ? [verbatimOnly(planPart(ctx, alt.parts[0], cache))]
          : [planPhrase(ctx, alt.parts)];
      if (alt.phrase || alt.parts.length !== 1)
        return [{ parts, docs: intersectAll(parts.map((p) => p.docs)) }];
      // Regional equivalents of a word typed on its own: 身份证 also finds 身分證.
      const found = expand(alt.parts[0]);
      const whole = found.filter((e) => e.whole);
      const typedPlan = whole.length
        ? mergeForms(
            index,
            ranking,
            verbatimOnly(parts[0]),
            whole.map((e) => ({ plan: planEquivalent(ctx, e, cache), via: e.via })),
          )
        : parts[0];
      const typed: AltPlan = { parts: [typedPlan], docs: typedPlan.docs };
      const variants = found
        .filter((e) => !e.whole)
        .map((e): AltPlan => {
          const plan = planEquivalent(ctx, e, cache);
          return { parts: [plan], docs: plan.docs, via: e.via, partial: true };
        });
      return [typed, ...variants];
    });
    return { alts, docs: alts.slice(1).reduce((acc, a) => union(acc, a.docs), alts[0].docs) };
  });
}

/**
 * Set every plan's idfs from document frequencies summed over the segments. Planning depends
 * only on the query, so every segment's plans have the same shape: the part at one place in
 * them is the same term in every segment.
 */
function assignIdfs(plans: ClausePlan[][], docCount: number, collection?: CollectionStats): void {
  const docFreq = collection?.docFreq;
  const given = collection?.termDocFreqs;
  const used: number[] = [];
  const dfOf = (text: string, counted: number) => {
    const df = given ? given[used.length] : (docFreq?.get(text) ?? counted);
    used.push(df);
    return df;
  };
  plans[0].forEach((clause, c) => {
    clause.alts.forEach((alt, a) => {
      alt.parts.forEach((_, p) => {
        const same = plans.map((segmentPlans) => segmentPlans[c].alts[a].parts[p]);
        let df = 0;
        for (const x of same) df += x.verbatim.docs.length;
        const verbatimIdf = idf(docCount, dfOf(same[0].verbatim.text, df));
        const wordIdfs = same[0].words.map((_, w) => {
          let wdf = 0;
          for (const x of same) wdf += x.words[w].docs.length;
          return idf(docCount, dfOf(same[0].words[w].text, wdf));
        });
        for (const x of same) {
          x.verbatimIdf = verbatimIdf;
          x.wordIdfs = wordIdfs;
        }
      });
    });
  });
  // Frequencies given for another plan shape would score silently wrong.
  if (given && given.length !== used.length)
    throw new Error(`termDocFreqs: ${given.length} given for ${used.length} terms`);
  collection?.onTermDocFreqs?.(used);
}

/** Rarest list first keeps the running intersection small. */
function intersectAll(lists: Int32Array[]): Int32Array {
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  return sorted.slice(1).reduce((acc, l) => intersect(acc, l), sorted[0]);
}

/** The terms that matched one document, in query order: a part, or its words. */
interface DocTerm {
  text: string;
  via: 'verbatim' | 'words';
  occ: Int32Array;
  ends?: Int32Array;
  /** Per occurrence weight (merged regional forms). */
  weights?: Float32Array;
  length: number;
  idf: number;
  /** Score weight: 1 verbatim, looseWeight for words of a part not found verbatim. */
  weight: number;
}

function docTerms(
  clauses: ClausePlan[],
  d: number,
  ranking: RankingParams,
): { terms: DocTerm[]; verbatimClauses: number; via: string[] } {
  const terms: DocTerm[] = [];
  const via: string[] = [];
  let verbatimClauses = 0;
  for (const clause of clauses) {
    let verbatimClause = false;
    for (const alt of clause.alts) {
      if (!hasDoc(alt.docs, d, alt)) continue;
      if (alt.via) via.push(...alt.via);
      const altWeight = alt.via ? ranking.equivalentWeight : 1;
      let allVerbatim = true;
      for (const p of alt.parts) {
        const slot = docSlot(p.verbatim, d);
        if (slot >= 0) {
          const from = p.verbatim.docFrom[slot];
          const to = p.verbatim.docFrom[slot + 1];
          if (p.formVia && p.verbatim.forms) {
            for (let k = from; k < to; k++)
              if (p.verbatim.forms[k] > 0) via.push(...p.formVia[p.verbatim.forms[k]]);
          }
          terms.push({
            text: p.verbatim.text,
            via: 'verbatim',
            occ: p.verbatim.occ.subarray(from, to),
            ends: p.verbatim.ends?.subarray(from, to),
            weights: p.verbatim.weights?.subarray(from, to),
            length: p.verbatim.length,
            idf: p.verbatimIdf,
            weight: altWeight,
          });
          continue;
        }
        allVerbatim = false;
        p.words.forEach((w, i) => {
          const s = docSlot(w, d);
          if (s < 0) return;
          terms.push({
            text: w.text,
            via: 'words',
            occ: w.occ.subarray(w.docFrom[s], w.docFrom[s + 1]),
            length: w.length,
            idf: p.wordIdfs[i],
            weight: ranking.looseWeight,
          });
        });
      }
      if (allVerbatim && !alt.partial) verbatimClause = true;
    }
    if (verbatimClause) verbatimClauses++;
  }
  return { terms, verbatimClauses, via };
}

interface Scored {
  relevance: number;
  /** How many of the terms occur in the title. */
  titleTerms: number;
  parts?: { terms: TermExplanation[]; proximity: number };
}

function scoreDoc(
  index: NewsIndex,
  stats: IndexStats,
  ranking: RankingParams,
  d: number,
  terms: DocTerm[],
  explain: boolean,
): Scored {
  const bodyStart = index.bodyStart(d);
  const extraStart = index.extraStart(d);
  const titleLen = index.titleLength(d);
  const bodyLen = index.bodyLength(d);
  const leadEnd = bodyStart + Math.min(bodyLen, ranking.leadLength);
  const { avgTitleLength, avgBodyLength } = stats;
  let relevance = 0;
  let titleTerms = 0;
  const explained: TermExplanation[] = [];
  for (const t of terms) {
    const tf: FieldFrequencies = { title: 0, body: 0, lead: 0, extra: 0 };
    let wholeInTitle = false;
    for (let i = 0; i < t.occ.length; i++) {
      const s = t.occ[i];
      const end = t.ends ? t.ends[i] : s + t.length;
      const whole = index.wordStartsAt(s) && index.wordStartsAt(end);
      const w = (whole ? 1 : ranking.subwordWeight) * (t.weights ? t.weights[i] : 1);
      if (s < bodyStart) {
        tf.title += w;
        wholeInTitle ||= whole;
      } else if (s < extraStart) {
        tf.body += w;
        if (s < leadEnd) tf.lead += w;
      } else tf.extra += w;
    }
    const bm =
      t.weight * bm25f(ranking, tf, t.idf, titleLen, bodyLen, avgTitleLength, avgBodyLength);
    const titleBonus =
      tf.title > 0
        ? t.weight * t.idf * ranking.titleMatch * (wholeInTitle ? 1 : ranking.subwordWeight)
        : 0;
    relevance += bm + titleBonus;
    if (tf.title > 0) titleTerms++;
    if (explain)
      explained.push({
        term: t.text,
        via: t.via,
        title: tf.title,
        body: tf.body,
        page_text: tf.extra,
        idf: round(t.idf),
        bm25f: round(bm),
        title_bonus: round(titleBonus),
      });
  }
  const fieldOf = (p: number) => (p < bodyStart ? 0 : p < extraStart ? 1 : 2);
  let proximity = 0;
  for (let i = 0; i + 1 < terms.length; i++) {
    const a = terms[i];
    const b = terms[i + 1];
    proximity += proximityBonus(
      ranking,
      minGap(a.occ, a.length, b.occ, b.length, fieldOf),
      a.idf,
      b.idf,
    );
  }
  relevance += proximity;
  return explain
    ? { relevance, titleTerms, parts: { terms: explained, proximity: round(proximity) } }
    : { relevance, titleTerms };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * For the bounded top-k: document d's verbatim clause count (into `out`) and an upper bound of
 * scoreDoc's relevance, walking the clauses as docTerms does but reading only where the
 * occurrences lie (a binary search per field boundary): every occurrence counted as a whole
 * word of full weight, consecutive terms as adjacent. No term is materialized. BM25F grows with
 * each field's frequency, so the bound holds for the ranking parameters `boundable` accepts.
 */
function relevanceBound(
  index: NewsIndex,
  stats: IndexStats,
  ranking: RankingParams,
  clauses: ClausePlan[],
  d: number,
  out: { verbatimClauses: number },
): number {
  const bodyStart = index.bodyStart(d);
  const extraStart = index.extraStart(d);
  const titleLen = index.titleLength(d);
  const bodyLen = index.bodyLength(d);
  const leadEnd = bodyStart + Math.min(bodyLen, ranking.leadLength);
  const wholeMax = Math.max(1, ranking.subwordWeight);
  const tf: FieldFrequencies = { title: 0, body: 0, lead: 0, extra: 0 };
  let relevance = 0;
  let prevIdf = NaN;
  const term = (t: TermMatches, slot: number, termIdf: number, weight: number) => {
    const from = t.docFrom[slot];
    const to = t.docFrom[slot + 1];
    const w = wholeMax * (t.weights ? Math.max(1, ranking.equivalentWeight) : 1);
    const title = lowerBound(t.occ, bodyStart, from, to);
    const body = lowerBound(t.occ, extraStart, title, to);
    tf.title = (title - from) * w;
    tf.body = (body - title) * w;
    // Lead weight 0 (the default): no third search for a count that weighs nothing.
    tf.lead = ranking.leadWeight > 0 ? (lowerBound(t.occ, leadEnd, title, body) - title) * w : 0;
    tf.extra = (to - body) * w;
    relevance +=
      weight *
      bm25f(ranking, tf, termIdf, titleLen, bodyLen, stats.avgTitleLength, stats.avgBodyLength);
    if (title > from) relevance += weight * termIdf * ranking.titleMatch * wholeMax;
    if (!Number.isNaN(prevIdf) && ranking.proximityWeight > 0)
      relevance += ranking.proximityWeight * Math.min(prevIdf, termIdf);
    prevIdf = termIdf;
  };
  let verbatimClauses = 0;
  for (const clause of clauses) {
    let verbatimClause = false;
    for (const alt of clause.alts) {
      if (!hasDoc(alt.docs, d, alt)) continue;
      const altWeight = alt.via ? ranking.equivalentWeight : 1;
      let allVerbatim = true;
      for (const p of alt.parts) {
        const slot = docSlot(p.verbatim, d);
        if (slot >= 0) {
          term(p.verbatim, slot, p.verbatimIdf, altWeight);
          continue;
        }
        allVerbatim = false;
        p.words.forEach((w, i) => {
          const s = docSlot(w, d);
          if (s >= 0) term(w, s, p.wordIdfs[i], ranking.looseWeight);
        });
      }
      if (allVerbatim && !alt.partial) verbatimClause = true;
    }
    if (verbatimClause) verbatimClauses++;
  }
  out.verbatimClauses = verbatimClauses;
  return relevance;
}

/** Whether relevanceBound bounds scoreDoc under these parameters (scores grow with counts). */
function boundable(r: RankingParams): boolean {
  return (
    r.k1 > 0 &&
    r.titleB >= 0 &&
    r.titleB <= 1 &&
    r.bodyB >= 0 &&
    r.bodyB <= 1 &&
    r.titleWeight >= 0 &&
    r.extraWeight >= 0 &&
    r.titleMatch >= 0 &&
    r.leadWeight >= 0 &&
    r.subwordWeight >= 0 &&
    r.equivalentWeight >= 0 &&
    r.looseWeight >= 0 &&
    r.proximityWeight >= 0
  );
}

interface Ranked {
  /** Global document number (reader.ts). */
  doc: number;
  /** Its segment (position in the reader) and number there. */
  slot: number;
  local: number;
  /** Its id: the last tie-break, so an order never depends on how documents fall into segments. */
  id: string;
  verbatimClauses: number;
  /** Query terms found in its title. */
  titleTerms: number;
  score: number;
  time: number;
  /** Other members of its near-duplicate group in the result set. */
  dups?: number[];
}

/** Make `a` show the document `b` showed and the other way round (its place stays). */
function swapDocs(a: Ranked, b: Ranked): void {
  [a.doc, b.doc] = [b.doc, a.doc];
  [a.slot, b.slot] = [b.slot, a.slot];
  [a.local, b.local] = [b.local, a.local];
  [a.id, b.id] = [b.id, a.id];
}

/**
 * Without collapsing, every copy of a story stays in the list, but the original (the group's
 * earliest member) takes the best place any copy reached, and the copy that reached it takes
 * the original's: copies are re-ordered among themselves, nothing else moves. Only where the
 * original matches the query as well (as many parts verbatim, as many terms in its title):
 * near-duplicates that differ where the query matches (the parts of a serial, a follow-up
 * with a new headline) are different articles for that query.
 */
function promoteOriginals(
  reader: IndexReader,
  ranked: Ranked[],
  order: (a: Ranked, b: Ranked) => number,
): Ranked[] {
  const best = new Map<number, Ranked>();
  const original = new Map<number, Ranked>();
  for (const r of ranked) {
    const rep = reader.dupOf(r.doc);
    if (rep < 0) continue;
    const b = best.get(rep);
    if (!b || order(r, b) < 0) best.set(rep, r);
    if (r.doc === rep) original.set(rep, r);
  }
  for (const [rep, b] of best) {
    const o = original.get(rep);
    if (!o || o === b) continue;
    if (o.verbatimClauses < b.verbatimClauses || o.titleTerms < b.titleTerms) continue;
    // Swap which document each place shows; the places (sort keys) stay.
    swapDocs(o, b);
  }
  return ranked;
}

/**
 * One entry per near-duplicate group, ranked where its best member ranks. The entry shows the
 * group's representative (the earliest, original story) when it matched, else the best member.
 */
function collapseDuplicates(
  reader: IndexReader,
  ranked: Ranked[],
  order: (a: Ranked, b: Ranked) => number,
): Ranked[] {
  const groups = new Map<number, Ranked[]>();
  const out: Ranked[] = [];
  for (const r of ranked) {
    const rep = reader.dupOf(r.doc);
    if (rep < 0) out.push(r);
    else {
      const g = groups.get(rep);
      if (g) g.push(r);
      else groups.set(rep, [r]);
    }
  }
  for (const [rep, members] of groups) {
    if (members.length === 1) {
      out.push(members[0]);
      continue;
    }
    const best = members.reduce((a, b) => (order(a, b) <= 0 ? a : b));
    const shown = members.find((m) => m.doc === rep) ?? best;
    out.push({
      ...best,
      doc: shown.doc,
      slot: shown.slot,
      local: shown.local,
      id: shown.id,
      dups: members.filter((m) => m !== shown).map((m) => m.doc),
    });
  }
  return out;
}

const byRelevance = (a: Ranked, b: Ranked) =>
  b.verbatimClauses - a.verbatimClauses ||
  b.score - a.score ||
  b.time - a.time ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byDate = (a: Ranked, b: Ranked) => b.time - a.time || byRelevance(a, b);

/** Documents containing every part of one exclusion verbatim (in one segment). */
function excludedDocs(ctx: SegmentContext, exclusions: QueryPart[][]): Int32Array {
  let out: Int32Array = new Int32Array(0);
  for (const parts of exclusions)
    out = union(out, intersectAll(parts.map((p) => liveTerm(ctx, p.text, p.codePoints).docs)));
  return out;
}

/** The live documents of a segment, ascending. */
function liveDocs(seg: Segment): Int32Array {
  const out = new Int32Array(seg.liveCount);
  let m = 0;
  for (let d = 0; d < seg.size; d++) if (seg.isLive(d)) out[m++] = d;
  return out;
}

/**
 * Search a reader (a segmented index), or one NewsIndex as a one-segment reader. Every segment
 * is matched on its own; document frequencies, the document count and average field lengths
 * are the reader's (over the live documents of all segments); the hits of all segments are
 * ranked together.
 */
export function search(
  target: NewsIndex | IndexReader,
  params: SearchParams,
  ranking: RankingParams = DEFAULT_RANKING,
  collection?: CollectionStats,
): SearchResult {
  const started = performance.now();
  const reader = readerOf(target);
  // A storage backend's candidate reader holds only documents with a query term; the counts
  // behind idf and BM25F's length normalization are the whole collection's (backend/backend.ts).
  const docCount = collection?.docCount ?? reader.size;
  const stats = collection?.stats ?? reader.stats;
  const { page, size } = params;
  if (page * size > LIMITS.maxWindow) {
    throw new SearchError(
      'bad_request',
      `page × size must be at most ${LIMITS.maxWindow} (asked for ${page} × ${size})`,
    );
  }
  const parsed = parseQuery(params.q);
  const distinct = allParts(parsed).length + parsed.exclude.length;
  if (distinct > LIMITS.maxParts) {
    throw new SearchError(
      'invalid_query',
      `the query has ${distinct} distinct terms; at most ${LIMITS.maxParts} are allowed`,
    );
  }
  const filters = {
    sources: [...(params.source ?? []), ...parsed.sources],
    tags: [...(params.tag ?? []), ...parsed.tags],
    from: params.from === undefined ? undefined : parseDateBound(params.from, 'from'),
    to: params.to === undefined ? undefined : parseDateBound(params.to, 'to'),
  };
  const hasFilter =
    filters.sources.length > 0 ||
    filters.tags.length > 0 ||
    filters.from !== undefined ||
    filters.to !== undefined;
  if (parsed.clauses.length === 0 && parsed.exclude.length > 0 && !hasFilter) {
    throw new SearchError(
      'invalid_query',
      'the query only excludes words (-word): add at least one word to search for',
    );
  }
  let timedOut = false;
  const done = (total: number, hits: Hit[], facets?: SearchResult['facets']): SearchResult => ({
    query: params.q,
    total,
    page,
    size,
    took_ms: Math.round((performance.now() - started) * 100) / 100,
    hits,
    ...(facets ? { facets } : {}),
    ...(timedOut ? { timed_out: true as const } : {}),
  });
  const facetFields = params.facets ?? [];
  const facetsOf = (docs: ArrayLike<number>) =>
    facetFields.length ? readerFacetCounts(reader, docs, facetFields) : undefined;
  // Nothing to match (punctuation or emoji only) and nothing to browse by: no hits.
  if ((parsed.clauses.length === 0 && !hasFilter) || reader.size === 0)
    return done(0, [], facetsOf([]));

  const contexts: SegmentContext[] = [];
  reader.segments.forEach((seg, slot) => {
    if (seg.liveCount > 0)
      contexts.push({ index: seg.index, live: seg.live, slot, base: reader.bases[slot] });
  });
  const filterOf = compileSegmentFilters(reader, filters);
  // Equivalents once per query part, not once per segment: a database search's candidates are
  // one segment each (backend/postgres.ts), thousands for a common word.
  const expanded = new Map<QueryPart, Equivalent[]>();
  const expand = (part: QueryPart) => {
    let found = expanded.get(part);
    if (!found) expanded.set(part, (found = equivalents(part)));
    return found;
  };
  const plans = contexts.map((ctx) => planClauses(ctx, parsed, ranking, expand));
  if (plans.length && plans[0].length) assignIdfs(plans, docCount, collection);
  const candidatesOf = contexts.map((ctx, i) => {
    const clauses = plans[i];
    const seg = reader.segments[ctx.slot];
    let candidates: Int32Array = clauses.length
      ? intersectAll(clauses.map((c) => c.docs))
      : liveDocs(seg);
    if (parsed.exclude.length)
      candidates = difference(candidates, excludedDocs(ctx, parsed.exclude));
    const keep = filterOf(ctx.slot);
    if (keep) candidates = candidates.filter(keep);
    return candidates;
  });

  // Freshness counts age back from the newest matching article: in an archive, "now" is where
  // the story's coverage ends, not the date of the last article indexed on any topic.
  let newest = collection?.newest ?? 0;
  contexts.forEach(({ index }, i) => {
    const candidates = candidatesOf[i];
    for (let j = 0; j < candidates.length; j++)
      newest = Math.max(newest, index.dateMs[candidates[j]]);
  });
  const ranked: Ranked[] = [];
  const deadline = params.deadline ?? Infinity;
  const k = page * size;
  // Top-k without scoring every candidate (relevance order, no collapsing): a candidate whose
  // score bound cannot reach the k-th best so far is counted but not scored. `best` holds the
  // k best scored so far, in order. Totals and facets still cover every candidate.
  const prune =
    params.exhaustive !== true &&
    params.sort !== 'date' &&
    params.collapse !== true &&
    boundable(ranking);
  const best: Ranked[] = [];
  const counted: number[] | null = prune && facetFields.length ? [] : null;
  let total = 0;
  let scored = 0;
  // Where ranking stopped (a deadline): candidates before it were ranked or counted.
  let stop = { ctx: contexts.length, at: 0 };
  const bound = { verbatimClauses: 0 };
  // The largest freshness factor there is: a bound below the k-th best even with it needs no
  // factor of its own (a power per candidate).
  const freshest = Math.max(1, 1 + ranking.freshnessWeight);
  const rank = (ctx: SegmentContext, clauses: ClausePlan[], d: number, bounded: boolean) => {
    const { index } = ctx;
    let fresh = Number.NaN;
    if (bounded && best.length === k) {
      const kth = best[k - 1];
      const ub = relevanceBound(index, stats, ranking, clauses, d, bound);
      if (bound.verbatimClauses < kth.verbatimClauses) return;
      if (bound.verbatimClauses === kth.verbatimClauses) {
        if (ub * freshest * (1 + 1e-9) < kth.score) return;
        fresh = freshnessFactor(ranking, index.dateMs[d], newest);
        if (fresh > 0 && ub * fresh * (1 + 1e-9) < kth.score) return;
      }
    }
    if (Number.isNaN(fresh)) fresh = freshnessFactor(ranking, index.dateMs[d], newest);
    const { terms, verbatimClauses } = docTerms(clauses, d, ranking);
    const { relevance, titleTerms } = scoreDoc(index, stats, ranking, d, terms, false);
    const r: Ranked = {
      doc: ctx.base + d,
      slot: ctx.slot,
      local: d,
      id: index.docs[d].id,
      verbatimClauses,
      titleTerms,
      score: relevance * fresh,
      time: index.dateMs[d],
    };
    ranked.push(r);
    if (prune && k > 0 && (best.length < k || byRelevance(r, best[k - 1]) < 0)) {
      best.splice(
        partitionPoint(0, best.length, (m) => byRelevance(best[m], r) <= 0),
        0,
        r,
      );
      if (best.length > k) best.pop();
    }
  };
  for (let i = 0; i < contexts.length && !timedOut; i++) {
    const ctx = contexts[i];
    const candidates = candidatesOf[i];
    const clauses = plans[i];
    for (let j = 0; j < candidates.length; j++) {
      // The clock is read once per 64 candidates: cheap, and a budget overrun of microseconds.
      // Out of time: the hits (and total, facets) cover the documents ranked so far.
      if ((++scored & 63) === 0 && performance.now() > deadline) {
        timedOut = true;
        stop = { ctx: i, at: j };
        break;
      }
      total++;
      counted?.push(ctx.base + candidates[j]);
      rank(ctx, clauses, candidates[j], prune);
    }
  }
  if (prune && ranking.promoteOriginals) {
    // promoteOriginals swaps an original with the best copy of its group: the originals of the
    // groups scored are scored too where they match (were ranked or counted), as without pruning.
    const have = new Set(ranked.map((r) => r.doc));
    const ctxOf = new Map(contexts.map((ctx, i) => [ctx.slot, i]));
    for (const r of ranked.slice()) {
      const rep = reader.dupOf(r.doc);
      if (rep < 0 || have.has(rep)) continue;
      have.add(rep);
      const slot = reader.segmentOf(rep);
      const i = ctxOf.get(slot);
      if (i === undefined || i > stop.ctx) continue;
      const local = rep - reader.bases[slot];
      const at = lowerBound(candidatesOf[i], local);
      if (at >= candidatesOf[i].length || candidatesOf[i][at] !== local) continue;
      if (i === stop.ctx && at >= stop.at) continue;
      rank(contexts[i], plans[i], local, false);
    }
  }
  const order = params.sort === 'date' ? byDate : byRelevance;
  const shown =
    params.collapse === true
      ? collapseDuplicates(reader, ranked, order)
      : ranking.promoteOriginals
        ? promoteOriginals(reader, ranked, order)
        : ranked;
  const top = topK(shown, k, order).slice((page - 1) * size);
  const convert = displayConverter(params.script);
  const planOf = new Map(contexts.map((ctx, i) => [ctx.slot, plans[i]]));
  const hits = top.map((r) =>
    toHit(reader, stats, ranking, planOf.get(r.slot) ?? [], r, params.explain === true, convert),
  );
  return done(
    collection?.total ?? (prune ? total : shown.length),
    hits,
    facetsOf(counted ?? shown.map((r) => r.doc)),
  );
}

/** The best k in order, without sorting everything when k is small. */
function topK(items: Ranked[], k: number, order: (a: Ranked, b: Ranked) => number): Ranked[] {
  if (items.length <= k * 4) return items.sort(order).slice(0, k);
  // Keep a sorted buffer of the best k; most items fail the first comparison.
  const best: Ranked[] = [];
  for (const it of items) {
    if (best.length === k && order(it, best[k - 1]) >= 0) continue;
    best.splice(
      partitionPoint(0, best.length, (m) => order(best[m], it) <= 0),
      0,
      it,
    );
    if (best.length > k) best.pop();
  }
  return best;
}

function toHit(
  reader: IndexReader,
  stats: IndexStats,
  ranking: RankingParams,
  clauses: ClausePlan[],
  r: Ranked,
  explain: boolean,
  convert: (s: string) => string,
): Hit {
  const index = reader.segments[r.slot].index;
  const d = r.local;
  const doc = index.docs[d];
  const { terms, verbatimClauses, via } = docTerms(clauses, d, ranking);
  const titleStart = index.titleStart(d);
  const bodyStart = index.bodyStart(d);
  const extraStart = index.extraStart(d);
  const titleSpans: Span[] = [];
  const bodySpans: Span[] = [];
  terms.forEach((t, term) => {
    for (let i = 0; i < t.occ.length; i++) {
      const s = t.occ[i];
      const end = t.ends ? t.ends[i] : s + t.length;
      if (s < bodyStart) titleSpans.push({ start: s - titleStart, end: end - titleStart, term });
      else if (s < extraStart) bodySpans.push({ start: s - bodyStart, end: end - bodyStart, term });
    }
  });
  const hit: Hit = {
    id: doc.id,
    title: convert(doc.title),
    title_html: convert(highlight(doc.title, titleSpans)),
    url: doc.url,
    source: doc.source,
    date: doc.date,
    tags: doc.tags,
    categories: doc.categories,
    score: round(r.score),
    snippet: convert(snippet(index.bodyText(d), bodySpans, { length: LIMITS.snippetLength })),
  };
  if (via.length) hit.matched_via = [...new Set(via)];
  if (r.dups?.length) hit.duplicates = r.dups.map((o) => reader.doc(o).id);
  if (explain) {
    const scored = scoreDoc(index, stats, ranking, d, terms, true);
    hit.explain = {
      verbatim_clauses: verbatimClauses,
      terms: scored.parts!.terms,
      proximity: scored.parts!.proximity,
      relevance: round(scored.relevance),
      freshness: round(r.score / (scored.relevance || 1)),
      score: round(r.score),
    };
  }
  return hit;
}
