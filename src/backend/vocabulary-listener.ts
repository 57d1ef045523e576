/**
 * Keeps a service's suggestion vocabulary current under other services' writes. A write changes
 * the `suggestion_terms` table in its transaction and issues a NOTIFY there, which PostgreSQL
 * delivers to every listening session at commit (and never for a rolled-back write). Each
 * service LISTENs on one connection of its own to the first shard's primary (the shard that
 * holds the vocabulary; a hot standby cannot LISTEN) and reloads the vocabulary after a change:
 *
 * - debounced: the notifications of a burst of writes arriving within DEBOUNCE_MS of the first
 *   are served by one reload, and those arriving during a reload by one more after it;
 * - its own writes skipped: their payload is this service's id (its write path has already
 *   merged them into its vocabulary);
 * - a dropped connection (the server restarted, a network fault, or a quiet one found by the
 *   heartbeat) is reconnected with backoff, then the vocabulary is reloaded once, since the
 *   notifications sent meanwhile were lost.
 *
 * Nothing here is on a search's path: a search reads the vocabulary the last reload left, and a
 * failed connection or reload is retried in the background.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The channel of vocabulary changes; a write's payload is the writing service's id. */
export const VOCABULARY_CHANNEL = 'suggestion_terms';
/** How the listening sessions are named in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'zh-news-search vocabulary listener';
/** A burst's notifications within this many ms of its first are served by one reload. */
const DEBOUNCE_MS = 200;
/** First wait before reconnecting (doubled after each failure, up to RECONNECT_MAX_MS). */
const RECONNECT_MS = 1_000;
const RECONNECT_MAX_MS = 10_000;
/** Wait before retrying a reload that failed (the database was unreachable). */
const RELOAD_RETRY_MS = 1_000;
/** How often the idle connection is checked, and how long the check may take. */
const HEARTBEAT_MS = 30_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;

export class VocabularyListener {
  /** The payload of this service's own notifications. */
  readonly id = randomUUID();
  /** Reloads started (each after a debounced burst, or a reconnection). */
  reloads = 0;
  private client: pg.Client | null = null;
  /** A pending reload (debounce or retry), and a pending reconnection. */
  private reloadTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A change arrived while a reload ran: reload once more after it. */
  private again = false;
  private reconnectMs = RECONNECT_MS;
  private closed = false;

  constructor(
    private readonly url: string,
    /** Reads the vocabulary again and serves it. */
    private readonly reload: () => Promise<void>,
  ) {}

  /**
   * Connect and LISTEN. Never throws: a failure leaves it reconnecting in the background. The
   * caller reads the vocabulary after this, so a change committed meanwhile is seen either way.
   */
  start(): Promise<void> {
    return this.connect(false);
  }

  private async connect(missed: boolean): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
    });
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) {
        this.client = null;
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
      client.end().catch(() => {});
      this.reconnectLater();
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (n) => {
      if (n.channel === VOCABULARY_CHANNEL && n.payload !== this.id) this.changed();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${VOCABULARY_CHANNEL}`);
    } catch {
      drop();
      return;
    }
    if (dropped) return;
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.reconnectMs = RECONNECT_MS;
    // A connection that died quietly (no FIN, no error) would wait for TCP keepalive's minutes.
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch(drop);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    if (missed) this.changed();
  }

  private reconnectLater(): void {
    if (this.closed || this.reconnectTimer) return;
    const wait = this.reconnectMs;
    this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = later(() => {
      this.reconnectTimer = null;
      void this.connect(true);
    }, wait);
  }

  /** The vocabulary changed: reload after the debounce, or once more after the running reload. */
  private changed(): void {
    if (this.closed) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    if (!this.reloadTimer) this.reloadIn(DEBOUNCE_MS);
  }

  private reloadIn(ms: number): void {
    this.reloadTimer = later(() => {
      this.reloadTimer = null;
      void this.run();
    }, ms);
  }

  private async run(): Promise<void> {
    if (this.closed) return;
    this.reloads++;
    let failed = false;
    this.running = this.reload().catch(() => {
      failed = true;
    });
    await this.running;
    this.running = null;
    if (this.closed) return;
    if (failed) this.reloadIn(RELOAD_RETRY_MS);
    else if (this.again) {
      this.again = false;
      this.changed();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.reloadTimer, this.reconnectTimer, this.heartbeat]) if (t) clearTimeout(t);
    this.reloadTimer = this.reconnectTimer = this.heartbeat = null;
    const client = this.client;
    this.client = null;
    await Promise.all([client?.end().catch(() => {}), this.running]);
  }
}

/** A timer that does not keep the process alive (a service's server does). */
function later(work: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(work, ms);
  t.unref();
  return t;
}
