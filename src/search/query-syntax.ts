/**
 * The query language of `q`:
 *   數位身分證 試辦          every word must match (AND)
 *   "數位身分證 試辦"        a phrase: the words verbatim, in order, only spaces or punctuation between
 *   "因為系統"               one word quoted: verbatim only (not its jieba words apart, nor a
 *                            regional equivalent)
 *   川普 OR 拜登, 川普|拜登  alternatives
 *   -國民黨                  exclude articles containing the word (in either script)
 *   source:中央社 tag:疫情   filters, like the `source=` and `tag=` parameters
 * Malformed input is read sensibly where there is an obvious reading (an unbalanced quote closes
 * at the end; a dangling OR is ignored) and refused with a message where there is not.
 */
import { analyzeQuery, type QueryPart } from '../analysis/analyzer.js';
import { SearchError } from '../errors.js';

/**
 * One way to satisfy a clause: all parts (anywhere), or all parts as one phrase. A phrase (what
 * was quoted) matches verbatim only, as typed after normalization, one part or many.
 */
export interface Alternative {
  phrase: boolean;
  parts: QueryPart[];
}

/** A clause is satisfied by any of its alternatives; every clause must be satisfied. */
export type Clause = Alternative[];

export interface ParsedQuery {
  clauses: Clause[];
  /** Each entry: an article containing all of these parts verbatim is excluded. */
  exclude: QueryPart[][];
  sources: string[];
  tags: string[];
}

interface Token {
  text: string;
  quoted: boolean;
  negated: boolean;
  /** `source` or `tag` for field filters. */
  field?: 'source' | 'tag';
  or?: boolean;
}

const FIELD = /^(source|tag):(.*)$/i;

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = q.length;
  const isSpace = (c: string) => /\s/.test(c);
  while (i < n) {
    if (isSpace(q[i])) {
      i++;
      continue;
    }
    if (q[i] === '|') {
      tokens.push({ text: '|', quoted: false, negated: false, or: true });
      i++;
      continue;
    }
    let negated = false;
    if (q[i] === '-' && i + 1 < n && !isSpace(q[i + 1]) && q[i + 1] !== '-') {
      negated = true;
      i++;
    }
    if (q[i] === '"' || q[i] === '“' || q[i] === '「') {
      const close = q[i] === '"' ? '"' : q[i] === '“' ? '”' : '」';
      const end = q.indexOf(close, i + 1);
      const text = q.slice(i + 1, end < 0 ? n : end); // unbalanced: the phrase runs to the end
      tokens.push({ text, quoted: true, negated });
      i = end < 0 ? n : end + 1;
      continue;
    }
    let j = i;
    while (j < n && !isSpace(q[j]) && q[j] !== '|') j++;
    let text = q.slice(i, j);
    const field = FIELD.exec(text);
    if (field && !negated) {
      let value = field[2];
      if (value === '' && (q[j] === undefined || isSpace(q[j]) || q[j] === '|')) {
        throw new SearchError(
          'invalid_query',
          `${field[1].toLowerCase()}: needs a value, e.g. ${field[1].toLowerCase()}:中央社`,
        );
      }
      if (value.startsWith('"')) {
        const end = q.indexOf('"', i + field[1].length + 2);
        value = q.slice(i + field[1].length + 2, end < 0 ? n : end);
        j = end < 0 ? n : end + 1;
      }
      tokens.push({
        text: value.trim(),
        quoted: false,
        negated: false,
        field: field[1].toLowerCase() as 'source' | 'tag',
      });
      i = j;
      continue;
    }
    if (!negated && text === 'OR') tokens.push({ text, quoted: false, negated: false, or: true });
    else tokens.push({ text, quoted: false, negated });
    i = j;
    text = '';
  }
  return tokens;
}

export function parseQuery(q: string): ParsedQuery {
  const parsed: ParsedQuery = { clauses: [], exclude: [], sources: [], tags: [] };
  // Operands between OR operators form one clause; everything else is AND.
  let group: Alternative[] = [];
  let pendingOr = false;
  const flush = () => {
    if (group.length === 1 && !group[0].phrase) {
      // A plain word on its own: each of its parts must match on its own (新竹市：數位 = 新竹市 AND 數位).
      for (const part of group[0].parts) parsed.clauses.push([{ phrase: false, parts: [part] }]);
    } else if (group.length > 0) parsed.clauses.push(group);
    group = [];
  };
  for (const t of tokenize(q)) {
    if (t.or) {
      pendingOr = group.length > 0; // a dangling OR (at the start, or doubled) is ignored
      continue;
    }
    if (t.field) {
      if (t.text === '')
        throw new SearchError('invalid_query', `${t.field}: needs a value, e.g. ${t.field}:中央社`);
      (t.field === 'source' ? parsed.sources : parsed.tags).push(t.text);
      continue;
    }
    const parts = analyzeQuery(t.text);
    if (parts.length === 0) continue; // punctuation or emoji only: nothing to match
    if (t.negated) {
      parsed.exclude.push(parts);
      continue;
    }
    if (!pendingOr) flush();
    pendingOr = false;
    group.push({ phrase: t.quoted, parts });
  }
  flush();
  return parsed;
}

/** Every distinct part of the query's clauses (for limits and highlighting). */
export function allParts(parsed: ParsedQuery): QueryPart[] {
  const seen = new Map<string, QueryPart>();
  for (const clause of parsed.clauses)
    for (const alt of clause) for (const p of alt.parts) seen.set(p.text, p);
  return [...seen.values()];
}
