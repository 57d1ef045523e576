/**
 * "Did you mean": a query typed through an input method that picked the wrong homophone
 * (数字身份正, 疫描) or typed as pinyin (shuzishenfenzheng) finds nothing; web search engines then
 * search what the reader most likely meant and say so.
 *
 * - A query made only of pinyin that finds nothing as typed is searched as its best Chinese
 *   reading (`interpreted_as`). A Latin word that occurs in the corpus is searched as typed
 *   (with the reading as `did_you_mean` when that finds clearly more).
 * - A query with fewer than FEW_HITS hits gets candidates: a span of a word replaced by a
 *   vocabulary term read the same (toneless pinyin, any reading of a heteronym), a form of the
 *   regional table (src/analysis/regional-terms.ts) read the same, or a variant character. They
 *   are scored by the term's frequency, how little changed, and the corrected query's hits.
 *   The best becomes `did_you_mean`; when the query found nothing, its results are returned
 *   instead, with `corrected_from` (unless `correct=false`: the page's "search instead for").
 * A query with FEW_HITS hits or more is never corrected; nor is one using query syntax.
 */
import { LRUCache } from 'lru-cache';
import type { NewsIndex } from '../index/news-index.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import type { Lexicon } from '../index/lexicon.js';
import { normalize } from '../analysis/normalize.js';
import { isHan } from '../analysis/pinyin.js';
import { TERM_GROUPS } from '../analysis/regional-terms.js';
import { search as searchWith, type SearchParams, type SearchResult } from './searcher.js';
import { DEFAULT_RANKING, type RankingParams } from './ranking.js';
import { displayConverter, scriptOf, type DisplayScript } from './display.js';
import { PinyinVocabulary } from './pinyin-vocabulary.js';

/** A search result, with `did_you_mean`, `corrected_from` or `interpreted_as` (src/api.ts). */
export type CorrectedResult = SearchResult;

export interface CorrectionParams extends SearchParams {
  /**
   * false: the hits are always those of the query as typed (the page's "search instead for
   * …"); `did_you_mean` may still be given. Default true.
   */
  correct?: boolean;
}

/** Queries with at least this many hits are never corrected. */
export const FEW_HITS = 3;
/** Corrected queries tried (each is one search). */
const MAX_TRIED = 4;
/** Characters of a span read for homophones: the vocabulary holds phrases up to 10. */
const MAX_SPAN = 10;
/** Readings of one span tried (product of its heteronyms' readings). */
const MAX_READINGS = 16;
/**
 * Variant characters the normalizer keeps apart (OpenCC folds most: 週/周, 裡/裏, 著/着 …):
 * normalized forms, each way.
 */
const VARIANT_CHARS: Record<string, string> = {
  帐: '账',
  账: '帐',
  衞: '卫',
  甦: '苏',
  鬦: '斗',
  迺: '乃',
};

/** One replacement inside a word of the query. */
interface Candidate {
  /** The word as typed, with the replacement in the typed word's script. */
  shown: string;
  prior: number;
}

/**
 * The regional table's forms, normalized, Han only, by length, and indexed by (length, position,
 * character): a form one or two characters away from a span shares at least one character with
 * it in place (spans have 2 characters or more, and at most 1 change for 2–3 characters, 2
 * beyond), so only the forms sharing one are compared. Built once per process (a constant table).
 */
class TableForms {
  private readonly byLength = new Map<number, string[]>();
  private readonly at = new Map<string, number[]>();

  constructor() {
    for (const g of TERM_GROUPS) {
      for (const form of [...g.cn, ...g.tw, ...g.hk]) {
        const cps = Array.from(normalize(form));
        if (!cps.every(isHan)) continue;
        const n = cps.join('');
        let list = this.byLength.get(cps.length);
        if (!list) this.byLength.set(cps.length, (list = []));
        if (list.includes(n)) continue;
        cps.forEach((c, k) => {
          const key = `${cps.length} ${k} ${c}`;
          const forms = this.at.get(key);
          if (forms) forms.push(list.length);
          else this.at.set(key, [list.length]);
        });
        list.push(n);
      }
    }
  }

