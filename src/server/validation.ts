/** Request validation with zod: one schema per route, messages a client can act on. */
import { z } from 'zod';
import { SearchError } from '../errors.js';
import { FACET_FIELDS, type FacetField } from '../search/filters.js';

export const MAX_QUERY_LENGTH = 500;

const intParam = (name: string, min: number, max: number, fallback: number) =>
  z
    .string({ error: `${name} must be a single value` })
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^\s*\d+\s*$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, got "${v.slice(0, 20)}"` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be from ${min} to ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

/** A parameter that may be given several times (`tag=a&tag=b`): always a list. */
const repeated = (name: string) =>
  z
    .union([z.string(), z.array(z.string())], { error: `${name} must be text` })
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .refine((list) => list.every((s) => s.trim() !== '' && s.length <= 200), `${name} must be 1–200 characters`);

const single = (name: string) => z.string({ error: `${name} must be a single value` }).optional();

const flag = (name: string) =>
  single(name).transform((v, ctx) => {
    if (v === undefined || v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
    return z.NEVER;
  });

export const searchQuery = z.object({
  q: z
    .string({ error: 'q is required: the words to search for' })
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, 'q must not be empty')
    .refine((s) => [...s].length <= MAX_QUERY_LENGTH, `q must be at most ${MAX_QUERY_LENGTH} characters`),
  page: intParam('page', 1, 10_000, 1),
  size: intParam('size', 1, 100, 10),
  source: repeated('source'),
  tag: repeated('tag'),
  from: single('from'),
  to: single('to'),
  sort: z.enum(['relevance', 'date'], { error: 'sort must be relevance or date' }).optional(),
  facets: single('facets').transform((v, ctx) => {
    const list = v ? v.split(',').map((f) => f.trim()).filter(Boolean) : [];
    const bad = list.filter((f) => !(FACET_FIELDS as readonly string[]).includes(f));
    if (bad.length) {
      ctx.addIssue({ code: 'custom', message: `facets must be a comma list of ${FACET_FIELDS.join(', ')}; unknown: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(list)] as FacetField[];
  }),
  explain: flag('explain'),
  collapse: flag('collapse'),
  script: z.enum(['hant', 'hans'], { error: 'script must be hant (Traditional) or hans (Simplified)' }).optional(),
});

export const suggestQuery = z.object({
  q: z
    .string({ error: 'q is required: the text typed so far' })
    .refine((s) => s.trim().length > 0, 'q must not be empty')
    .refine((s) => [...s].length <= 100, 'q must be at most 100 characters'),
  size: intParam('size', 1, 20, 8),
});

export const relatedQuery = z.object({
  size: intParam('size', 1, 20, 5),
});

/** Document ids: a relative path without extension (DESIGN.md); nothing that walks out of it. */
export function documentId(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new SearchError('bad_request', 'the document id is not valid percent-encoding');
  }
  if (id.length === 0 || id.length > 500 || id.includes('\0') || id.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) {
    throw new SearchError('bad_request', 'not a valid document id');
  }
  return id;
}

/** Parse or throw a SearchError('bad_request') naming the first problem. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SearchError('bad_request', issue.message);
}
