/**
 * The cross-strait equivalence table: Mainland (cn), Taiwan (tw) and Hong Kong (hk) terms that
 * name the same thing, for query-time expansion (search/expansion.ts). The table is data,
 * `regional-terms.tsv` beside this file (copied next to the compiled module by `npm run build`),
 * read and checked once at start; how it was made and its review rules are in
 * regional-terms.md, and test/regional-terms.test.ts enforces them.
 */
import { readFileSync } from 'node:fs';

export const TERM_KINDS = [
  'everyday',
  'technology',
  'person',
  'place',
  'organization',
  'other',
] as const;

/** The columns of the data file, in order (its first line that is not a comment). */
const TERM_COLUMNS = ['cn', 'tw', 'hk', 'kind', 'source', 'note'] as const;

export type TermKind = (typeof TERM_KINDS)[number];

export interface TermGroup {
  /** Mainland (Simplified) forms, most common first. */
  cn: string[];
  /** Taiwan forms (Traditional). */
  tw: string[];
  /** Hong Kong forms (Traditional); [] when the same as tw or cn. */
  hk: string[];
  kind: TermKind;
  /** Where the equivalence comes from ('OpenCC TWPhrases', 'common knowledge', 'CNA corpus usage' …). */
  source: string;
  /** Marks a group kept although it holds in one sense only, and says where it can go wrong. */
  note?: string;
}

const isKind = (s: string): s is TermKind => (TERM_KINDS as readonly string[]).includes(s);

/** One row's cells as a group, or why they are not one (checked by hand: it runs at start). */
function toGroup(cells: string[]): TermGroup | string {
  const [cn, tw, hk, kind, source, note] = TERM_COLUMNS.map((_, k) => cells[k] ?? '');
  const forms = (cell: string) => (cell === '' ? [] : cell.split('|'));
  const group = { cn: forms(cn), tw: forms(tw), hk: forms(hk) };
  for (const [column, list] of Object.entries(group)) {
    if (list.some((f) => f.trim() === '')) return `an empty form in ${column}`;
    if (list.length === 0 && column !== 'hk') return `${column} needs at least 1 form`;
  }
  if (!isKind(kind)) return `kind must be one of ${TERM_KINDS.join(', ')}`;
  if (source === '') return 'source is required';
  return { ...group, kind, source, ...(note ? { note } : {}) };
}

/** Where the table is read from: beside this module (src/analysis, or dist/src/analysis). */
const TERM_FILE = new URL('./regional-terms.tsv', import.meta.url);

/**
 * Parse the table: `#` lines are comments, the first other line names the columns, each line
 * after it is one group. An error names the file, the line and what is wrong.
 */
export function parseTermGroups(text: string, file = 'regional-terms.tsv'): TermGroup[] {
  const groups: TermGroup[] = [];
  let header = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const cells = line.split('\t');
    const fail = (why: string) => {
      throw new Error(`${file}:${i + 1}: ${why}`);
    };
    if (!header) {
      if (cells.join('\t') !== TERM_COLUMNS.join('\t'))
        fail(`the header must be the columns ${TERM_COLUMNS.join(', ')}, tab-separated`);
      header = true;
      return;
    }
    if (cells.length > TERM_COLUMNS.length)
      fail(`${cells.length} columns; at most ${TERM_COLUMNS.length}`);
    const group = toGroup(cells);
    if (typeof group === 'string') fail(group);
    else groups.push(group);
  });
  if (!header) throw new Error(`${file}: no header line`);
  return groups;
}

export const TERM_GROUPS: readonly TermGroup[] = parseTermGroups(readFileSync(TERM_FILE, 'utf8'));
