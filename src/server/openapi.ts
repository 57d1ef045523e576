/** OpenAPI 3 description of every endpoint, served at GET /openapi.json. */

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const stringList = { type: 'array', items: { type: 'string' } };

const writeErrors = {
  '400': errorResponse('Bad id or article'),
  '401': errorResponse('No bearer key'),
  '403': errorResponse('Wrong key'),
  '405': errorResponse('Writes are off (no WRITE_KEY configured)'),
  '503': errorResponse('Index still loading'),
};

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'zh-news-search',
    version: '0.1.0',
    description:
      'Full-text search for Chinese news in Traditional and Simplified script. Queries in either script find the same articles; titles and snippets are highlighted with <mark> in the article’s own script (or in the script asked for with `script`).',
  },
  paths: {
    '/search': {
      get: {
        summary: 'Ranked, highlighted search',
        description:
          'Query syntax in `q`: words (all must match), "a phrase", -excluded, a OR b (also a|b), source:outlet, tag:tag. Hits are ordered by how many query words match verbatim, then by score (BM25F + proximity, blended with freshness); `sort=date` orders newest first.',
        parameters: [
          {
            name: 'q',
            in: 'query',
            required: true,
            schema: { type: 'string', minLength: 1, maxLength: 500 },
            example: '數位身分證',
          },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          {
            name: 'size',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
          },
          {
            name: 'source',
            in: 'query',
            description: 'Outlet; exact, else contained (either script). Repeatable.',
            schema: stringList,
            style: 'form',
            explode: true,
          },
          {
            name: 'tag',
            in: 'query',
            description: 'Tag; exact, else contained. Repeatable.',
            schema: stringList,
            style: 'form',
            explode: true,
          },
          {
            name: 'from',
            in: 'query',
            description: 'Earliest date, inclusive (YYYY-MM-DD, UTC).',
            schema: { type: 'string', format: 'date' },
          },
          {
            name: 'to',
            in: 'query',
            description: 'Latest date, inclusive (YYYY-MM-DD, UTC).',
            schema: { type: 'string', format: 'date' },
          },
          {
            name: 'sort',
            in: 'query',
            schema: { type: 'string', enum: ['relevance', 'date'], default: 'relevance' },
          },
          {
            name: 'facets',
            in: 'query',
            description: 'Comma list of source, tag, month: counts over the whole result set.',
            schema: { type: 'string' },
            example: 'source,tag,month',
          },
          {
            name: 'explain',
            in: 'query',
            description: 'Add the parts of each hit’s score.',
            schema: { type: 'boolean', default: false },
          },
          {
            name: 'script',
            in: 'query',
            description:
              'Show titles and snippets in Traditional (hant) or Simplified (hans); display only.',
            schema: { type: 'string', enum: ['hant', 'hans'] },
          },
        ],
        responses: {
          '200': {
            description: 'Results',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/SearchResult' } },
            },
          },
          '400': errorResponse('Bad parameter or malformed query'),
          '503': errorResponse('Index still loading'),
        },
      },
    },
    '/suggest': {
      get: {
        summary: 'Completions for a partial query',
        description:
          'Title words and phrases starting with the last word typed, most frequent first, in the script typed.',
        parameters: [
          {
            name: 'q',
            in: 'query',
            required: true,
            schema: { type: 'string', minLength: 1, maxLength: 100 },
            example: '數位',
          },
          {
            name: 'size',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 20, default: 8 },
          },
        ],
        responses: {
          '200': {
            description: 'Suggestions',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['query', 'suggestions'],
                  properties: {
                    query: { type: 'string' },
                    suggestions: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['text'],
                        properties: { text: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': errorResponse('Bad parameter'),
        },
      },
    },
    '/documents/{id}': {
      get: {
        summary: 'One article: metadata, plain text, related links',
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            description:
              'Path of the post relative to the indexed folder, without extension; may contain /.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The article',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Document' } } },
          },
          '400': errorResponse('Not a valid id'),
          '404': errorResponse('No such document'),
        },
      },
      put: {
        summary: 'Add or replace an article (WRITE_KEY)',
        description:
          'Answered once the change is flushed to the write-ahead log and searchable. Send a JSON article, or a raw post (front matter + body) as text/markdown.',
        security: [{ bearer: [] }],
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            description:
              'A relative path without extension; no "..", ".", empty segments, control characters or backslashes; 1–500 characters.',
            schema: { type: 'string' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/ArticleInput' } },
            'text/markdown': {
              schema: {
                type: 'string',
                description: 'A post file: YAML front matter, then an HTML or Markdown body.',
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'Replaced',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/WriteResult' } },
            },
          },
          '201': {
            description: 'Created',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/WriteResult' } },
            },
          },
          ...writeErrors,
          '413': errorResponse('Body over 10 MB'),
          '415': errorResponse('Neither JSON nor text/markdown'),
        },
      },
      delete: {
        summary: 'Delete an article (WRITE_KEY)',
        security: [{ bearer: [] }],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'Deleted',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/WriteResult' } },
            },
          },
          ...writeErrors,
          '404': errorResponse('No such document'),
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
          '200': {
            description: 'A result per non-empty line',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    took_ms: { type: 'number' },
                    errors: { type: 'boolean' },
                    items: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          line: { type: 'integer' },
                          id: { type: 'string' },
                          status: { type: 'integer' },
                          result: { type: 'string' },
                          seq: { type: 'integer' },
                          error: { type: 'object' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          ...writeErrors,
          '413': errorResponse('Over 64 MB or 10,000 lines'),
          '415': errorResponse('Not NDJSON'),
        },
      },
    },
    '/documents/{id}/related': {
      get: {
        summary: 'More like this',
        description:
          'Articles sharing the article’s most distinctive words (same-title copies excluded).',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'size',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
          },
        ],
        responses: {
          '200': {
            description: 'Related articles',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    related: { type: 'array', items: { $ref: '#/components/schemas/RelatedHit' } },
                  },
                },
              },
            },
          },
          '404': errorResponse('No such document'),
        },
      },
    },
    '/health': {
      get: {
        summary: 'Readiness',
        responses: {
          '200': {
            description: 'Index loaded',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    status: { type: 'string', enum: ['ok'] },
                    documents: { type: 'integer' },
                  },
                },
              },
            },
          },
          '503': { description: 'Index still loading' },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3 document' } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'The WRITE_KEY the service was started with.',
      },
    },
    schemas: {
      ArticleInput: {
        type: 'object',
        required: ['title', 'body'],
        additionalProperties: false,
        properties: {
          id: {
            type: 'string',
            description: 'Optional in PUT (must equal the path); required in bulk lines.',
          },
          title: { type: 'string', maxLength: 1000 },
          body: {
            type: 'string',
            description: 'HTML (cleaned like a post body), Markdown or text, per format.',
          },
          format: { type: 'string', enum: ['html', 'markdown', 'text'], default: 'html' },
          url: { type: 'string', format: 'uri', nullable: true },
          source: { type: 'string', maxLength: 200, nullable: true },
          date: {
            oneOf: [
              { type: 'string', format: 'date-time' },
              { type: 'integer', description: 'epoch milliseconds' },
            ],
            nullable: true,
          },
          tags: {
            oneOf: [
              { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 100 } },
              { type: 'string', description: 'comma-separated' },
            ],
          },
          categories: {
            oneOf: [
              { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 100 } },
              { type: 'string', description: 'comma-separated' },
            ],
          },
        },
      },
      WriteResult: {
        type: 'object',
        required: ['id', 'result'],
        properties: {
          id: { type: 'string' },
          result: { type: 'string', enum: ['created', 'updated', 'deleted'] },
          seq: { type: 'integer', description: 'The write-ahead-log record holding the change.' },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      Hit: {
        type: 'object',
        required: [
          'id',
          'title',
          'title_html',
          'url',
          'source',
          'date',
          'tags',
          'score',
          'snippet',
        ],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          title_html: {
            type: 'string',
            description: 'HTML-escaped title; the only tags are <mark>.',
          },
          url: { type: 'string', nullable: true },
          source: { type: 'string', nullable: true },
          date: { type: 'string', format: 'date-time', nullable: true },
          tags: stringList,
          categories: stringList,
          score: { type: 'number' },
          snippet: {
            type: 'string',
            description: 'HTML-escaped passage; the only tags are <mark>.',
          },
          explain: {
            type: 'object',
            description: 'With explain=true: matched terms per field and the parts of the score.',
          },
        },
      },
      FacetValue: {
        type: 'object',
        properties: { value: { type: 'string' }, count: { type: 'integer' } },
      },
      SearchResult: {
        type: 'object',
        required: ['query', 'total', 'page', 'size', 'took_ms', 'hits'],
        properties: {
          query: { type: 'string' },
          total: { type: 'integer' },
          page: { type: 'integer' },
          size: { type: 'integer' },
          took_ms: { type: 'number' },
          hits: { type: 'array', items: { $ref: '#/components/schemas/Hit' } },
          facets: {
            type: 'object',
            properties: {
              source: { type: 'array', items: { $ref: '#/components/schemas/FacetValue' } },
              tag: { type: 'array', items: { $ref: '#/components/schemas/FacetValue' } },
              month: { type: 'array', items: { $ref: '#/components/schemas/FacetValue' } },
            },
          },
        },
      },
      Document: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          body: { type: 'string' },
          url: { type: 'string', nullable: true },
          source: { type: 'string', nullable: true },
          date: { type: 'string', nullable: true },
          tags: stringList,
          categories: stringList,
          related: {
            type: 'array',
            items: {
              type: 'object',
              properties: { title: { type: 'string' }, url: { type: 'string' } },
            },
          },
          hash: {
            type: 'string',
            description: 'SHA-1 of the post file’s bytes (posts read from files).',
          },
        },
      },
      RelatedHit: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          url: { type: 'string', nullable: true },
          source: { type: 'string', nullable: true },
          date: { type: 'string', nullable: true },
          score: { type: 'number' },
          shared_terms: stringList,
        },
      },
    },
  },
} as const;
