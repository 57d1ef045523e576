/**
 * The OpenAPI 3.1 document served at GET /openapi.json, generated from the zod schemas of
 * ../api.ts (zod's JSON Schema output, draft 2020-12 as OpenAPI 3.1 uses): parameters, bodies
 * and responses are never written out by hand here, only the prose around them.
 */
import { z } from 'zod';
import {
  articleBody,
  bulkResult,
  dictionaryBody,
  dictionaryState,
  dictionaryUpdate,
  documentResponse,
  errorResponse,
  explanation,
  facetValue,
  healthResponse,
  readyResponse,
  hit,
  LIMITS,
  relatedHit,
  relatedQuery,
  relatedResult,
  searchQuery,
  searchResult,
  suggestQuery,
  suggestResult,
  writeResult,
} from '../api.js';

type JsonSchema = Record<string, unknown>;

/** Response schemas, published under components.schemas by these names. */
const RESPONSES: Record<string, z.ZodType> = {
  Error: errorResponse,
  Health: healthResponse,
  Ready: readyResponse,
  SearchResult: searchResult,
  Hit: hit,
  Explanation: explanation,
  FacetValue: facetValue,
  SuggestResult: suggestResult,
  Document: documentResponse,
  RelatedResult: relatedResult,
  RelatedHit: relatedHit,
  WriteResult: writeResult,
  BulkResult: bulkResult,
  DictionaryState: dictionaryState,
  DictionaryUpdate: dictionaryUpdate,
};

/** Parameters sent as one comma list (`facets=source,tag`) rather than repeated. */
const COMMA_LISTS = new Set(['facets']);

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON Schema without the `$schema`/`$id` zod puts at the top (OpenAPI gives the dialect). */
function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function components(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(RESPONSES)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) out[id] = bare(schema as JsonSchema);
  // What a client sends: the schema's input side (before defaults and conversions).
  out.ArticleInput = bare(z.toJSONSchema(articleBody, { io: 'input' }) as JsonSchema);
  out.DictionaryInput = bare(z.toJSONSchema(dictionaryBody, { io: 'input' }) as JsonSchema);
  return out;
}

/** The query parameters of a route, one per field of its zod schema. */
function queryParameters(schema: z.ZodObject): JsonSchema[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, examples, ...json } = bare(
      z.toJSONSchema(field as z.ZodType, { io: 'input' }) as JsonSchema,
    );
    return {
      name,
      in: 'query',
      required: !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: json,
      ...(Array.isArray(examples) ? { example: examples[0] } : {}),
      ...(json.type === 'array' ? { style: 'form', explode: !COMMA_LISTS.has(name) } : {}),
    };
  });
}

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description:
    'Path of the post relative to the indexed folder, without extension; may contain /. ' +
    `No "..", ".", empty segments, control characters or backslashes; 1–${LIMITS.maxIdLength} characters.`,
  schema: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength },
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const answer = (description: string, name: string) => ({ description, content: json(ref(name)) });
const failure = (description: string) => answer(description, 'Error');

const writeErrors = {
  '400': failure('Bad id or article'),
  '401': failure('No bearer key'),
  '403': failure('Wrong key'),
  '405': failure('Writes are off (no WRITE_KEY configured)'),
  '429': failure('Over RATE_LIMIT_WRITE for this address; Retry-After says when to retry'),
  '503': failure('Index still loading, or overloaded (Retry-After)'),
};

/** What any read route may also answer, with SEARCH_KEY, rate limits and load shedding. */
const readErrors = {
  '401': failure('SEARCH_KEY is set and no bearer key was sent'),
  '403': failure('Wrong SEARCH_KEY'),
  '429': failure('Over RATE_LIMIT_READ for this address; Retry-After says when to retry'),
  '503': failure('Index still loading, or overloaded (Retry-After)'),
};

