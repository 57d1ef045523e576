/**
 * Our analysis as PostgreSQL text search values: a document's normalized code points become a
 * tsvector of character bigrams with positions (title weight A, body D, page text C), and a query
 * term the tsquery that finds every document holding it. The database only narrows the
 * candidates; the service matches and ranks them exactly (backend/backend.ts).
 *
 * Tokens: at every word character, the bigram it starts; at the last character of a run of word
 * characters, that character alone. A term of two or more characters is so found by the AND of
 * its bigrams (as a phrase `b1 <-> b2 …` where positions are exact), and a single character by
 * the prefix `c:*`, which meets its bigrams and its run-end token.
 */
import { isWordCodePoint } from '../analysis/analyzer.js';

/** PostgreSQL's limits: positions above this are stored as this; a lexeme keeps ≤ 256. */
export const MAX_POSITION = 16_383;
export const MAX_POSITIONS_PER_LEXEME = 256;
/** A tsvector is at most 1 MB; past this many lexeme bytes positions are left out. */
const MAX_VECTOR_BYTES = 900_000;

const quote = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export interface BuiltVector {
  /** tsvector input text. */
  text: string;
  /**
   * Whether positions are incomplete (past MAX_POSITION, > 256 of one lexeme, or left out): a
   * phrase check would miss occurrences, so such a document is matched by its bigrams alone.
   */
  inexact: boolean;
}

/** The tsvector of one document's fields (normalized code points), laid out one after another. */
export function documentVector(fields: { codePoints: Int32Array; weight: string }[]): BuiltVector {
  const positions = new Map<string, string[]>();
  let inexact = false;
  let offset = 0;
  for (const { codePoints: cps, weight } of fields) {
    for (let i = 0; i < cps.length; i++) {
      if (!isWordCodePoint(cps[i])) continue;
      const next = i + 1 < cps.length && isWordCodePoint(cps[i + 1]);
      const token = String.fromCodePoint(cps[i]) + (next ? String.fromCodePoint(cps[i + 1]) : '');
      const pos = offset + i + 1;
      if (pos > MAX_POSITION) inexact = true;
      let list = positions.get(token);
      if (!list) positions.set(token, (list = []));
      if (list.length >= MAX_POSITIONS_PER_LEXEME) inexact = true;
      else list.push(`${Math.min(pos, MAX_POSITION)}${weight}`);
    }
    offset += cps.length + 1;
  }
  let bytes = 0;
  for (const [token, list] of positions) bytes += token.length * 3 + list.length * 2 + 8;
  const withPositions = bytes <= MAX_VECTOR_BYTES;
  if (!withPositions) inexact = true;
  const parts: string[] = [];
  for (const [token, list] of positions)
    parts.push(withPositions ? `${quote(token)}:${dedupe(list).join(',')}` : quote(token));
  return { text: parts.join(' '), inexact };
}

/** Positions clamped to MAX_POSITION repeat; PostgreSQL keeps one of each. */
function dedupe(list: string[]): string[] {
  return list.length > 1 && list[list.length - 1] === list[list.length - 2]
    ? [...new Set(list)]
    : list;
}

export interface TermQuery {
  /** tsquery text every document holding the term matches (bigrams AND-ed); null: none can. */
  all: string | null;
  /** The same as a phrase (exact where positions are, see BuiltVector.inexact); null: as `all`. */
  phrase: string | null;
}

/** The tsqueries of one normalized term (split at non-word characters like the index). */
export function termQuery(codePoints: ArrayLike<number>): TermQuery {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < codePoints.length; i++) {
    if (isWordCodePoint(codePoints[i])) run.push(codePoints[i]);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  if (runs.length === 0) return { all: null, phrase: null };
  const and: string[] = [];
  for (const r of runs) {
    if (r.length === 1) and.push(`${quote(String.fromCodePoint(r[0]))}:*`);
    else
      for (let i = 0; i + 1 < r.length; i++) and.push(quote(String.fromCodePoint(r[i], r[i + 1])));
  }
  const all = [...new Set(and)].join(' & ');
  const single = runs.length === 1 && runs[0].length > 2;
  return { all, phrase: single ? and.join(' <-> ') : null };
}
