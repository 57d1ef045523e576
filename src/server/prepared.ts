/**
 * /search answers as bytes ready for the socket: the JSON, its ETag and its compressed form are
 * made once per (answer, encoding) and kept in the result cache, so a repeated search is a
 * buffer write: no serialization, hashing or compression stream per request (profiled in
 * docs/design.md, "Cost of an HTTP search").
 *
 * Compression here is synchronous and whole-body (a few KB of JSON: a stream's bookkeeping
 * costs more than the compressing). Between encodings the client accepts equally, its own
 * order decides (browsers list gzip first), and gzip is offered first: brotli's setup costs
 * about five times gzip's for a 5 KB answer, and saves about a tenth of its bytes.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';

export type Encoding = 'gzip' | 'br' | 'identity';

/** Bodies smaller than this are sent as they are (the compression package's default). */
export const COMPRESS_MIN_BYTES = 1024;

export interface PreparedAnswer {
  bytes: Buffer;
  etag: string;
  encoding: Encoding;
}

/** Decides an encoding per distinct Accept-Encoding header (a handful in practice). */
export class EncodingChooser {
  private readonly chosen = new Map<string, Encoding>();

  of(req: Request): Encoding {
    const header = req.headers['accept-encoding'];
    if (header === undefined || header === '') return 'identity';
    let encoding = this.chosen.get(header);
    if (encoding === undefined) {
      const best = req.acceptsEncodings(['gzip', 'br']);
      encoding = best === 'gzip' || best === 'br' ? best : 'identity';
      // Bounded: a client inventing headers cannot grow it.
      if (this.chosen.size >= 256) this.chosen.clear();
      this.chosen.set(header, encoding);
    }
    return encoding;
  }
}

/** The JSON text of an answer as sent for `encoding`, with the ETag Express would give it. */
export function prepare(
  json: string,
  encoding: Encoding,
  etagOf: (body: Buffer) => string,
): PreparedAnswer {
  const body = Buffer.from(json);
  const etag = etagOf(body);
  if (encoding === 'identity' || body.length < COMPRESS_MIN_BYTES)
    return { bytes: body, etag, encoding: 'identity' };
  const bytes =
    encoding === 'gzip'
      ? gzipSync(body)
      : brotliCompressSync(body, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 4,
            [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
          },
        });
  return { bytes, etag, encoding };
}

/**
 * Send a prepared answer: 304 when the client holds it (If-None-Match), the bytes otherwise.
 * Headers set earlier (CORS, Cache-Control, X-Request-Id) stay.
 */
export function sendPrepared(req: Request, res: Response, answer: PreparedAnswer): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('ETag', answer.etag);
  res.vary('Accept-Encoding');
  if (req.fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  if (answer.encoding !== 'identity') res.setHeader('Content-Encoding', answer.encoding);
  res.setHeader('Content-Length', answer.bytes.length);
  if (req.method === 'HEAD') res.end();
  else res.end(answer.bytes);
}

/**
 * Prepared answers by encoding and URL, for one served index generation: emptied when the
 * index changes (`for`). Bounded by the bytes kept.
 */
export class AnswerCache<Generation extends object> {
  private readonly lru: LRUCache<string, PreparedAnswer>;
  private generation: Generation | null = null;

  constructor(maxBytes: number) {
    this.lru = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (a, key) => a.bytes.length + 2 * key.length + a.etag.length * 2 + 96,
    });
  }

  /** The cache for answers of `generation` (a new one drops every older answer). */
  for(generation: Generation): this {
    if (this.generation !== generation) {
      this.lru.clear();
      this.generation = generation;
    }
    return this;
  }

  get(encoding: Encoding, url: string): PreparedAnswer | undefined {
    return this.lru.get(`${encoding} ${url}`);
  }

  set(encoding: Encoding, url: string, answer: PreparedAnswer): void {
    this.lru.set(`${encoding} ${url}`, answer);
  }

  get size(): number {
    return this.lru.size;
  }
}
