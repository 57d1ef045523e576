/**
 * Request ids and the one log line per request. Each request gets an id (a proxy's sane
 * X-Request-Id, else a new UUID), sent back in X-Request-Id; `req.log` is a child logger
 * carrying it, made only when something logs; when the response is sent, one line says what was
 * asked and answered, and the request's metrics are observed.
 *
 * In place of pino-http: the same lines for a fraction of the work per request (no child logger
 * and serializers unless used, one 'finish' listener for the line and the metrics), which counts
 * at thousands of requests a second.
 */
import { randomUUID } from 'node:crypto';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (X-Request-Id). */
    id: string;
    /** A logger whose lines carry the request id. */
    log: Logger;
  }
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;
const CHILD = Symbol('request logger');

type Observe = (req: Request, res: Response, seconds: number) => void;

/**
 * Give every request of `app` an id and `req.log`, log one line per request (but for the paths
 * in `unlogged`) and pass each answered request's duration to `observe`.
 */
export function useRequestLog(
  app: Express,
  logger: Logger,
  unlogged: Set<string>,
  observe: Observe,
): void {
  // On the app's request prototype, once: a getter defined per request costs every request.
  Object.defineProperty(app.request, 'log', {
    get(this: Request & { [CHILD]?: Logger }) {
      return (this[CHILD] ??= logger.child({ reqId: this.id }));
    },
    configurable: true,
  });
  app.use((req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const logged = !unlogged.has(req.path) && logger.isLevelEnabled('info');
    const started = performance.now();
    res.once('finish', () => {
      const ms = performance.now() - started;
      observe(req, res, ms / 1000);
      if (!logged) return;
      const status = res.statusCode;
      logger[status >= 500 ? 'error' : 'info'](
        {
          reqId: id,
          req: { method: req.method, url: req.originalUrl, remoteAddress: req.ip },
          res: { statusCode: status },
          responseTime: Math.round(ms * 10) / 10,
        },
        'request completed',
      );
    });
    next();
  });
}
