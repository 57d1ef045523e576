/**
 * The Express app: routes, validation, error mapping, and what a public endpoint needs in front
 * of them (CORS on reads, compression, cache headers, rate limits, load shedding, metrics,
 * request ids). It knows the search API, not jieba. The index arrives through `state` (null
 * while it is loading, so /health and /ready can say 503).
 */
import { healthOf } from './health.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import compression from 'compression';
import cors from 'cors';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { NewsIndex } from '../index/news-index.js';
import { searchOrCorrect, type CorrectionParams } from '../search/did-you-mean.js';
import type { RankingParams } from '../search/ranking.js';
import { search, type SearchParams, type SearchResult } from '../search/searcher.js';
import { SearchError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Config } from '../config.js';
import { parse, documentId } from './validation.js';
import { searchQuery, suggestQuery, relatedQuery } from '../api.js';
import { suggest } from '../search/suggest.js';
import { docNumber, getDocument, relatedDocuments } from '../search/documents.js';
import { openApiDocument } from './openapi.js';
import { webRouter } from './web.js';
import { adminRouter } from './admin.js';
import { writesDisabledRouter, writesRouter } from './writes.js';
import type { IndexWriter } from '../index/writer.js';
import { requireKey } from './auth.js';
import { LoadShedder, rateLimiter, sendError } from './limits.js';
import { Metrics } from './metrics.js';
import { useRequestLog } from './request-log.js';
import { AnswerCache, EncodingChooser, prepare, sendPrepared } from './prepared.js';
import {
  backendRelated,
  backendSearch,
  vocabularyReader,
  type StorageBackend,
} from '../backend/backend.js';

export interface ServerState {
  /** The served reader (a single built index is served as a one-segment reader). */
  index: IndexReader | NewsIndex | null;
  /** Applies writes (HTTP, folder watch, dictionary); null until the index is loaded. */
  writer?: IndexWriter | null;
  /** False while a reader process is catching up with a commit it was told of (GET /ready). */
  current?: boolean;
  /**
   * In a cluster's writer (cluster.ts): resolves once every serving process sees record `seq`;
   * a write is answered after it.
   */
  published?: (seq: number) => Promise<void>;
  /** In a cluster's writer: the user dictionary changed and its snapshot is saved. */
  dictionaryChanged?: () => void;
  /**
   * A database backend (DATABASE_URL) instead of the embedded index: reads and writes go to it
   * through the same search code (backend/backend.ts).
   */
  backend?: StorageBackend | null;
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
  not_supported: 405,
  rate_limited: 429,
  overloaded: 503,
};

export interface AppOptions {
  /** Bearer key for the write and admin endpoints; null turns them off. */
  writeKey?: string | null;
  /** Where the served index lives (for the user dictionary and saves); null: memory only. */
  indexDir?: string | null;
  /** How /search weighs its signals (DEFAULT_RANKING unless configured). */
  ranking?: RankingParams;
  /** Origins whose pages may call the read routes ('*': any); none by default. */
  corsOrigins?: string[] | '*';
  /** Bearer key every read needs; null: reads are open. */
  searchKey?: string | null;
  /** Bearer key for GET /metrics; null: open. */
  metricsKey?: string | null;
  /** Requests per minute per client address; 0 or absent: no limit. */
  rateLimit?: { read: number; write: number };
  /** Express's `trust proxy` (whether X-Forwarded-For names the client). */
  trustProxy?: boolean | number | string;
  /** Time budget of one search in ms (absent: none). */
  searchTimeoutMs?: number;
  /** Load shedding (absent: none). */
  load?: { maxInFlight: number; maxEventLoopDelayMs: number };
  /** Searches at least this slow are logged with an explain summary (0 or absent: off). */
  slowQueryMs?: number;
  /** Bytes of serialized /search answers kept for repeated queries (0 or absent: none). */
  searchCacheBytes?: number;
  /** A cluster's reader (cluster.ts): writes and admin calls go here, to the writer. */
  forwardWrites?: (req: Request, res: Response) => void;
  /** A cluster's worker: /metrics shows every process's figures, gathered by this. */
  metricsText?: () => Promise<string>;
  /** Metrics registry to fill (one is made when absent). */
  metrics?: Metrics;
}

