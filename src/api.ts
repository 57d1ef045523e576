/**
 * The HTTP API's contract, defined once: every request and response schema, in zod. The server
 * parses requests with these schemas (server/validation.ts), `/openapi.json` is generated from
 * them (server/openapi.ts), the search code takes its result types from them, and the page
 * (src/web/app.js) reads its limits from the published document. A response field added in code
 * but not here fails the type check or the schema test (test/api-schema.test.ts).
 *
 * Query parameters arrive as strings: each one converts the string first (`z.preprocess`) and
 * then checks a typed schema, so the published schema says `integer` or `boolean`, not `string`.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { FACET_FIELDS, type FacetField } from './search/filters.js';

/** Limits a client needs to know; published in /openapi.json (`x-limits` on /search). */
export const LIMITS = {
  /** Characters (code points) in `q` of /search. */
  maxQueryLength: 500,
  /** Characters in `q` of /suggest. */
  maxSuggestLength: 100,
  /** Hits per page of /search. */
  maxSize: 100,
  defaultSize: 10,
  maxPage: 10_000,
  /** page × size: how deep a client may page into a result list. */
  maxWindow: 10_000,
  maxIdLength: 500,
  maxTitleLength: 1_000,
  /** A body may be as large as a post file may (decode.ts: 5 MB), counted in characters. */
  maxBodyChars: 5 * 1024 * 1024,
} as const;

// ---------------------------------------------------------------------------------------------
// Requests

/** The message for a parameter given twice (`page=1&page=2`), or else `message`. */
const once = (name: string, message: string) => (iss: { input?: unknown }) =>
  Array.isArray(iss.input) ? `${name} must be a single value` : message;

const blank = (v: unknown) => v === undefined || (typeof v === 'string' && v.trim() === '');

const intParam = (name: string, min: number, max: number, fallback: number) => {
  const range = (iss: { input?: unknown }) =>
    `${name} must be from ${min} to ${max}, got ${iss.input}`;
  return z.preprocess(
    (v) => (blank(v) ? undefined : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z
      .int({
        error: (iss) =>
          once(
            name,
            `${name} must be a whole number from ${min} to ${max}, got "${String(iss.input).slice(0, 20)}"`,
          )(iss),
      })
      .min(min, { error: range })
      .max(max, { error: range })
      .default(fallback),
  );
};

/** A parameter that may be given several times (`tag=a&tag=b`): always a list. */
const repeated = (name: string) => {
  const message = `${name} must be 1–200 characters`;
  return z.preprocess(
    (v) => (v === undefined ? [] : typeof v === 'string' ? [v] : v),
    z.array(
      z
        .string({ error: `${name} must be text` })
        .min(1, message)
        .max(200, message)
        .refine((s) => s.trim() !== '', message),
      { error: `${name} must be text` },
    ),
  );
};

const single = (name: string) => z.string({ error: `${name} must be a single value` }).optional();

const flag = (name: string, fallback = false) =>
  z.preprocess(
    (v) =>
      blank(v)
        ? undefined
        : v === 'true' || v === '1'
          ? true
          : v === 'false' || v === '0'
            ? false
            : v,
    z.boolean({ error: once(name, `${name} must be true or false`) }).default(fallback),
  );

export const searchQuery = z.object({
  q: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() : v),
    z
      .string({
        error: (iss) =>
          iss.input === undefined ? 'q is required: the words to search for' : once('q', '')(iss),
      })
      .min(1, 'q must not be empty')
      // Counted in code points, as JSON Schema's maxLength is (zod's .max counts UTF-16 units).
      .refine(
        (s) => [...s].length <= LIMITS.maxQueryLength,
        `q must be at most ${LIMITS.maxQueryLength} characters`,
      )
      .meta({
        maxLength: LIMITS.maxQueryLength,
        description:
          'Words (all must match), "a phrase", -excluded, a OR b (also a|b), source:outlet, tag:tag.',
        examples: ['數位身分證'],
      }),
  ),
  page: intParam('page', 1, LIMITS.maxPage, 1).describe(
    `Page number; page × size is at most ${LIMITS.maxWindow}.`,
  ),
  size: intParam('size', 1, LIMITS.maxSize, LIMITS.defaultSize).describe('Hits per page.'),
  source: repeated('source').describe('Outlet; exact, else contained (either script). Repeatable.'),
  tag: repeated('tag').describe('Tag; exact, else contained. Repeatable.'),
  from: single('from').describe('Earliest date, inclusive (YYYY-MM-DD, UTC; or an ISO time).'),
  to: single('to').describe('Latest date, inclusive (YYYY-MM-DD, UTC; or an ISO time).'),
  sort: z
    .enum(['relevance', 'date'], { error: 'sort must be relevance or date' })
    .default('relevance')
    .describe('relevance, or date (newest first).'),
  facets: z
    .preprocess(
      (v) =>
        v === undefined
          ? []
          : [
              ...new Set(
                (Array.isArray(v) ? v : [v])
                  .flatMap((s) => (typeof s === 'string' ? s.split(',') : [s]))
                  .map((s) => (typeof s === 'string' ? s.trim() : s))
                  .filter((s) => s !== ''),
              ),
            ],
      z.array(
        z.enum(FACET_FIELDS as [FacetField, ...FacetField[]], {
          error: (iss) =>
            `facets must be a comma list of ${FACET_FIELDS.join(', ')}; unknown: ${String(iss.input)}`,
        }),
      ),
    )
    .describe('Comma list of source, tag, month: counts over the whole result set.'),
  explain: flag('explain').describe('Add the parts of each hit’s score.'),
  collapse: flag('collapse').describe(
    'One hit per near-duplicate group; the others are listed in its `duplicates`.',
  ),
  script: z
    .enum(['hant', 'hans'], { error: 'script must be hant (Traditional) or hans (Simplified)' })
    .optional()
    .describe('Show titles and snippets in Traditional (hant) or Simplified (hans); display only.'),
  correct: flag('correct', true).describe(
    'false: the hits are always those of `q` as typed; `did_you_mean` is still offered. ' +
      'Default true: a query finding nothing is searched as `did_you_mean` (or pinyin as ' +
      '`interpreted_as`) instead.',
  ),
});

