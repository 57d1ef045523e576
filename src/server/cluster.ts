/**
 * WORKERS=N (N > 1): N serving processes (node:cluster) over one index directory.
 *
 * - The primary process only supervises: it forks the processes, restarts any that dies,
 *   relays commit signals and acknowledgements, and gathers /metrics from all of them.
 * - One worker is the writer: it serves like a single process (reads, writes, admin, the folder
 *   watch) and is the only one that touches the write-ahead log and the snapshots. It also
 *   listens on a private loopback port for writes forwarded by the readers.
 * - The other workers are readers: they open the writer's committed segments from disk plus the
 *   write-ahead log after them (index/follower.ts), answer reads, and forward writes and admin
 *   calls to the writer. When a batch of writes is in the log the writer signals its last record;
 *   each reader applies the new records to its small write buffer, then acknowledges. The writer
 *   commits after every flush and merge and signals again once the commit is current; each
 *   reader then opens it, reusing the segments it has open and reading only the new ones. A
 *   write is answered only once every reader has acknowledged it (or SYNC_TIMEOUT_MS passed,
 *   which is logged), so an answered write is searchable on every process, as with one process.
 *
 * The listening socket belongs to the primary, which hands connections to the workers in turn.
 */
import cluster, { type Worker } from 'node:cluster';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Request, Response } from 'express';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../log.js';
import { clusterWorkerEnv } from '../config.js';
import type { Metrics } from './metrics.js';
import { sendError } from './limits.js';

/** How long a write waits for every reader to see it before it is answered anyway. */
const SYNC_TIMEOUT_MS = 10_000;

export type Role = 'writer' | 'reader';

/** This process's part: null outside a cluster (one process does everything). */
export function clusterRole(): Role | null {
  return cluster.isPrimary ? null : clusterWorkerEnv().role;
}

type Message =
  | { t: 'ready'; port: number; seq: number } // writer → primary: serving; where to forward
  | { t: 'commit'; seq: number } // writer → primary → readers: records to seq logged / committed
  | { t: 'reload'; seq: number } // writer → primary → readers: the analyzer changed
  | { t: 'applied'; seq: number } // reader → primary: serving records up to seq
  | { t: 'synced'; seq: number } // primary → writer: every reader serves records up to seq
  | { t: 'writer'; port: number; seq: number } // primary → reader: where the writer is
  | { t: 'metrics-request'; id: number } // worker → primary: gather metrics for /metrics
  | { t: 'metrics-collect'; id: number } // primary → workers
  | { t: 'metrics-part'; id: number; json: unknown } // workers → primary
  | { t: 'metrics-result'; id: number; text: string }; // primary → the asking worker

const send = (m: Message) => process.send?.(m);

/** To a worker, unless it is gone (it may have exited a moment ago, e.g. while stopping). */
const tell = (w: Worker | null, m: Message) => {
  if (w?.isConnected()) w.send(m);
};

/** The primary: forks the writer, then the readers once the writer serves; keeps them alive. */
export function superviseCluster(workers: number, logger: Logger): void {
  let writer: Worker | null = null;
  let writerPort = 0;
  let writerServed = false;
  let committed = 0;
  const readers = new Map<number, { worker: Worker; applied: number; up: boolean }>();
  let stopping = false;
  const pendingMetrics = new Map<
    number,
    { from: Worker; asked: number; parts: unknown[]; waiting: number; timer: NodeJS.Timeout }
  >();
  let nextMetrics = 0;

  const synced = () => {
    let min = committed;
    for (const r of readers.values()) if (r.up) min = Math.min(min, r.applied);
    tell(writer, { t: 'synced', seq: min });
  };

  const forkWriter = () => {
    writer = cluster.fork({ ZH_CLUSTER_ROLE: 'writer' });
    writer.on('message', (m: Message) => {
      if (m.t === 'ready') {
        writerServed = true;
        writerPort = m.port;
        committed = Math.max(committed, m.seq);
        for (const r of readers.values())
          tell(r.worker, { t: 'writer', port: writerPort, seq: committed });
        while (!stopping && readers.size < workers - 1) forkReader();
        synced();
      } else if (m.t === 'commit' || m.t === 'reload') {
        committed = Math.max(committed, m.seq);
        for (const r of readers.values()) tell(r.worker, m);
        synced();
      } else onMetricsMessage(writer!, m);
    });
  };

  const forkReader = () => {
    const worker = cluster.fork({
      ZH_CLUSTER_ROLE: 'reader',
      ZH_WRITER_PORT: String(writerPort),
      ZH_COMMITTED_SEQ: String(committed),
    });
    const entry = { worker, applied: 0, up: false };
    readers.set(worker.id, entry);
    worker.on('message', (m: Message) => {
      if (m.t === 'applied') {
        entry.applied = m.seq;
        entry.up = true;
        synced();
      } else onMetricsMessage(worker, m);
    });
  };

  // GET /metrics on any process: every process's registry, aggregated (counters summed).
  const onMetricsMessage = (from: Worker, m: Message) => {
    if (m.t === 'metrics-request') {
      const id = ++nextMetrics;
      const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
      const gather = {
        from,
        asked: m.id,
        parts: [] as unknown[],
        waiting: all.length,
        timer: setTimeout(() => finishMetrics(id), 2_000),
      };
      pendingMetrics.set(id, gather);
      for (const w of all) tell(w, { t: 'metrics-collect', id });
    } else if (m.t === 'metrics-part') {
      const p = pendingMetrics.get(m.id);
      if (!p) return;
      p.parts.push(m.json);
      if (--p.waiting === 0) finishMetrics(m.id);
    }
  };
  const finishMetrics = (id: number) => {
    const p = pendingMetrics.get(id);
    if (!p) return;
    pendingMetrics.delete(id);
    clearTimeout(p.timer);
    void AggregatorRegistry.aggregate(p.parts as Parameters<typeof AggregatorRegistry.aggregate>[0])
      .metrics()
      .then((text) => tell(p.from, { t: 'metrics-result', id: p.asked, text }));
  };

  cluster.on('exit', (worker, code, signal) => {
    // A reader gone no longer holds up the answer to a write.
    const wasReader = readers.delete(worker.id);
    if (wasReader) synced();
    if (stopping) return;
    if (worker === writer && !writerServed) {
      // It could not open the index (its error is on stderr): starting it again would fail again.
      logger.error({ code, signal }, 'the writing process failed to start; stopping');
      stop('SIGTERM', code || 1);
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'a serving process died; starting another');
    if (worker === writer) forkWriter();
    else if (wasReader) forkReader();
  });
  const stop = (signal: NodeJS.Signals, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the serving processes');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    const exit = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    };
    cluster.on('exit', exit);
    exit();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logger.info({ workers }, `serving from ${workers} processes (one writer)`);
  forkWriter();
}

/** A worker's side of the link: answers metrics gathering; asks the primary for everyone's. */
export class WorkerLink {
  private readonly answers = new Map<number, (text: string) => void>();
  private next = 0;
  protected onMessage: (m: Message) => void = () => undefined;

  constructor(metrics: Metrics) {
    process.on('message', (m: Message) => {
      if (m.t === 'metrics-collect') {
        void metrics.registry
          .getMetricsAsJSON()
          .then((json) => send({ t: 'metrics-part', id: m.id, json }));
      } else if (m.t === 'metrics-result') {
        this.answers.get(m.id)?.(m.text);
        this.answers.delete(m.id);
      } else this.onMessage(m);
    });
  }

  /** Every serving process's metrics, aggregated by the primary. */
  clusterMetrics(): Promise<string> {
    const id = ++this.next;
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        fail(new Error('the primary did not answer with metrics in 5 s'));
      }, 5_000);
      this.answers.set(id, (text) => {
        clearTimeout(timer);
        ok(text);
      });
      send({ t: 'metrics-request', id });
    });
  }
}

