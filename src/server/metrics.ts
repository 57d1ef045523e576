/**
 * Prometheus metrics (prom-client), one registry per app so tests and cluster workers each own
 * theirs: HTTP requests by route and status, search latency and hits, the served index, the
 * write path (queue depth, log size, time from write to searchable) and process metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the index gauges read at scrape time (the state changes under them). */
export interface IndexProbe {
  documents(): number;
  appliedSeq(): number;
  walBytes(): number;
  writeQueueDepth(): number;
  /** Sealed segments, deleted documents in them, merges running and completed. */
  segments(): number;
  deletedDocuments(): number;
  mergesRunning(): number;
  mergesCompleted(): number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  readonly searchSeconds: Histogram<'timed_out'>;
  readonly searchHits: Histogram;
  readonly writeToSearchableSeconds: Histogram;
  readonly commits: Counter;
  readonly shed: Counter<'reason'>;
  readonly searchCache: Counter<'result'>;
  readonly rateLimited: Counter<'scope'>;
  private probe: IndexProbe | null = null;

  constructor(options: { processMetrics?: boolean; labels?: Record<string, string> } = {}) {
    const registers = [this.registry];
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response, by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.searchSeconds = new Histogram({
      name: 'search_duration_seconds',
      help: 'Time spent in search itself (no HTTP), by whether its budget ran out',
      labelNames: ['timed_out'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.searchHits = new Histogram({
      name: 'search_hits',
      help: 'Matching documents per search',
      buckets: [0, 1, 10, 100, 1000, 10000, 100000],
      registers,
    });
    this.writeToSearchableSeconds = new Histogram({
      name: 'index_write_to_searchable_seconds',
      help: 'Time from a write being submitted to it being searchable (logged and merged)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.commits = new Counter({
      name: 'index_commits_total',
      help: 'Batches of writes applied (each makes a new index generation in memory)',
      registers,
    });
    this.shed = new Counter({
      name: 'http_requests_shed_total',
      help: 'Requests refused with 503 because the process was overloaded',
      labelNames: ['reason'],
      registers,
    });
    this.searchCache = new Counter({
      name: 'search_cache_requests_total',
      help: 'Searches answered from the result cache (hit) or searched (miss)',
      labelNames: ['result'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'http_requests_rate_limited_total',
      help: 'Requests refused with 429, by read or write limit',
      labelNames: ['scope'],
      registers,
    });
    this.gauge('index_documents', 'Documents in the served index', (p) => p.documents());
    this.gauge(
      'index_applied_seq',
      'The last write-ahead-log record the served index holds (its generation)',
      (p) => p.appliedSeq(),
    );
    this.gauge('index_wal_bytes', 'Bytes in the write-ahead log not yet in a snapshot', (p) =>
      p.walBytes(),
    );
    this.gauge('index_write_queue_depth', 'Writes waiting to be applied', (p) =>
      p.writeQueueDepth(),
    );
    this.gauge('index_segments', 'Sealed segments of the served index', (p) => p.segments());
    this.gauge(
      'index_deleted_documents',
      'Documents marked deleted in sealed segments, not yet purged by a merge',
      (p) => p.deletedDocuments(),
    );
    this.gauge('index_merges_running', 'Segment merges under way in the merge worker', (p) =>
      p.mergesRunning(),
    );
    const metrics = this;
    new Counter({
      name: 'index_merges_total',
      help: 'Segment merges completed (swapped into the served index)',
      registers,
      aggregator: 'max',
      collect() {
        if (!metrics.probe) return;
        this.reset();
        this.inc(metrics.probe.mergesCompleted());
      },
    });
  }

  private gauge(name: string, help: string, read: (p: IndexProbe) => number): void {
    const metrics = this;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      // Across a cluster's processes: the most advanced one's figure, not a sum.
      aggregator: 'max',
      collect() {
        if (metrics.probe) this.set(read(metrics.probe));
      },
    });
  }

  /** Where the index gauges read from (set once the index is served). */
  watch(probe: IndexProbe): void {
    this.probe = probe;
  }
}