export const suggestQuery = z.object({
  q: z
    .string({
      error: (iss) =>
        iss.input === undefined ? 'q is required: the text typed so far' : once('q', '')(iss),
    })
    .refine((s) => s.trim().length > 0, 'q must not be empty')
    .refine(
      (s) => [...s].length <= LIMITS.maxSuggestLength,
      `q must be at most ${LIMITS.maxSuggestLength} characters`,
    )
    .meta({
      minLength: 1,
      maxLength: LIMITS.maxSuggestLength,
      description: 'The text typed so far.',
    }),
  size: intParam('size', 1, 20, 8).describe('Suggestions at most.'),
  script: z
    .enum(['hant', 'hans'], { error: 'script must be hant (Traditional) or hans (Simplified)' })
    .optional()
    .describe(
      'Script of completions of pinyin, and of text the same in both scripts (default: ' +
        'Simplified); characters typed in one script are completed in that script.',
    ),
});

export const relatedQuery = z.object({
  size: intParam('size', 1, 20, 5).describe('Related articles at most.'),
});

const label = (name: string, max: number) =>
  z
    .string({ error: `${name} must be text` })
    .trim()
    .max(max, `${name} must be at most ${max} characters`);

/** A list of labels, or one string of comma-separated labels (as in post front matter). */
const labels = (name: string) =>
  z
    .union([z.string(), z.array(z.string())], { error: `${name} must be a list of strings` })
    .optional()
    .describe('A list, or one comma-separated string.')
    .transform((v) => (v === undefined ? [] : typeof v === 'string' ? v.split(/[,，]/) : v))
    .pipe(z.array(label(name, 100)).max(100, `at most 100 ${name}`))
    .transform((v) => v.filter((s) => s !== ''));

