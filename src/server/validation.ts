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
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a whole number from ${min} to ${max}, got "${v.slice(0, 20)}"`,
        });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be from ${min} to ${max}, got ${n}`,
        });
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
    .refine(
      (list) => list.every((s) => s.trim() !== '' && s.length <= 200),
      `${name} must be 1–200 characters`,
    );

const single = (name: string) => z.string({ error: `${name} must be a single value` }).optional();

const flag = (name: string, fallback = false) =>
  single(name).transform((v, ctx) => {
    if (v === undefined || v === '') return fallback;
    if (v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
    return z.NEVER;
  });

const scriptParam = z
  .enum(['hant', 'hans'], { error: 'script must be hant (Traditional) or hans (Simplified)' })
  .optional();

export const searchQuery = z.object({
  q: z
    .string({ error: 'q is required: the words to search for' })
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, 'q must not be empty')
    .refine(
      (s) => [...s].length <= MAX_QUERY_LENGTH,
      `q must be at most ${MAX_QUERY_LENGTH} characters`,
    ),
  page: intParam('page', 1, 10_000, 1),
  size: intParam('size', 1, 100, 10),
  source: repeated('source'),
  tag: repeated('tag'),
  from: single('from'),
  to: single('to'),
  sort: z.enum(['relevance', 'date'], { error: 'sort must be relevance or date' }).optional(),
  facets: single('facets').transform((v, ctx) => {
    const list = v
      ? v
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean)
      : [];
    const bad = list.filter((f) => !(FACET_FIELDS as readonly string[]).includes(f));
    if (bad.length) {
      ctx.addIssue({
        code: 'custom',
        message: `facets must be a comma list of ${FACET_FIELDS.join(', ')}; unknown: ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return [...new Set(list)] as FacetField[];
  }),
  explain: flag('explain'),
  collapse: flag('collapse'),
  script: scriptParam,
  correct: flag('correct', true),
});

export const suggestQuery = z.object({
  q: z
    .string({ error: 'q is required: the text typed so far' })
    .refine((s) => s.trim().length > 0, 'q must not be empty')
    .refine((s) => [...s].length <= 100, 'q must be at most 100 characters'),
  size: intParam('size', 1, 20, 8),
  script: scriptParam,
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
  checkId(id);
  return id;
}

/** Refuse ids that could walk out of a folder or break a log line: `..`, NUL, control characters, backslashes, absurd lengths. */
export function checkId(id: string): void {
  if (id.length === 0 || id.length > MAX_ID_LENGTH)
    throw new SearchError('bad_request', `a document id must be 1–${MAX_ID_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f\\]/.test(id))
    throw new SearchError(
      'bad_request',
      'a document id must not hold control characters or backslashes',
    );
  if (id.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''))
    throw new SearchError(
      'bad_request',
      'a document id is a relative path: no empty, "." or ".." segments, no leading or trailing "/"',
    );
}

/** Parse or throw a SearchError('bad_request') naming the first problem. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SearchError('bad_request', issue.message);
}

const MAX_TITLE = 1_000;
/** A body may be as large as a post file may (decode.ts: 5 MB), counted in characters. */
export const MAX_BODY_CHARS = 5 * 1024 * 1024;
const label = (name: string, max: number) =>
  z
    .string({ error: `${name} must be text` })
    .trim()
    .max(max, `${name} must be at most ${max} characters`);
/** A list of labels, or one string of comma-separated labels (as in post front matter). */
const labels = (name: string) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(/[,，]/) : v),
      z
        .array(label(name, 100), { error: `${name} must be a list of strings` })
        .max(100, `at most 100 ${name}`)
        .optional(),
    )
    .transform((v) => (v ?? []).filter((s) => s !== ''));

/** An article sent as JSON (PUT /documents/:id, a line of POST /documents/_bulk). */
export const articleBody = z
  .object(
    {
      id: z.string().optional(),
      title: label('title', MAX_TITLE).refine((s) => s.length > 0, 'title must not be empty'),
      body: z
        .string({ error: 'body must be text (HTML, Markdown or plain text; see format)' })
        .max(MAX_BODY_CHARS, `body must be at most ${MAX_BODY_CHARS} characters`),
      format: z
        .enum(['html', 'markdown', 'text'], { error: 'format must be html, markdown or text' })
        .default('html'),
      url: z
        .url({ protocol: /^https?$/, error: 'url must be an http(s) URL' })
        .max(2_000, 'url must be at most 2000 characters')
        .nullable()
        .default(null),
      source: label('source', 200).nullable().default(null),
      date: z
        .union([z.string(), z.number()], {
          error: 'date must be an ISO 8601 string or epoch milliseconds',
        })
        .nullable()
        .default(null)
        .transform((v, ctx) => {
          if (v === null) return null;
          const d = new Date(v);
          if (Number.isNaN(d.getTime())) {
            ctx.addIssue({
              code: 'custom',
              message: `date must be an ISO 8601 string or epoch milliseconds, got ${JSON.stringify(v).slice(0, 40)}`,
            });
            return z.NEVER;
          }
          return d.toISOString();
        }),
      tags: labels('tags'),
      categories: labels('categories'),
    },
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? 'the article must be a JSON object with at least title and body'
          : undefined,
    },
  )
  .strict();

/** `{"delete": "<id>"}`: a bulk line removing an article. */
export const bulkDelete = z
  .object({ delete: z.string({ error: 'delete must be a document id' }) })
  .strict();

export const MAX_ID_LENGTH = 500;