/** The writer's side: announces commits and waits until the readers serve them. */
export class WriterLink extends WorkerLink {
  private synced = 0;
  private waiters: { seq: number; ok: () => void }[] = [];

  constructor(
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    super(metrics);
    this.onMessage = (m) => {
      if (m.t !== 'synced') return;
      this.synced = Math.max(this.synced, m.seq);
      const due = this.waiters.filter((w) => w.seq <= this.synced);
      this.waiters = this.waiters.filter((w) => w.seq > this.synced);
      for (const w of due) w.ok();
    };
  }

  /** Serving, with the index at `seq`; writes are forwarded to `port` (loopback). */
  ready(port: number, seq: number): void {
    this.synced = Math.max(this.synced, seq);
    send({ t: 'ready', port, seq });
  }

  commit(seq: number): void {
    send({ t: 'commit', seq });
  }

  /** The analyzer changed (user dictionary): readers reload it and the snapshot. */
  reload(seq: number): void {
    send({ t: 'reload', seq });
  }

  /** Resolves once every reader serves record `seq` (at most SYNC_TIMEOUT_MS later). */
  published(seq: number): Promise<void> {
    if (seq <= this.synced) return Promise.resolve();
    return new Promise((ok) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.logger.warn(
          { seq, synced: this.synced },
          'answered a write before every reader saw it',
        );
        ok();
      }, SYNC_TIMEOUT_MS);
      const waiter = {
        seq,
        ok: () => {
          clearTimeout(timer);
          ok();
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** A reader's side: follows the writer's commits; knows where to forward writes. */
export class ReaderLink extends WorkerLink {
  writerPort = clusterWorkerEnv().writerPort;
  /** The writer's last commit this process has been told of. */
  target = clusterWorkerEnv().committedSeq;

  constructor(
    metrics: Metrics,
    handlers: { commit: (seq: number) => void; reload: (seq: number) => void },
  ) {
    super(metrics);
    this.onMessage = (m) => {
      if (m.t === 'commit' || m.t === 'reload' || m.t === 'writer')
        this.target = Math.max(this.target, m.seq);
      if (m.t === 'writer') this.writerPort = m.port;
      if (m.t === 'commit' || m.t === 'writer') handlers.commit(this.target);
      if (m.t === 'reload') handlers.reload(this.target);
    };
  }

  applied(seq: number): void {
    send({ t: 'applied', seq });
  }

  /** Writes and admin calls, passed through to the writer's private port as they came. */
  forward = (req: Request, res: Response): void => {
    const headers = { ...req.headers, 'x-request-id': String(req.id) };
    const upstream = request(
      {
        host: '127.0.0.1',
        port: this.writerPort,
        method: req.method,
        path: req.originalUrl,
        headers,
      },
      (up) => {
        const out = { ...up.headers };
        for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete out[h];
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.set('Retry-After', '1');
      sendError(res, 503, 'not_ready', 'the writing process is restarting; retry shortly');
    });
    req.pipe(upstream);
  };
}

/**
 * The writer's private loopback port for forwarded writes: `exclusive`, so the worker binds it
 * itself instead of sharing the primary's handle as the public port does.
 */
export function listenPrivately(app: Express): Promise<Server> {
  return new Promise((ok, fail) => {
    const server = app.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => ok(server));
    server.on('error', fail);
  });
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;
