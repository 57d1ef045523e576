/**
 * The Express app: routes, validation, error mapping. It knows the search API, not jieba.
 * The index arrives through `state` (null while it is loading, so /health can say 503).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { NewsIndex } from '../index/news-index.js';
import { searchOrCorrect } from '../search/did-you-mean.js';
import type { RankingParams } from '../search/ranking.js';
import { SearchError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { parse, documentId } from './validation.js';
import { searchQuery, suggestQuery, relatedQuery } from '../api.js';
import { suggest } from '../search/suggest.js';
import { docNumber, getDocument, relatedDocuments } from '../search/documents.js';
import { openApiDocument } from './openapi.js';
import { webRouter } from './web.js';
import { adminRouter } from './admin.js';
import { writesDisabledRouter, writesRouter } from './writes.js';
import type { IndexWriter } from '../index/writer.js';

export interface ServerState {
  /** The served reader (a single built index is served as a one-segment reader). */
  index: IndexReader | NewsIndex | null;
  /** Applies writes (HTTP, folder watch, dictionary); null until the index is loaded. */
  writer?: IndexWriter | null;
}

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_query: 400,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  not_ready: 503,
  index_missing: 503,
  index_incompatible: 503,
  index_corrupt: 503,
  index_locked: 503,
  too_large: 413,
  unsupported_type: 415,
  writes_disabled: 405,
};

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export interface AppOptions {
  /** Bearer key for the admin endpoints; null turns them off. */
  writeKey?: string | null;
  /** Where the served index lives (for the user dictionary and saves); null: memory only. */
  indexDir?: string | null;
  /** How /search weighs its signals (DEFAULT_RANKING unless configured). */
  ranking?: RankingParams;
}

export function createApp(
  state: ServerState,
  logger: Logger,
  options: AppOptions = {},
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(pinoHttp({ logger, autoLogging: { ignore: (req) => req.url === '/health' } }));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });

  const ready = (): IndexReader => {
    if (!state.index)
      throw new SearchError('not_ready', 'the index is still loading; retry shortly');
    return readerOf(state.index);
  };

  app.get('/health', (_req, res) => {
    if (!state.index) return res.status(503).json({ status: 'loading', documents: 0 });
    res.json({ status: 'ok', documents: state.index.size });
  });

  app.get('/search', (req, res) => {
    const params = parse(searchQuery, req.query);
    res.json(searchOrCorrect(ready(), params, options.ranking));
  });

  app.get('/suggest', (req, res) => {
    const { q, size, script } = parse(suggestQuery, req.query);
    res.json(suggest(ready(), q, size, { script }));
  });

  // Ids may hold `/` (posts in subfolders), so these routes match the raw path.
  const documentOr404 = (raw: string) => {
    const index = ready();
    const id = documentId(raw);
    const d = docNumber(index, id);
    if (d === undefined)
      throw new SearchError('not_found', `no document with id ${JSON.stringify(id)}`);
    return { index, d };
  };
  app.get(/^\/documents\/(.+)\/related$/, (req, res) => {
    const { index, d } = documentOr404((req.params as Record<string, string>)[0]);
    const { size } = parse(relatedQuery, req.query);
    res.json({ id: index.doc(d).id, related: relatedDocuments(index, d, size) });
  });
  app.get(/^\/documents\/(.+)$/, (req, res) => {
    const { index, d } = documentOr404((req.params as Record<string, string>)[0]);
    res.json(getDocument(index, d));
  });

  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  if (options.writeKey) {
    app.use(writesRouter(state, options.writeKey));
    app.use(
      adminRouter(state, {
        writeKey: options.writeKey,
        indexDir: options.indexDir ?? null,
        logger,
      }),
    );
  } else {
    app.use(writesDisabledRouter());
  }

  app.use(webRouter());

  app.use((req, res) => sendError(res, 404, 'not_found', `no route for ${req.method} ${req.path}`));

  // Express 5 forwards thrown and rejected errors here; nothing leaves as a stack trace.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SearchError) return sendError(res, STATUS[err.code], err.code, err.message);
    const e = err as { status?: number; type?: string; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendError(
        res,
        e.status,
        e.status === 413 ? 'too_large' : 'bad_request',
        e.type ? `${e.type}: ${e.message}` : String(e.message),
      );
    }
    req.log.error({ err }, 'unhandled error');
    sendError(res, 500, 'internal', 'internal error; the incident was logged');
  });
  return app;
}