/** The app's options from the environment's configuration. */
export function appOptionsFrom(config: Config, metrics?: Metrics): AppOptions {
  return {
    writeKey: config.writeKey,
    indexDir: config.indexDir,
    corsOrigins: config.corsOrigins,
    searchKey: config.searchKey,
    metricsKey: config.metricsKey,
    rateLimit: { read: config.rateLimitRead, write: config.rateLimitWrite },
    trustProxy: config.trustProxy,
    searchTimeoutMs: config.searchTimeoutMs,
    load: { maxInFlight: config.maxInFlight, maxEventLoopDelayMs: config.maxEventLoopDelayMs },
    slowQueryMs: config.slowQueryMs,
    searchCacheBytes: config.searchCacheMb * 2 ** 20,
    metrics,
  };
}

/** Seconds a browser or CDN may reuse an answer (results change only with writes). */
const CACHE = {
  results: 10,
  documents: 60,
};

/** Read routes: the ones a page on another origin calls (CORS, SEARCH_KEY, read rate limit). */
const isReadPath = (path: string) =>
  path === '/search' || path === '/suggest' || path.startsWith('/documents/');

/** A bounded label per route for metrics (never the raw path: ids would explode the series). */
function routeLabel(req: Request): string {
  const p = req.path;
  if (p === '/search' || p === '/suggest' || p === '/health' || p === '/ready') return p;
  if (p === '/metrics' || p === '/openapi.json') return p;
  if (p === '/documents/_bulk') return p;
  if (p.startsWith('/documents/'))
    return p.endsWith('/related') ? '/documents/:id/related' : '/documents/:id';
  if (p.startsWith('/admin/')) return '/admin';
  if (req.method === 'GET' || req.method === 'HEAD') return '/ (page)';
  return 'other';
}

const UNLOGGED = new Set(['/health', '/ready', '/metrics']);