/** An article sent as JSON (PUT /documents/:id, a line of POST /documents/_bulk). */
export const articleBody = z
  .object(
    {
      id: z
        .string()
        .optional()
        .describe('Optional in PUT (must equal the path); required in bulk lines.'),
      title: label('title', LIMITS.maxTitleLength).refine(
        (s) => s.length > 0,
        'title must not be empty',
      ),
      body: z
        .string({ error: 'body must be text (HTML, Markdown or plain text; see format)' })
        .max(LIMITS.maxBodyChars, `body must be at most ${LIMITS.maxBodyChars} characters`)
        .describe('HTML (cleaned like a post body), Markdown or text, per format.'),
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
        .describe('An ISO 8601 string or epoch milliseconds.')
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

/** PUT /admin/dictionary: words for jieba to keep whole (each checked by checkWord after). */
export const dictionaryBody = z.object(
  {
    words: z
      .array(z.unknown(), { error: 'words must be a list of strings' })
      .min(1, 'words must hold at least one word')
      .max(100, 'at most 100 words at a time')
      .meta({ items: { type: 'string', minLength: 1, maxLength: 20 } })
      .describe('Words, 1–20 letters or digits each; normalized to Simplified.'),
  },
  { error: 'the body must be JSON: {"words": ["…"]}' },
);

// ---------------------------------------------------------------------------------------------
// Responses. Objects are strict: a field the code sends but the schema lacks fails the test.

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');
const text = z.string();
const texts = z.array(z.string());

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum([...ERROR_CODES, 'internal']),
      message: text.describe('What was wrong, in words a client can act on.'),
    }),
  })
  .describe('Every 4xx and 5xx answer.');

const count = z.int().min(0);

export const healthResponse = z.object({
  status: z.enum(['ok', 'loading']),
  documents: count.describe('Live documents.'),
  index: z
    .object({
      segments: z
        .array(
          z.object({
            documents: count.describe('Documents it holds, deleted ones included.'),
            deleted: count.describe('Of those, marked deleted (purged by a later merge).'),
          }),
        )
        .describe('The sealed (immutable) segments, in index order.'),
      buffered: count.describe(
        'Documents in the in-memory write buffer: searchable, sealed as a segment at the next flush.',
      ),
      deleted: count.describe('Documents marked deleted in the sealed segments, all together.'),
      suggestions_current: z
        .boolean()
        .describe(
          'Whether /suggest and "did you mean" serve the tables of the current vocabulary: false for about a second after a flush, while the writer builds them in a worker thread (the previous ones serve meanwhile), and in a process that applies no writes until the first request that needs them.',
        ),
    })
    .optional()
    .describe('The segments of the served index (absent while loading).'),
  writes: z
    .object({
      flushes: count.describe('Write buffers sealed as segments since the process started.'),
      last_flush_at: isoTime.nullable(),
      commits: count.describe('Commit points written (segments fsynced, the log trimmed).'),
      last_commit_at: isoTime.nullable(),
      merges_running: count.describe('Segment merges under way in the merge worker (0 or 1).'),
      merges_completed: count,
      last_merge_at: isoTime.nullable(),
      last_merge_ms: count.nullable().describe('How long the last merge took, start to swap-in.'),
    })
    .nullable()
    .optional()
    .describe('What this process did to the segments; null where it does not apply writes.'),
});

export const readyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  index_loaded: z.boolean(),
  writes_applied: z
    .boolean()
    .describe('Writes are applied here, forwarded to the process that applies them, or off.'),
  current: z
    .boolean()
    .describe('False while this process catches up with a commit it was told of (WORKERS > 1).'),
  documents: z.int().min(0),
  applied_seq: z.int().min(0).describe('The last write-ahead-log record the index holds.'),
});

export const termExplanation = z.object({
  term: text,
  via: z
    .enum(['verbatim', 'words'])
    .describe('How it matched: the text as typed, or its jieba words apart.'),
  title: z.number(),
  body: z.number(),
  page_text: z.number(),
  idf: z.number(),
  bm25f: z.number(),
  title_bonus: z.number(),
});

export const explanation = z
  .object({
    verbatim_clauses: z.int(),
    terms: z.array(termExplanation),
    proximity: z.number(),
    relevance: z.number(),
    freshness: z.number(),
    score: z.number(),
  })
  .describe('With explain=true: matched terms per field and the parts of the score.');

export const hit = z.object({
  id: text,
  title: text,
  title_html: text.describe('HTML-escaped title; the only tags are <mark>.'),
  url: text.nullable(),
  source: text.nullable(),
  date: isoTime.nullable(),
  tags: texts,
  categories: texts,
  score: z.number(),
  snippet: text.describe('HTML-escaped passage; the only tags are <mark>.'),
  matched_via: texts
    .optional()
    .describe(
      'Regional equivalents that matched, e.g. "身份证 ≡ 身分證" (typed ≡ in the article).',
    ),
  duplicates: texts
    .optional()
    .describe('With collapse=true: ids of near-duplicates of this hit that also matched.'),
  explain: explanation.optional(),
});