  /** Forms as long as `span` with at least one character in the same place, in table order. */
  sharingOneWith(span: readonly string[]): string[] {
    const list = this.byLength.get(span.length);
    if (!list) return [];
    const found = new Set<number>();
    span.forEach((c, k) => {
      for (const i of this.at.get(`${span.length} ${k} ${c}`) ?? []) found.add(i);
    });
    return [...found].sort((a, b) => a - b).map((i) => list[i]);
  }
}
let tableForms: TableForms | undefined;

/**
 * Homophone lookups over one index's vocabulary and the regional table. A word's candidates
 * are kept (they depend on the lexicon alone): a search box sends the same few words again and
 * again, with other pages, filters and sorts.
 */
class Corrector {
  private readonly known = new LRUCache<string, Candidate[]>({ max: 4096 });

  constructor(
    private readonly vocabulary: readonly VocabularyEntry[],
    private readonly py: PinyinVocabulary,
  ) {}

  /**
   * Regional-table forms differing from `span` in 1 to `maxChanges` characters, each changed
   * character read like the one it replaces (the table's forms need not be title terms).
   */
  private homophoneForms(span: string[], maxChanges: number): string[] {
    const out: string[] = [];
    // Only forms sharing a character in place can be within maxChanges (< span.length).
    for (const form of (tableForms ??= new TableForms()).sharingOneWith(span)) {
      let changes = 0;
      let k = 0;
      for (const c of form) {
        const t = span[k++];
        if (c === t) continue;
        const read = this.py.readingsOf(t);
        if (++changes > maxChanges || !this.py.readingsOf(c).some((r) => read.includes(r))) {
          changes = Infinity;
          break;
        }
      }
      if (changes >= 1 && changes <= maxChanges) out.push(form);
    }
    return out;
  }

  /** Best replacements for one word of the query (as typed), best first. */
  candidates(word: string, script: DisplayScript): Candidate[] {
    const key = `${script} ${word}`;
    let found = this.known.get(key);
    if (!found) this.known.set(key, (found = this.find(word, script)));
    return found;
  }

  private find(word: string, script: DisplayScript): Candidate[] {
    const norm = normalize(word);
    const chars = Array.from(norm);
    const typed = Array.from(word);
    if (chars.length !== typed.length || chars.length < 2) return [];
    // By the corrected word (normalized); written in the user's script only for the best.
    const out = new Map<string, { from: number; to: number; text: string; prior: number }>();
    const offer = (from: number, to: number, text: string, prior: number) => {
      const key = [...chars.slice(0, from), text, ...chars.slice(to)].join('');
      if (prior > (out.get(key)?.prior ?? -Infinity)) out.set(key, { from, to, text, prior });
    };
    const toTw = (s: string) => displayConverter('hant')(s); // OpenCC cn→tw loads on first use
    const written = (text: string) => {
      const e = this.entry(text);
      return script === 'hant' ? (e?.tw ?? toTw(e?.cn ?? text)) : (e?.cn ?? text);
    };
    for (let from = 0; from < chars.length; from++) {
      for (let to = from + 2; to <= Math.min(chars.length, from + MAX_SPAN); to++) {
        const span = chars.slice(from, to);
        if (!span.every(isHan)) break;
        const spanText = span.join('');
        const spanDf = this.entry(spanText)?.df ?? 0;
        const maxChanges = span.length <= 3 ? 1 : 2;
        const texts = new Set(this.homophoneForms(span, maxChanges));
        for (const key of this.keysOf(span))
          for (const i of this.py.readAs(key)) texts.add(this.vocabulary[i].text);
        for (const text of texts) {
          const cps = Array.from(text);
          if (cps.length !== span.length || text === spanText) continue;
          let changes = 0;
          for (let k = 0; k < cps.length; k++) if (cps[k] !== span[k]) changes++;
          if (changes > maxChanges) continue;
          const df = this.entry(text)?.df ?? 1;
          // A span that is itself a frequent term is left alone: the term must be far likelier.
          if (df <= 4 * spanDf) continue;
          const prior = Math.log(df) - Math.log1p(spanDf) + 1.5 * span.length - 3 * changes;
          offer(from, to, text, prior);
        }
      }
      const v = VARIANT_CHARS[chars[from]];
      if (v) offer(from, from + 1, v, 2);
    }
    return [...out.values()]
      .sort((a, b) => b.prior - a.prior)
      .map((c) => ({
        shown: [...typed.slice(0, c.from), written(c.text), ...typed.slice(c.to)].join(''),
        prior: c.prior,
      }))
      .filter((c) => c.shown !== word) // the same as typed, in another normalization (著/着)
      .slice(0, 3);
  }

