/**
 * Where the documents live. The service searches either its embedded index (src/index/) or a
 * database (backend/postgres.ts); both answer the same few questions, and everything above them
 * (query syntax, matching, BM25F and proximity, snippets, facets, corrections, the HTTP layer)
 * is the same code.
 *
 * The contract that keeps rankings equal: `candidates(terms)` returns a reader holding at least
 * every live document that contains one of `terms` verbatim, with the whole collection's
 * document count and average field lengths. Matching runs on that reader, so a document
 * frequency counted there is the collection's: every document holding the term is in it.
 *
 * The fast path (`topCandidates`, for the queries fastQuery accepts) hands over only the best
 * matches by the database's own ranking, with the counts a reader of so few documents cannot
 * give: document frequency per term, the query's total and its newest match. The hits are then
 * ranked by our scorer with the collection's exact statistics, but among those candidates only.
 */
import { IndexReader } from '../index/reader.js';
import { normalize } from '../analysis/normalize.js';
import { segment } from '../analysis/segment.js';
import { isWordCodePoint } from '../analysis/analyzer.js';
import { relatedDocuments } from '../search/documents.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import type { WalOp } from '../index/wal.js';
import type { WriteResult } from '../index/writer.js';
import type { StoredDoc } from '../index/news-index.js';
import { parseQuery, allParts } from '../search/query-syntax.js';
import { equivalents } from '../search/expansion.js';
import { looseWords, search, type CollectionStats, type SearchParams } from '../search/searcher.js';
import { searchOrCorrectAsync, type CorrectionParams } from '../search/did-you-mean.js';
import { DEFAULT_RANKING, type RankingParams } from '../search/ranking.js';
import type { RelatedHit, SearchResult } from '../api.js';

export interface Candidates {
  reader: IndexReader;
  collection: CollectionStats;
  /** The shards' collection generations the candidates were read at (a stamp for what is
   * counted over them), where the backend reads them. */
  generation?: string;
}

/** A normalized term a query may match verbatim. */
export interface Term {
  text: string;
  codePoints: ArrayLike<number>;
  /** false: only checked on the candidates (an exclusion), which need not hold it. */
  fetch?: boolean;
}

/**
 * A relevance-sorted query the database can count exactly (see fastQuery): every clause must
 * hold, an alternative holds when all its parts do, and a part when its term occurs verbatim or,
 * for `words`, all its jieba words occur anywhere.
 */
export interface FastQuery {
  clauses: { term: string; words: string[] }[][][];
  /** Every term text named in clauses, with its code points. */
  terms: Map<string, ArrayLike<number>>;
}

export interface StorageBackend {
  /** Live documents in the collection. */
  size(): Promise<number>;
  /**
   * A reader holding every live document that contains one of `terms` verbatim (it may hold
   * more; terms with `fetch: false` fetch none), or every live document when `all` (a query of
   * filters only). Only the terms' occurrences need be findable in it.
   */
  candidates(terms: Term[], all?: boolean): Promise<Candidates>;
  /**
   * Optional fast path: the best `depth` matches of `query` by the database's own ranking (and
   * any near-duplicate originals among the matches), with the collection's exact counts for
   * ranking them (docFreq for every term, total, newest).
   */
  topCandidates?(query: FastQuery): Promise<Candidates>;
  /** How deep topCandidates reaches: it serves pages ending within half of it. */
  readonly candidateDepth?: number;
  /**
   * Optional exact path for a query the database can count (matchQuery): every document that
   * may match `query` (a superset of its matches; exclusions and filters are left to the
   * searcher), with the collection's exact docFreq for every term. Far fewer documents than
   * `candidates` (the documents holding any one term) for a query of several words.
   */
  matchCandidates?(query: FastQuery): Promise<Candidates>;
  /**
   * Optional, for the queries neither path above takes (a regional equivalent, a quoted phrase of
   * several words, a term with characters between words): only the documents that may match
   * `query` (supersetQuery), with the term document frequencies an earlier search of `q`
   * counted (rememberTermDocFreqs); undefined when none are held for the collection as it is now.
   */
  narrowCandidates?(q: string, query: FastQuery): Promise<Candidates | undefined>;
  /** Keep the term document frequencies a search of `q` counted, over candidates read at `generation`. */
  rememberTermDocFreqs?(q: string, generation: string, dfs: number[]): void;
  /** The suggestion vocabulary (title terms with document frequencies). */
  vocabulary(): readonly VocabularyEntry[];
  /** One live document with its body, or undefined. */
  document(id: string): Promise<(StoredDoc & { body: string }) | undefined>;
  /** Puts and deletes, durable and searchable when the promise resolves (writes.ts). */
  submit(ops: WalOp[]): Promise<WriteResult[]>;
  close(): Promise<void>;
}