export const facetValue = z.object({ value: text, count: z.int().min(1) });

export const searchResult = z.object({
  query: text,
  total: z.int().min(0),
  page: z.int().min(1),
  size: z.int().min(1),
  took_ms: z.number().min(0),
  hits: z.array(hit),
  facets: z
    .object({
      source: z.array(facetValue).optional(),
      tag: z.array(facetValue).optional(),
      month: z.array(facetValue).optional(),
    })
    .optional()
    .describe('With facets=…: value counts over the whole result set, most frequent first.'),
  did_you_mean: text
    .optional()
    .describe(
      'When the query has fewer than 3 hits: the query the reader most likely meant (a ' +
        'homophone typo, a regional form, a variant character corrected; pinyin read as ' +
        'characters), in the script typed.',
    ),
  corrected_from: text
    .optional()
    .describe(
      'Set when the query found nothing and the hits are those of `did_you_mean`: the query ' +
        'as typed (as `query`). correct=false turns this off.',
    ),
  interpreted_as: text
    .optional()
    .describe(
      'A query of pinyin only that matched no Latin text was searched as these characters ' +
        '(its best reading in the vocabulary); the hits are theirs.',
    ),
  timed_out: z
    .literal(true)
    .optional()
    .describe(
      'Present when the search ran out of its time budget (SEARCH_TIMEOUT_MS): hits and total then cover the documents ranked until then.',
    ),
});

export const suggestResult = z.object({
  query: text,
  suggestions: z.array(
    z.object({
      text,
      pinyin: text
        .optional()
        .describe('For a completion of pinyin: the reading it matched, syllables apart.'),
    }),
  ),
});

export const documentResponse = z.object({
  id: text.describe('Path of the post relative to the indexed folder, without extension.'),
  title: text,
  body: text.describe('Plain text: paragraphs separated by "\\n".'),
  url: text.nullable(),
  source: text.nullable(),
  date: isoTime.nullable(),
  tags: texts,
  categories: texts,
  related: z.array(z.object({ title: text, url: text })).describe('The 延伸閱讀 block.'),
  hash: text.optional().describe('SHA-1 of the post file’s bytes (posts read from files).'),
});

export const relatedHit = z.object({
  id: text,
  title: text,
  url: text.nullable(),
  source: text.nullable(),
  date: isoTime.nullable(),
  score: z.number(),
  shared_terms: texts,
});

export const relatedResult = z.object({ id: text, related: z.array(relatedHit) });

export const writeResult = z.object({
  id: text,
  result: z.enum(['created', 'updated', 'deleted']),
  seq: z.int().optional().describe('The write-ahead-log record holding the change.'),
});

export const bulkResult = z.object({
  took_ms: z.number(),
  errors: z.boolean().describe('Whether any line failed.'),
  items: z.array(
    z.object({
      line: z.int().min(1),
      id: text.optional(),
      status: z.int(),
      result: writeResult.shape.result.optional(),
      seq: z.int().optional(),
      error: errorResponse.shape.error.optional(),
    }),
  ),
});

export const dictionaryState = z.object({
  words: texts.describe('The user dictionary, normalized.'),
  pending_documents: z.int().min(0).describe('Articles still being re-analyzed.'),
  fingerprint: text.describe('The analyzer fingerprint, user dictionary included.'),
});

export const dictionaryUpdate = z.object({
  added: texts.describe('Words new to the dictionary.'),
  known: texts.describe('Words it held already.'),
  documents: z.int().min(0).describe('Articles that hold an added word: re-analyzed now.'),
  fingerprint: text,
});

export type Explanation = z.output<typeof explanation>;
export type TermExplanation = z.output<typeof termExplanation>;
export type Hit = z.output<typeof hit>;
export type FacetValue = z.output<typeof facetValue>;
export type SearchResult = z.output<typeof searchResult>;
export type SuggestResult = z.output<typeof suggestResult>;
export type DocumentResponse = z.output<typeof documentResponse>;
export type RelatedHit = z.output<typeof relatedHit>;
export type DictionaryState = z.output<typeof dictionaryState>;
export type DictionaryUpdate = z.output<typeof dictionaryUpdate>;
export type HealthResponse = z.output<typeof healthResponse>;