  private entry(text: string) {
    return this.py.entryOf(text);
  }

  /**
   * Full-pinyin keys of a span: every reading of each character (as the vocabulary reads it:
   * a character in no title term has none), up to MAX_READINGS.
   */
  private keysOf(span: string[]): string[] {
    let keys = [''];
    for (const c of span) {
      const next: string[] = [];
      for (const k of keys) for (const r of this.py.readingsOf(c)) next.push(k + r);
      keys = next.slice(0, MAX_READINGS);
    }
    return keys;
  }

  /**
   * The likeliest Chinese reading of letters that are pinyin throughout, as vocabulary terms
   * read exactly so (fewest terms, then the most frequent), in `script`; null if none.
   */
  reading(q: string, script: DisplayScript): string | null {
    const syllables = this.py.syllablesOf(q.toLowerCase().replace(/ü|u:/g, 'v'));
    if (!syllables || syllables.length < 2) return null;
    const letters = syllables.join('');
    const n = letters.length;
    // best[i]: the best reading of the first i letters (score, terms).
    const best: ({ score: number; terms: number[] } | null)[] = new Array(n + 1).fill(null);
    best[0] = { score: 0, terms: [] };
    for (let i = 0; i < n; i++) {
      const b = best[i];
      if (!b) continue;
      for (let j = i + 2; j <= Math.min(n, i + this.py.maxKeyLength); j++) {
        const e = this.py.readAs(letters.slice(i, j))[0];
        if (e === undefined) continue;
        const score = b.score + Math.log(this.vocabulary[e].df) - 12;
        if (!best[j] || score > best[j]!.score) best[j] = { score, terms: [...b.terms, e] };
      }
    }
    const found = best[n];
    if (!found) return null;
    const toTw = (s: string) => displayConverter('hant')(s); // OpenCC cn→tw loads on first use
    return found.terms
      .map((i) => {
        const e = this.vocabulary[i];
        return script === 'hant' ? (e.tw ?? toTw(e.cn ?? e.text)) : (e.cn ?? e.text);
      })
      .join(' ');
  }
}

/**
 * Lookups over a lexicon (a reader's is built at flush, off the query thread: lexicon.ts), one
 * per lexicon while it is served.
 */
const correctors = new WeakMap<Lexicon, Corrector>();
function correctorOf(lexicon: Lexicon): Corrector {
  let c = correctors.get(lexicon);
  if (!c)
    correctors.set(lexicon, (c = new Corrector(lexicon.vocabulary, new PinyinVocabulary(lexicon))));
  return c;
}

/**
 * Build the homophone tables now rather than on the first query that needs them, for a reader
 * loaded or built without a writer (a writer builds each one in a worker).
 */
export function warmCorrections(target: NewsIndex | IndexReader): void {
  void readerOf(target).lexicon;
}