/** Every term of a query whose documents the ranking may count or score. */
export function queryTerms(q: string): Term[] {
  const parsed = parseQuery(q);
  const terms = new Map<string, Term>();
  const add = (text: string, codePoints: ArrayLike<number>) => {
    if (!terms.has(text)) terms.set(text, { text, codePoints });
  };
  for (const part of allParts(parsed)) {
    add(part.text, part.codePoints);
    for (const w of looseWords(part))
      add(
        w,
        Array.from(w, (c) => c.codePointAt(0)!),
      );
    for (const e of equivalents(part)) add(e.text, e.codePoints);
  }
  const out = [...terms.values()];
  for (const parts of parsed.exclude)
    for (const p of parts)
      if (!terms.has(p.text)) out.push({ text: p.text, codePoints: p.codePoints, fetch: false });
  return out;
}

/**
 * The query as the fast path answers it, or null where only every match ranked in the service
 * gives the exact answer: sorting by date, facets, collapsing, filters, exclusions, and pages
 * past half the candidate depth (the exact path, matchQuery), or where the database cannot
 * count the query's terms exactly (matchQuery's null).
 */
export function fastQuery(params: SearchParams, depth: number): FastQuery | null {
  if (params.sort === 'date' || params.facets?.length || params.collapse) return null;
  if (params.source?.length || params.tag?.length || params.from || params.to) return null;
  if (params.page * params.size > depth / 2) return null;
  const parsed = parseQuery(params.q);
  if (parsed.exclude.length || parsed.sources.length || parsed.tags.length) return null;
  return matchQuery(params);
}

/**
 * The query's terms as the database matches and counts them exactly, or null: quoted phrases of
 * several words, regional equivalents (matched as whole words only, which the database cannot
 * check), terms with characters between words (the database's bigrams are then a superset),
 * and queries of filters only. Exclusions and filters are the searcher's (they only remove).
 */
export function matchQuery(params: SearchParams): FastQuery | null {
  return queryCondition(params.q, false);
}

/**
 * The query as a condition every document matching it meets (it may hold more): each part's
 * term or all its words, or any of its regional equivalents; a quoted phrase as all of its
 * parts. Null when a term has no word character (the database cannot look it up).
 */
export function supersetQuery(q: string): FastQuery | null {
  return queryCondition(q, true);
}

/** matchQuery (exact: null for what the database cannot count) or supersetQuery. */
function queryCondition(q: string, superset: boolean): FastQuery | null {
  const parsed = parseQuery(q);
  if (!parsed.clauses.length) return null;
  const terms = new Map<string, ArrayLike<number>>();
  const add = (text: string, cps: ArrayLike<number>) => {
    const found = superset ? Array.from(cps).some(isWordCodePoint) : singleRun(cps);
    if (found) terms.set(text, cps);
    return found;
  };
  const clauses: FastQuery['clauses'] = [];
  for (const clause of parsed.clauses) {
    const alts: { term: string; words: string[] }[][] = [];
    for (const alt of clause) {
      if (!superset && alt.phrase && alt.parts.length > 1) return null;
      // The searcher looks for equivalents of a word typed on its own, unquoted (searcher.ts):
      // the database cannot count them; a superset holds each as one more alternative.
      const found = !alt.phrase && alt.parts.length === 1 ? equivalents(alt.parts[0]) : [];
      if (!superset && found.length) return null;
      const parts: { term: string; words: string[] }[] = [];
      for (const part of alt.parts) {
        if (!add(part.text, part.codePoints)) return null;
        const words = alt.phrase ? [] : looseWords(part);
        for (const w of words) if (!add(w, codePointsOf(w))) return null;
        parts.push({ term: part.text, words });
      }
      alts.push(parts);
      for (const e of found) {
        if (!add(e.text, e.codePoints)) return null;
        alts.push([{ term: e.text, words: [] }]);
      }
    }
    clauses.push(alts);
  }
  return { clauses, terms };
}

const codePointsOf = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

/** Whether a term is one run of word characters: then its bigram phrase finds it exactly. */
function singleRun(cps: ArrayLike<number>): boolean {
  if (cps.length === 0) return false;
  for (let i = 0; i < cps.length; i++) if (!isWordCodePoint(cps[i])) return false;
  return true;
}