export function createApp(
  state: ServerState,
  logger: Logger,
  options: AppOptions = {},
): express.Express {
  const app = express();
  const metrics = options.metrics ?? new Metrics({ processMetrics: false });
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);
  // One middleware and one 'finish' listener for the request id, the log line and the request
  // metrics: they run on every request, so they are kept to the least work (design.md).
  const observed = new Map<string, { count: () => void; time: (s: number) => void }>();
  const observe = (req: Request, res: Response, seconds: number) => {
    const route = routeLabel(req);
    const key = `${req.method} ${route} ${res.statusCode}`;
    let series = observed.get(key);
    if (!series) {
      const labels = { method: req.method, route, status: res.statusCode };
      const count = metrics.requests.labels(labels);
      const time = metrics.requestSeconds.labels(labels);
      series = { count: () => count.inc(), time: (s) => time.observe(s) };
      // Bounded by the labels (method, a route label, a status), but a client can invent
      // methods: past a few hundred series the children are not kept.
      if (observed.size < 512) observed.set(key, series);
    }
    series.count();
    series.time(seconds);
  };
  useRequestLog(app, logger, UNLOGGED, observe);

  // CORS on reads only. A preflight asking for any other method (a write) is not answered with
  // CORS headers, so a browser never sends the write.
  const origins = options.corsOrigins ?? [];
  if (origins === '*' || origins.length > 0) {
    const allow = cors({
      origin: origins === '*' ? '*' : origins,
      methods: ['GET', 'HEAD'],
      allowedHeaders: ['Authorization'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    });
    app.use((req, res, next) => {
      if (!isReadPath(req.path)) return next();
      if (req.method === 'GET' || req.method === 'HEAD') return allow(req, res, next);
      const asked = req.get('Access-Control-Request-Method');
      if (req.method === 'OPTIONS' && (asked === 'GET' || asked === 'HEAD'))
        return allow(req, res, next);
      next();
    });
  }

  const shedder = options.load ? new LoadShedder(options.load, metrics) : null;
  if (shedder) {
    app.use((req, res, next) =>
      UNLOGGED.has(req.path) ? next() : shedder.middleware(req, res, next),
    );
  }

  // /search compresses its own answers, once per cached answer (prepared.ts).
  const compress = compression();
  app.use((req, res, next) => (req.path === '/search' ? next() : compress(req, res, next)));

  const ready = (): IndexReader => {
    if (!state.index)
      throw new SearchError('not_ready', 'the index is still loading; retry shortly');
    return readerOf(state.index);
  };
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  };

  metrics.watch({
    documents: () => state.index?.size ?? 0,
    appliedSeq: () => state.index?.appliedSeq ?? 0,
    walBytes: () => state.writer?.logBytes ?? 0,
    writeQueueDepth: () => state.writer?.queueDepth ?? 0,
    segments: () => (state.index ? readerOf(state.index).sealed.length : 0),
    deletedDocuments: () => healthOf(state.index, null).index?.deleted ?? 0,
    mergesRunning: () => state.writer?.activity.mergesRunning ?? 0,
    mergesCompleted: () => state.writer?.activity.mergesCompleted ?? 0,
  });

  app.get('/health', noStore, async (_req, res) => {
    // On a database the segments are its business: the document count only.
    if (state.backend) return res.json({ status: 'ok', documents: await state.backend.size() });
    res.status(state.index ? 200 : 503).json(healthOf(state.index, state.writer));
  });

  // Readiness: the index is loaded and (where this process applies writes) the writer runs; a
  // reader process is ready when it holds the last commit it was told of.
  app.get('/ready', noStore, async (_req, res) => {
    if (state.backend) {
      const documents = await state.backend.size();
      return res.json({
        status: 'ready',
        index_loaded: true,
        writes_applied: true,
        current: true,
        documents,
        applied_seq: 0,
      });
    }
    const index = state.index;
    const writing = Boolean(state.writer || options.forwardWrites) || !options.writeKey;
    const current = state.current !== false;
    const ok = Boolean(index) && writing && current;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ready' : 'not_ready',
      index_loaded: Boolean(index),
      writes_applied: writing,
      current,
      documents: index?.size ?? 0,
      applied_seq: index?.appliedSeq ?? 0,
    });
  });

  const metricsAuth = options.metricsKey
    ? requireKey(options.metricsKey, 'METRICS_KEY')
    : (_req: Request, _res: Response, next: NextFunction) => next();
  app.get('/metrics', noStore, metricsAuth, async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await (options.metricsText?.() ?? metrics.registry.metrics()));
  });

  const readAuth = options.searchKey
    ? requireKey(options.searchKey, 'SEARCH_KEY')
    : (_req: Request, _res: Response, next: NextFunction) => next();
  const readLimit = rateLimiter(options.rateLimit?.read ?? 0, 'read', metrics);
  const scope = options.searchKey ? 'private' : 'public';
  const cacheFor = (seconds: number) => (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', `${scope}, max-age=${seconds}`);
    next();
  };
  const read = (seconds: number) => [readLimit, readAuth, cacheFor(seconds)];

  const timeoutMs = options.searchTimeoutMs;
  const slowMs = options.slowQueryMs ?? 0;
  // Repeated searches (a search box: many readers type the same few queries) are answered from
  // their prepared bytes (JSON, ETag, compressed per encoding) until the index changes. Partial
  // (timed-out) answers are not kept.
  const cache = options.searchCacheBytes
    ? new AnswerCache<IndexReader>(options.searchCacheBytes)
    : null;
  const encodings = new EncodingChooser();
  const etagOf = app.get('etag fn') as (body: Buffer) => string;
  const searchHit = metrics.searchCache.labels({ result: 'hit' });
  const searchMiss = metrics.searchCache.labels({ result: 'miss' });
  app.get('/search', ...read(CACHE.results), async (req, res) => {
    if (state.backend) {
      const params = parse(searchQuery, req.query) as CorrectionParams;
      const started = performance.now();
      if (timeoutMs !== undefined) params.deadline = started + timeoutMs;
      const result = await backendSearch(state.backend, params, options.ranking);
      const seconds = (performance.now() - started) / 1000;
      metrics.searchSeconds.observe({ timed_out: result.timed_out ? 'true' : 'false' }, seconds);
      metrics.searchHits.observe(result.total);
      // Not cached (another service may write to the database), but compressed like any answer.
      sendPrepared(req, res, prepare(JSON.stringify(result), encodings.of(req), etagOf));
      return;
    }
    const index = ready();
    const answers = cache?.for(index);
    const encoding = encodings.of(req);
    const cached = answers?.get(encoding, req.url);
    if (cached !== undefined) {
      searchHit.inc();
      sendPrepared(req, res, cached);
      return;
    }
    const params = parse(searchQuery, req.query) as CorrectionParams;
    const started = performance.now();
    if (timeoutMs !== undefined) params.deadline = started + timeoutMs;
    const result = searchOrCorrect(index, params, options.ranking);
    const ms = performance.now() - started;
    metrics.searchSeconds.observe({ timed_out: result.timed_out ? 'true' : 'false' }, ms / 1000);
    metrics.searchHits.observe(result.total);
    const answer = prepare(JSON.stringify(result), encoding, etagOf);
    if (answers) {
      searchMiss.inc();
      if (!result.timed_out) answers.set(encoding, req.url, answer);
    }
    sendPrepared(req, res, answer);
    if (slowMs > 0 && ms >= slowMs)
      logSlowQuery(req.log, index, params, result, ms, options.ranking);
  });

  app.get('/suggest', ...read(CACHE.results), (req, res) => {
    const { q, size, script } = parse(suggestQuery, req.query);
    const target = state.backend ? vocabularyReader(state.backend.vocabulary()) : ready();
    res.json(suggest(target, q, size, { script }));
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
  app.get(/^\/documents\/(.+)\/related$/, ...read(CACHE.documents), async (req, res) => {
    if (state.backend) {
      const id = documentId((req.params as Record<string, string>)[0]);
      const found = await backendRelated(state.backend, id, parse(relatedQuery, req.query).size);
      if (!found) throw new SearchError('not_found', `no document with id ${JSON.stringify(id)}`);
      return res.json(found);
    }
    const { index, d } = documentOr404((req.params as Record<string, string>)[0]);
    const { size } = parse(relatedQuery, req.query);
    res.json({ id: index.doc(d).id, related: relatedDocuments(index, d, size) });
  });
  app.get(/^\/documents\/(.+)$/, ...read(CACHE.documents), async (req, res) => {
    if (state.backend) {
      const id = documentId((req.params as Record<string, string>)[0]);
      const found = await state.backend.document(id);
      if (!found) throw new SearchError('not_found', `no document with id ${JSON.stringify(id)}`);
      return res.json(found);
    }
    const { index, d } = documentOr404((req.params as Record<string, string>)[0]);
    res.json(getDocument(index, d));
  });

  app.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.json(openApiDocument());
  });

  // Writes and admin: their own rate limit, never cached.
  const writeLimit = rateLimiter(options.rateLimit?.write ?? 0, 'write', metrics);
  app.use((req, res, next) => {
    const write =
      req.path.startsWith('/admin/') ||
      (req.path.startsWith('/documents/') && req.method !== 'GET' && req.method !== 'HEAD');
    if (!write) return next();
    res.set('Cache-Control', 'no-store');
    writeLimit(req, res, next);
  });
  if (options.forwardWrites) {
    const forward = options.forwardWrites;
    app.use((req, res, next) => {
      const write =
        req.path.startsWith('/admin/') ||
        (req.path.startsWith('/documents/') && req.method !== 'GET' && req.method !== 'HEAD');
      if (write) forward(req, res);
      else next();
    });
  } else if (options.writeKey) {
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

/**
 * A slow query, logged after it was answered with what made it slow: how many documents matched
 * and, for its best hits, which terms matched how (one more search, with explain, top 3).
 */
function logSlowQuery(
  log: Logger,
  index: NewsIndex | IndexReader,
  params: SearchParams,
  result: SearchResult,
  ms: number,
  ranking?: RankingParams,
): void {
  setImmediate(() => {
    let explain: unknown;
    try {
      const again = search(
        index,
        { ...params, page: 1, size: 3, explain: true, facets: [] },
        ranking,
      );
      explain = again.hits.map((h) => ({
        id: h.id,
        score: h.score,
        terms: h.explain?.terms.map((t) => `${t.term} (${t.via}, idf ${t.idf})`),
      }));
    } catch {
      explain = null;
    }
    log.warn(
      {
        query: params.q,
        params: { ...params, deadline: undefined },
        ms: Math.round(ms * 10) / 10,
        total: result.total,
        timed_out: result.timed_out ?? false,
        explain,
      },
      'slow query',
    );
  });
}