/** Query syntax (phrases, exclusions, OR, fields) is taken as meant: no corrections. */
const SYNTAX = /["“”「」()|:：]|(^|\s)[-+]|\bOR\b/;
const PINYIN_ONLY = /^[a-zA-ZüÜ':\s]+$/;

/** `search`, then what the reader most likely meant when the query finds (almost) nothing. */
export function searchOrCorrect(
  index: NewsIndex | IndexReader,
  params: CorrectionParams,
  ranking: RankingParams = DEFAULT_RANKING,
): CorrectedResult {
  const reader = readerOf(index);
  const { correct: _, ...plain } = params;
  const first = searchWith(index, plain, ranking);
  if (first.total >= FEW_HITS || reader.size === 0) return first;
  const steps = correctionSteps(reader.lexicon, params, first);
  let step = steps.next();
  while (!step.done) step = steps.next(searchWith(index, step.value, ranking));
  return step.value;
}

/**
 * The same for a search that answers asynchronously (a database backend, backend/backend.ts):
 * the same steps, each search awaited. The lexicon and the collection's size are asked for only
 * when the query as typed finds (almost) nothing (the size is a round trip).
 */
export async function searchOrCorrectAsync(
  lexicon: () => Lexicon,
  size: () => Promise<number>,
  params: CorrectionParams,
  run: (p: SearchParams) => Promise<SearchResult>,
): Promise<CorrectedResult> {
  const { correct: _, ...plain } = params;
  const first = await run(plain);
  if (first.total >= FEW_HITS || (await size()) === 0) return first;
  const steps = correctionSteps(lexicon(), params, first);
  let step = steps.next();
  while (!step.done) step = steps.next(await run(step.value));
  return step.value;
}

/**
 * The correction of a query whose search as typed (`result`) found too little, as steps: each
 * yielded value is a search to run, whose result is sent back; the return value is the answer.
 * One logic for both drivers above.
 */
function* correctionSteps(
  lexicon: Lexicon,
  params: CorrectionParams,
  result: SearchResult,
): Generator<SearchParams, CorrectedResult, SearchResult> {
  const { correct, ...plain } = params;
  const q = params.q.trim();
  if (SYNTAX.test(q)) return result;
  const corrector = correctorOf(lexicon);
  const script = scriptOf(q, params.script);
  // Clearly more hits than the query as typed.
  const better = (total: number) => total > 0 && total >= 3 * result.total;
  // The hits of what was meant replace those of the query only when it found nothing.
  const replace = result.total === 0 && correct !== false;
  const instead = (r: SearchResult, meant: string, field: 'interpreted_as' | 'did_you_mean') => {
    const took_ms = Math.round((result.took_ms + r.took_ms) * 100) / 100;
    return field === 'interpreted_as'
      ? { ...r, query: params.q, took_ms, interpreted_as: meant }
      : { ...r, query: params.q, took_ms, did_you_mean: meant, corrected_from: params.q };
  };

  if (PINYIN_ONLY.test(q)) {
    const reading = corrector.reading(q, script);
    if (reading === null) return result;
    const { total } = yield { ...plain, q: reading, page: 1, size: 1, facets: [] };
    if (!better(total)) return result;
    if (!replace) return { ...result, did_you_mean: reading };
    return instead(yield { ...plain, q: reading }, reading, 'interpreted_as');
  }

  // Candidate queries: one word replaced (its three best replacements), or every word by its best.
  const words = q.split(/\s+/);
  const perWord = words.map((w) => corrector.candidates(w, script));
  const queries: { q: string; prior: number }[] = [];
  perWord.forEach((cands, w) => {
    for (const c of cands)
      queries.push({ q: words.map((x, k) => (k === w ? c.shown : x)).join(' '), prior: c.prior });
  });
  if (perWord.filter((c) => c.length).length > 1)
    queries.push({
      q: words.map((x, k) => perWord[k][0]?.shown ?? x).join(' '),
      prior: perWord.reduce((s, c) => s + (c[0]?.prior ?? 0), 0),
    });
  queries.sort((a, b) => b.prior - a.prior);
  let best: { q: string; score: number } | null = null;
  for (const c of queries.slice(0, MAX_TRIED)) {
    const { total } = yield { ...plain, q: c.q, page: 1, size: 1, facets: [] };
    if (!better(total)) continue;
    const score = c.prior + Math.log1p(total);
    if (!best || score > best.score) best = { q: c.q, score };
  }
  if (!best) return result;
  if (!replace) return { ...result, did_you_mean: best.q };
  return instead(yield { ...plain, q: best.q }, best.q, 'did_you_mean');
}