/** Whether a query browses every document: no term to match, but filters. */
function browses(params: SearchParams): boolean {
  const parsed = parseQuery(params.q);
  if (parsed.clauses.length > 0) return false;
  return (
    Boolean(params.source?.length || params.tag?.length || params.from || params.to) ||
    parsed.sources.length > 0 ||
    parsed.tags.length > 0
  );
}

/** One search on a backend: its candidates, searched with the collection's statistics. */
export async function backendSearchOnce(
  backend: StorageBackend,
  params: SearchParams,
  ranking: RankingParams = DEFAULT_RANKING,
): Promise<SearchResult> {
  const started = performance.now();
  const fast =
    backend.topCandidates && backend.candidateDepth
      ? fastQuery(params, backend.candidateDepth)
      : null;
  const matching = !fast && backend.matchCandidates ? matchQuery(params) : null;
  const { reader, collection } = fast
    ? await backend.topCandidates!(fast)
    : matching
      ? await backend.matchCandidates!(matching)
      : await anyTermCandidates(backend, params);
  const result = search(reader, params, ranking, collection);
  // took_ms covers the database's part too.
  return { ...result, took_ms: Math.round((performance.now() - started) * 100) / 100 };
}

/**
 * The candidates of a query neither fast nor exact path takes: its possible matches alone when
 * the backend holds its term frequencies, else every document holding one of its terms, over
 * which the search counts the frequencies (an equivalent counts where it is a whole word, which
 * the database cannot tell) for the backend to keep until the next write.
 */
async function anyTermCandidates(
  backend: StorageBackend,
  params: SearchParams,
): Promise<Candidates> {
  if (browses(params)) return backend.candidates(queryTerms(params.q), true);
  const superset = backend.narrowCandidates ? supersetQuery(params.q) : null;
  if (superset) {
    const narrowed = await backend.narrowCandidates!(params.q, superset);
    if (narrowed) return narrowed;
  }
  const c = await backend.candidates(queryTerms(params.q));
  const { generation } = c;
  if (!superset || generation === undefined || !backend.rememberTermDocFreqs) return c;
  return {
    ...c,
    collection: {
      ...c.collection,
      onTermDocFreqs: (dfs) => backend.rememberTermDocFreqs!(params.q, generation, dfs),
    },
  };
}

/** /search on a backend: the search, then a correction when it finds (almost) nothing. */
export async function backendSearch(
  backend: StorageBackend,
  params: CorrectionParams,
  ranking: RankingParams = DEFAULT_RANKING,
): Promise<SearchResult> {
  return searchOrCorrectAsync(
    () => vocabularyReader(backend.vocabulary()).lexicon,
    () => backend.size(),
    params,
    (p) => backendSearchOnce(backend, p, ranking),
  );
}

/** A reader holding only a vocabulary: what /suggest reads (search/suggest.ts). */
export function vocabularyReader(vocabulary: readonly VocabularyEntry[]): IndexReader {
  let r = vocabularyReaders.get(vocabulary);
  if (!r) {
    r = new IndexReader({
      segments: [],
      buffered: false,
      fingerprint: '',
      appliedSeq: 0,
      sources: [],
      vocabulary: vocabulary as VocabularyEntry[],
      dupRep: new Int32Array(0),
    });
    vocabularyReaders.set(vocabulary, r);
  }
  return r;
}
const vocabularyReaders = new WeakMap<readonly VocabularyEntry[], IndexReader>();

/**
 * "More like this" on a backend: over the documents sharing a word of the article's title (an
 * approximation of the embedded index's answer, whose rarity counts cover the whole archive).
 */
export async function backendRelated(
  backend: StorageBackend,
  id: string,
  size: number,
): Promise<{ id: string; related: RelatedHit[] } | undefined> {
  const doc = await backend.document(id);
  if (!doc) return undefined;
  const words = segment(normalize(doc.title))
    .map((t) => t.text)
    .filter((w) => [...w].length >= 2);
  const self = normalize(doc.title);
  const terms = [self, ...words].map((text) => ({
    text,
    codePoints: Array.from(text, (c) => c.codePointAt(0)!),
  }));
  const { reader } = await backend.candidates(terms);
  const d = reader.docNumber(id);
  if (d === undefined) return { id, related: [] };
  return { id, related: relatedDocuments(reader, d, size) };
}