function document(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'zh-news-search',
      version: '0.1.0',
      description:
        'Full-text search for Chinese news in Traditional and Simplified script. Queries in either script find the same articles; titles and snippets are highlighted with <mark> in the article’s own script (or in the script asked for with `script`).',
    },
    'x-limits': LIMITS,
    paths: {
      '/search': {
        get: {
          summary: 'Ranked, highlighted search',
          description:
            'Hits are ordered by how many query words match verbatim, then by score (BM25F + proximity, blended with freshness); `sort=date` orders newest first. ' +
            `page × size is at most ${LIMITS.maxWindow} (x-limits.maxWindow).`,
          parameters: queryParameters(searchQuery),
          responses: {
            '200': answer('Results', 'SearchResult'),
            '400': failure('Bad parameter or malformed query'),
            ...readErrors,
          },
        },
      },
      '/suggest': {
        get: {
          summary: 'Completions for a partial query',
          description:
            'Title words and phrases starting with the last word typed, most frequent first, in the script typed.',
          parameters: queryParameters(suggestQuery),
          responses: {
            '200': answer('Suggestions', 'SuggestResult'),
            '400': failure('Bad parameter'),
            ...readErrors,
            '503': failure('Index still loading'),
          },
        },
      },
      '/documents/{id}': {
        get: {
          summary: 'One article: metadata, plain text, related links',
          parameters: [idParameter],
          responses: {
            '200': answer('The article', 'Document'),
            '400': failure('Not a valid id'),
            '404': failure('No such document'),
            ...readErrors,
          },
        },
        put: {
          summary: 'Add or replace an article (WRITE_KEY)',
          description:
            'Answered once the change is flushed to the write-ahead log and searchable. Send a JSON article, or a raw post (front matter + body) as text/markdown.',
          security: [{ bearer: [] }],
          parameters: [idParameter],
          requestBody: {
            required: true,
            content: {
              ...json(ref('ArticleInput')),
              'text/markdown': {
                schema: {
                  type: 'string',
                  description: 'A post file: YAML front matter, then an HTML or Markdown body.',
                },
              },
            },
          },
          responses: {
            '200': answer('Replaced', 'WriteResult'),
            '201': answer('Created', 'WriteResult'),
            ...writeErrors,
            '413': failure('Body over 10 MB'),
            '415': failure('Neither JSON nor text/markdown'),
          },
        },
        delete: {
          summary: 'Delete an article (WRITE_KEY)',
          security: [{ bearer: [] }],
          parameters: [idParameter],
          responses: {
            '200': answer('Deleted', 'WriteResult'),
            ...writeErrors,
            '404': failure('No such document'),
          },
        },
      },
      '/documents/_bulk': {
        post: {
          summary: 'Many writes at once (WRITE_KEY)',
          description:
            'NDJSON: per line an ArticleInput with its "id", or {"delete": "<id>"}. Every line gets its own result; a bad line fails only itself.',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          responses: {
            '200': answer('A result per non-empty line', 'BulkResult'),
            ...writeErrors,
            '413': failure('Over 64 MB or 10,000 lines'),
            '415': failure('Not NDJSON'),
          },
        },
      },
      '/documents/{id}/related': {
        get: {
          summary: 'More like this',
          description:
            'Articles sharing the article’s most distinctive words (near-duplicates and same-title copies excluded).',
          parameters: [idParameter, ...queryParameters(relatedQuery)],
          responses: {
            '200': answer('Related articles', 'RelatedResult'),
            '400': failure('Bad id or parameter'),
            '404': failure('No such document'),
            ...readErrors,
          },
        },
      },
      '/ready': {
        get: {
          summary: 'Readiness: the index is loaded and writes are applied',
          responses: {
            '200': answer('Ready', 'Ready'),
            '503': answer('Not ready (yet)', 'Ready'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (METRICS_KEY, when set)',
          description:
            'Requests by route and status, search latency and hits, index documents and generation, write-ahead-log size, write queue depth, time from write to searchable, process figures; with WORKERS > 1, every process’s figures together.',
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': {} } },
            '401': failure('METRICS_KEY is set and no bearer key was sent'),
            '403': failure('Wrong METRICS_KEY'),
          },
        },
      },
      '/admin/dictionary': {
        get: {
          summary: 'The user dictionary (WRITE_KEY)',
          security: [{ bearer: [] }],
          responses: {
            '200': answer('The words, and any re-analysis under way', 'DictionaryState'),
            '401': failure('No bearer key'),
            '403': failure('Wrong key'),
            '404': failure('No WRITE_KEY configured: the admin routes are off'),
          },
        },
        put: {
          summary: 'Add words for jieba to keep whole (WRITE_KEY)',
          description:
            'Answered at once; the articles holding an added word are re-analyzed in the background while queries go on, then saved.',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: json(ref('DictionaryInput')) },
          responses: {
            '202': answer('Accepted', 'DictionaryUpdate'),
            '400': failure('Not a list of words, or a word that is not one'),
            '401': failure('No bearer key'),
            '403': failure('Wrong key'),
            '404': failure('No WRITE_KEY configured: the admin routes are off'),
            '405': failure(
              'Served from a database (DATABASE_URL): the user dictionary is the embedded index’s',
            ),
            '503': failure('Index still loading'),
          },
        },
      },
      '/health': {
        get: {
          summary: 'Liveness',
          responses: {
            '200': answer('Index loaded', 'Health'),
            '503': answer('Index still loading', 'Health'),
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1 document' } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The WRITE_KEY the service was started with (writes, admin); SEARCH_KEY for reads when set; METRICS_KEY for /metrics when set.',
        },
      },
      schemas: components(),
    },
  };
}

let cached: JsonSchema | undefined;
/** The document, generated on first request (~50 ms of zod's JSON Schema output: not at start). */
export function openApiDocument(): JsonSchema {
  cached ??= document();
  return cached;
}
