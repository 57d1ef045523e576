/**
 * Protection of the process: per-address rate limits (express-rate-limit) and load shedding.
 *
 * Load shedding: a request that would wait behind more than `maxInFlight` others, or arrive
 * while the event loop runs `maxEventLoopDelayMs` behind, gets 503 with Retry-After at once.
 * Searches run on the one event-loop thread, so a backlog of them shows as loop delay; writes
 * and slow clients show as requests in flight. The loop counts as behind when, in each of the
 * last two 2-second windows, it was behind for most of the time, and its median delay passed the
 * limit: one long stall (start-up, an index merge) is not a backlog, and the requests that
 * queued behind it are cheaper to answer than to turn away.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Metrics } from './metrics.js';

/** The documented error shape; errors are never cached. */
export function sendError(res: Response, status: number, code: string, message: string): void {
  res.set('Cache-Control', 'no-store');
  res.status(status).json({ error: { code, message } });
}

/** Requests per minute per client address (`req.ip`, which honours TRUST_PROXY); 0: no limit. */
export function rateLimiter(
  perMinute: number,
  scope: 'read' | 'write',
  metrics: Metrics,
): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: scope,
    // A wrong TRUST_PROXY is reported by the service's own docs, not by a thrown warning here.
    validate: { xForwardedForHeader: false, trustProxy: false },
    handler: (_req, res) => {
      metrics.rateLimited.inc({ scope });
      sendError(
        res,
        429,
        'rate_limited',
        `too many ${scope} requests from this address: at most ${perMinute} a minute; retry after ${res.get('Retry-After')} s`,
      );
    },
  });
}

export interface LoadLimits {
  /** 0: no limit. */
  maxInFlight: number;
  /** 0: not checked. */
  maxEventLoopDelayMs: number;
}

/** Counts requests in flight and samples event-loop delay; refuses new ones when over. */
export class LoadShedder {
  private inFlight = 0;
  private readonly delay: IntervalHistogram | null;
  private lagMs = 0;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly limits: LoadLimits,
    private readonly metrics: Metrics,
  ) {
    if (limits.maxEventLoopDelayMs > 0) {
      // Sampled every 10 ms; judged every 2 s on the median delay and on the share of the
      // time the loop spent behind (the samples' delays added up, over the window).
      this.delay = monitorEventLoopDelay({ resolution: 10 });
      this.delay.enable();
      let since = performance.now();
      let wasBehind = false;
      this.timer = setInterval(() => {
        const d = this.delay!;
        const now = performance.now();
        const behind = d.count > 0 && (d.mean * d.count) / 1e6 / (now - since) > 0.8;
        // Two windows in a row: one stall longer than a window (start-up, a big merge) is
        // all one window sees, and it is over by the next.
        this.lagMs = behind && wasBehind ? d.percentile(50) / 1e6 : 0;
        wasBehind = behind;
        d.reset();
        since = now;
      }, 2000);
      this.timer.unref();
    } else {
      this.delay = null;
      this.timer = null;
    }
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    const { maxInFlight, maxEventLoopDelayMs } = this.limits;
    let reason: string | null = null;
    if (maxInFlight > 0 && this.inFlight >= maxInFlight) reason = 'in_flight';
    else if (maxEventLoopDelayMs > 0 && this.lagMs > maxEventLoopDelayMs) reason = 'event_loop';
    if (reason) {
      this.metrics.shed.inc({ reason });
      res.set('Retry-After', '1');
      sendError(
        res,
        503,
        'overloaded',
        reason === 'in_flight'
          ? `the service has ${this.inFlight} requests in flight (at most ${maxInFlight}); retry shortly`
          : `the service is running ${Math.round(this.lagMs)} ms behind; retry shortly`,
      );
      return;
    }
    this.inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inFlight--;
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.delay?.disable();
  }
}
