/**
 * The cross-strait equivalence table: Mainland (cn), Taiwan (tw) and Hong Kong (hk) terms that
 * name the same thing, for query-time expansion (search/expansion.ts). The table is data,
 * `regional-terms.tsv` beside this file (copied next to the compiled module by `npm run build`),
 * read and checked once at start; how it was made and its review rules are in
 * regional-terms.md, and test/regional-terms.test.ts enforces them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

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

const forms = (column: string, min: number) =>
  z
    .string()
    .transform((cell) => (cell === '' ? [] : cell.split('|')))
    .pipe(
      z
        .array(z.string().min(1, `an empty form in ${column}`))
        .min(min, `${column} needs at least ${min} form`),
    );

const termGroup = z.object({
  /** Mainland (Simplified) forms, most common first. */
  cn: forms('cn', 1),
  /** Taiwan forms (Traditional). */
  tw: forms('tw', 1),
  /** Hong Kong forms (Traditional); [] when the same as tw or cn. */
  hk: forms('hk', 0),
  kind: z.enum(TERM_KINDS, { error: `kind must be one of ${TERM_KINDS.join(', ')}` }),
  /** Where the equivalence comes from ('OpenCC TWPhrases', 'common knowledge', 'CNA corpus usage' …). */
  source: z.string().min(1, 'source is required'),
  /** Marks a group kept although it holds in one sense only, and says where it can go wrong. */
  note: z
    .string()
    .optional()
    .transform((v) => v || undefined),
});

export type TermKind = (typeof TERM_KINDS)[number];
export type TermGroup = z.output<typeof termGroup>;

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
    const row = Object.fromEntries(TERM_COLUMNS.map((c, k) => [c, cells[k] ?? '']));
    const parsed = termGroup.safeParse(row);
    if (!parsed.success) fail(parsed.error.issues[0].message);
    else groups.push(parsed.data);
  });
  if (!header) throw new Error(`${file}: no header line`);
  return groups;
}

export const TERM_GROUPS: readonly TermGroup[] = parseTermGroups(readFileSync(TERM_FILE, 'utf8'));
