/**
 * The write API, on only when a write key is configured (WRITE_KEY; each call needs
 * `Authorization: Bearer <key>`):
 *   PUT    /documents/:id     a JSON article, or a raw post (front matter + body) as text/markdown
 *   DELETE /documents/:id     404 when unknown
 *   POST   /documents/_bulk   NDJSON: an article with its "id" per line, or {"delete": "<id>"};
 *                             a result per line, a bad line failing only itself
 * A write is answered once it is flushed to the log on disk and searchable (index/writer.ts).
 */
import express, { type Request } from 'express';
import type { ServerState } from './app.js';
import { requireKey } from './auth.js';
import { SearchError } from '../errors.js';
import { checkId, documentId, parse } from './validation.js';
import { articleBody, bulkDelete, LIMITS } from '../api.js';
import { submittedArticle } from '../ingest/submitted.js';
import { readPost } from '../ingest/post.js';
import { IngestError } from '../ingest/article.js';
import type { WalOp } from '../index/wal.js';
import type { IndexWriter, WriteResult } from '../index/writer.js';

/** One article: a post file may be 5 MB (decode.ts); JSON escaping can double that. */
export const MAX_DOCUMENT_BYTES = 2 * LIMITS.maxBodyChars;
export const MAX_BULK_BYTES = 64 * 1024 * 1024;
export const MAX_BULK_LINES = 10_000;
const MARKDOWN_TYPES = ['text/markdown', 'text/x-markdown'];
const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'text/plain',
];

/** A JSON article or a raw post → a log operation; a SearchError('bad_request') says why not. */
function putOp(id: string, body: unknown, markdown: boolean): WalOp {
  try {
    if (markdown) {
      const { article, extra } = readPost(Buffer.from(body as string, 'utf8'), id, id);
      return { op: 'put', article, extra };
    }
    const fields = parse(articleBody, body);
    if (fields.id !== undefined && fields.id !== id)
      throw new SearchError(
        'bad_request',
        `the body's id ${JSON.stringify(fields.id)} differs from the URL's ${JSON.stringify(id)}`,
      );
    const { article, extra } = submittedArticle(id, fields);
    return { op: 'put', article, extra };
  } catch (e) {
    if (e instanceof IngestError) throw new SearchError('bad_request', e.reason);
    throw e;
  }
}

const statusOf = (r: WriteResult) =>
  r.result === 'created' ? 201 : r.result === 'not_found' ? 404 : 200;

export function writesRouter(state: ServerState, writeKey: string): express.Router {
  const router = express.Router();
  const writer = (): Pick<IndexWriter, 'submit'> => {
    if (state.backend) return state.backend;
    if (!state.writer)
      throw new SearchError('not_ready', 'the index is still loading; retry shortly');
    return state.writer;
  };
  const idOf = (req: Request) => documentId((req.params as Record<string, string>)[0]);
  /** Applied, and (in a cluster) searchable on every serving process: then it is answered. */
  const submit = async (ops: WalOp[]): Promise<WriteResult[]> => {
    const results = await writer().submit(ops);
    const last = Math.max(0, ...results.map((r) => r.seq ?? 0));
    if (last && state.published) await state.published(last);
    return results;
  };
  const auth = requireKey(writeKey);

  router.post(
    '/documents/_bulk',
    auth,
    express.text({ type: NDJSON_TYPES, limit: MAX_BULK_BYTES }),
    async (req, res) => {
      if (typeof req.body !== 'string')
        throw new SearchError('unsupported_type', `send NDJSON as ${NDJSON_TYPES[0]}`);
      const started = performance.now();
      const lines = req.body.split('\n');
      if (lines.length > MAX_BULK_LINES + 1)
        throw new SearchError('too_large', `at most ${MAX_BULK_LINES} lines per request`);
      const items: Record<string, unknown>[] = [];
      const ops: WalOp[] = [];
      const opItems: number[] = [];
      lines.forEach((line, i) => {
        if (line.trim() === '') return;
        const item: Record<string, unknown> = { line: i + 1 };
        items.push(item);
        try {
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch {
            throw new SearchError('bad_request', 'not a JSON object');
          }
          let op: WalOp;
          if (value !== null && typeof value === 'object' && 'delete' in value) {
            const { delete: id } = parse(bulkDelete, value);
            checkId(id);
            item.id = id;
            op = { op: 'delete', id };
          } else {
            const id = (value as { id?: unknown } | null)?.id;
            if (typeof id !== 'string')
              throw new SearchError(
                'bad_request',
                'each article line needs an "id" (or is {"delete": "<id>"})',
              );
            checkId(id);
            item.id = id;
            op = putOp(id, value, false);
          }
          ops.push(op);
          opItems.push(items.length - 1);
        } catch (e) {
          if (!(e instanceof SearchError)) throw e;
          Object.assign(item, { status: 400, error: { code: e.code, message: e.message } });
        }
      });
      const results = ops.length ? await submit(ops) : [];
      results.forEach((r, k) => {
        const item = items[opItems[k]];
        item.status = statusOf(r);
        if (r.result === 'not_found')
          item.error = {
            code: 'not_found',
            message: `no document with id ${JSON.stringify(r.id)}`,
          };
        else Object.assign(item, { result: r.result, seq: r.seq });
      });
      res.json({
        took_ms: Math.round((performance.now() - started) * 10) / 10,
        errors: items.some((it) => (it.status as number) >= 400),
        items,
      });
    },
  );

  router.put(
    /^\/documents\/(.+)$/,
    auth,
    express.json({ limit: MAX_DOCUMENT_BYTES }),
    express.text({ type: MARKDOWN_TYPES, limit: MAX_DOCUMENT_BYTES }),
    async (req, res) => {
      const id = idOf(req);
      if (id === '_bulk') throw new SearchError('bad_request', '"_bulk" is reserved');
      const markdown = typeof req.body === 'string';
      if (!markdown && !req.is('application/json'))
        throw new SearchError(
          'unsupported_type',
          `send the article as application/json or a raw post as ${MARKDOWN_TYPES[0]}`,
        );
      const [r] = await submit([putOp(id, req.body, markdown)]);
      res.status(statusOf(r)).json(r);
    },
  );

  router.delete(/^\/documents\/(.+)$/, auth, async (req, res) => {
    const id = idOf(req);
    const [r] = await submit([{ op: 'delete', id }]);
    if (r.result === 'not_found')
      throw new SearchError('not_found', `no document with id ${JSON.stringify(id)}`);
    res.json(r);
  });
  return router;
}

/** With no write key, say why writes fail rather than "no route". */
export function writesDisabledRouter(): express.Router {
  const router = express.Router();
  const off = () => {
    throw new SearchError(
      'writes_disabled',
      'writes are off: start the service with WRITE_KEY set (docs/api.md: write API)',
    );
  };
  router.post('/documents/_bulk', off);
  router.put(/^\/documents\/(.+)$/, off);
  router.delete(/^\/documents\/(.+)$/, off);
  return router;
}
