/**
 * Bearer-key check: the write and admin endpoints (WRITE_KEY), reads when SEARCH_KEY is set,
 * /metrics when METRICS_KEY is: missing or not a Bearer header → 401, wrong key → 403. The
 * logger redacts the header (log.ts).
 */
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { sendError } from './limits.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function requireKey(key: string, name = 'WRITE_KEY') {
  const expected = digest(key);
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!m) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'unauthorized', `send Authorization: Bearer <${name}>`);
    }
    // Compare digests: constant time, and no length leak.
    if (!timingSafeEqual(digest(m[1].trim()), expected))
      return sendError(res, 403, 'forbidden', 'wrong key');
    next();
  };
}
