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
 */
import { IndexReader } from '../index/reader.js';
import { normalize } from '../analysis/normalize.js';
import { segment } from '../analysis/segment.js';
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
}

/** A normalized term a query may match verbatim. */
export interface Term {
  text: string;
  codePoints: ArrayLike<number>;
  /** false: only checked on the candidates (an exclusion), which need not hold it. */
  fetch?: boolean;
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
  const { reader, collection } = await backend.candidates(queryTerms(params.q), browses(params));
  const result = search(reader, params, ranking, collection);
  // took_ms covers the database's part too.
  return { ...result, took_ms: Math.round((performance.now() - started) * 100) / 100 };
}

/** /search on a backend: the search, then a correction when it finds (almost) nothing. */
export async function backendSearch(
  backend: StorageBackend,
  params: CorrectionParams,
  ranking: RankingParams = DEFAULT_RANKING,
): Promise<SearchResult> {
  const { lexicon } = vocabularyReader(backend.vocabulary());
  return searchOrCorrectAsync(lexicon, await backend.size(), params, (p) =>
    backendSearchOnce(backend, p, ranking),
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
