#!/usr/bin/env node
/**
 * Command line (the contract is in docs/api.md, "Command line"):
 *   start                               serve INDEX_DIR, building it from seeds/ first if needed
 *   index <folder>... --out <dir>       build an index, print a summary line
 *   serve --index <dir> [--port <n>] [--watch <folder>]
 *                                       serve an existing index (and keep it equal to a folder)
 *   search "<query>" --index <dir>      print hits
 */
import { parseArgs } from 'node:util';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { buildIndex, buildSegments, type BuildReport } from './index/build.js';
import {
  apiWrittenCount,
  savedAppliedSeq,
  hasIndex,
  loadIndex,
  loadIndexAsync,
  saveIndex,
} from './index/store.js';
import { lastLoggedSeq, lockIndexDir, readLog, resetLog } from './index/wal.js';
import { IndexWriter, applyRecords, type WriterOptions } from './index/writer.js';
import type { NewsIndex } from './index/news-index.js';
import { IndexReader, readerOf } from './index/reader.js';
import { FolderWatch } from './ingest/watch.js';
import { AnalysisPool, pairsFor, poolReader } from './index/analysis-pool.js';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { loadSegmenter } from './analysis/segment.js';
import { analyzerFingerprint, warmAnalyzer } from './analysis/analyzer.js';
import { searchOrCorrect } from './search/did-you-mean.js';
import { DEFAULT_RANKING, type RankingParams } from './search/ranking.js';
import { markedText } from './search/snippet.js';
import { appOptionsFrom, createApp, type AppOptions, type ServerState } from './server/app.js';
import { Metrics } from './server/metrics.js';
import cluster from 'node:cluster';
import {
  clusterRole,
  listenPrivately,
  portOf,
  ReaderLink,
  superviseCluster,
  WriterLink,
} from './server/cluster.js';
import { IndexFollower } from './index/follower.js';
import { loadUserDictionary, userDictionaryFile } from './analysis/user-dictionary.js';
import { SearchError } from './errors.js';
import { PostgresBackend } from './backend/postgres.js';
import type { AnalyzedArticle } from './index/builder.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEEDS = join(REPO, 'seeds');

function progressPrinter(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (done, total) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`,
      );
      if (done === total) process.stderr.write('\n');
    } else if (Date.now() - last > 2000 || done === total) {
      last = Date.now();
      process.stderr.write(`${label}: ${done}/${total} posts\n`);
    }
  };
}

function summary(report: BuildReport, out: string): string {
  const rate = report.posts / Math.max(report.seconds, 1e-9);
  const chars = report.characters / Math.max(report.seconds, 1e-9);
  return `indexed ${report.posts} posts, ${report.errors.length} errors, ${report.seconds.toFixed(2)} s, ${Math.round(rate)} posts/s, ${(chars / 1e6).toFixed(2)} M chars/s → ${out}`;
}

/** `index` with DATABASE_URL: analyze the folders as a build does, then load PostgreSQL. */
async function indexIntoDatabase(folders: string[], urls: string[]): Promise<void> {
  const articles: AnalyzedArticle[] = [];
  const { index, report } = await buildIndex(folders, {
    onProgress: progressPrinter('analyzing'),
    onArticle: (a) => articles.push(a),
  });
  for (const e of report.errors) process.stderr.write(`error: ${e.file}: ${e.reason}\n`);
  const started = performance.now();
  const backend = await PostgresBackend.open(urls, { follow: false });
  try {
    await backend.load(articles, index.arrays.dupOf, index.vocabulary, progressPrinter('loading'));
  } finally {
    await backend.close();
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${summary(report, 'PostgreSQL')}; loaded in ${seconds.toFixed(2)} s, ${Math.round(articles.length / seconds)} posts/s\n`,
  );
}

/** `start`/`serve` with DATABASE_URL: the same service over PostgreSQL. */
async function serveDatabase(
  urls: string[],
  port: number,
  config: Config,
  ranking: RankingParams,
): Promise<void> {
  const logger = createLogger();
  const backend = await PostgresBackend.open(urls, {
    readUrls: config.databaseReadUrls,
    candidateDepth: config.databaseCandidates,
  });
  const server = await listen({ index: null, backend }, port, logger, {
    ...appOptionsFrom(config),
    ranking,
  });
  const stop = () => {
    server.close();
    void backend.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function indexFolders(folders: string[], out: string): Promise<void> {
  process.once('exit', lockIndexDir(out)); // not under a running server
  loadUserDictionary(userDictionaryFile(out));
  // Segment by segment, written as it goes: memory does not grow with the corpus.
  const { report } = await buildSegments(folders, out, {
    onProgress: progressPrinter('indexing'),
    appliedSeq: lastLoggedSeq(out),
  });
  resetLog(out);
  for (const e of report.errors) process.stderr.write(`error: ${e.file}: ${e.reason}\n`);
  for (const w of report.warnings) process.stderr.write(`warning: ${w.file}: ${w.reason}\n`);
  process.stdout.write(summary(report, out) + '\n');
}

function listen(
  state: ServerState,
  port: number,
  logger: Logger,
  options: AppOptions,
): Promise<Server> {
  const app = createApp(state, logger, options);
  return new Promise((ok, fail) => {
    const server = app.listen(port, () => {
      const addr = server.address();
      logger.info(
        { port: typeof addr === 'object' && addr ? addr.port : port },
        `listening on http://localhost:${typeof addr === 'object' && addr ? addr.port : port}`,
      );
      ok(server);
    });
    server.on('error', fail);
  });
}

/** The indexed ids with their file hashes (folder watch), per index. */
const indexedOf = new WeakMap<IndexReader, Map<string, string | undefined>>();
function indexedIds(index: IndexReader): Map<string, string | undefined> {
  let m = indexedOf.get(index);
  if (!m) indexedOf.set(index, (m = new Map(Array.from(index.liveDocs(), (d) => [d.id, d.hash]))));
  return m;
}

interface ServeOptions {
  buildFrom: string[] | null;
  watch: string | null;
  config: Config;
  ranking: RankingParams;
}

async function serve(
  indexDir: string,
  port: number,
  { buildFrom, watch, config, ranking }: ServeOptions,
): Promise<void> {
  const role = clusterRole();
  if (config.workers > 1 && cluster.isPrimary)
    return superviseCluster(config.workers, createLogger());
  if (role === 'reader') return serveReader(indexDir, port, config, ranking);
  const logger = role ? createLogger().child({ role, worker: cluster.worker?.id }) : createLogger();
  process.once('exit', await lockIndexDirPatiently(indexDir, role === 'writer' ? 5_000 : 0));
  const state: ServerState = { index: null, writer: null };
  const metrics = new Metrics();
  // In a cluster this process is the one writer (server/cluster.ts).
  const link = role === 'writer' ? new WriterLink(metrics, logger) : null;
  if (link) state.published = (seq) => link.published(seq);
  const server = await listen(state, port, logger, {
    ...appOptionsFrom(config, metrics),
    indexDir,
    ranking,
    metricsText: link ? () => link.clusterMetrics() : undefined,
  });
  let folderWatch: FolderWatch | null = null;
  let privateServer: Server | null = null;
  let pool: AnalysisPool | null = null;
  let stopping = false;
  // SIGTERM: stop accepting, let in-flight requests finish (their writes are flushed before they
  // are answered), stop the folder watch, write a snapshot so the next start replays nothing.
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    setTimeout(() => {
      logger.error('shutdown took over 20 s; exiting with requests unfinished');
      process.exit(1);
    }, 20_000).unref();
    const closed = Promise.all(
      [server, privateServer].map((s) => s && new Promise((ok) => s.close(ok))),
    );
    server.closeIdleConnections();
    privateServer?.closeIdleConnections();
    await folderWatch?.close();
    await pool?.close();
    await closed;
    await state.writer?.close();
    logger.info('stopped');
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal, and through the
  // launcher, bin/tuned-node.js, or a cluster's primary); a second signal must not cut the
  // shutdown short.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const started = performance.now();
  // The user dictionary is part of the analyzer: load it before checking the index against it.
  const words = loadUserDictionary(userDictionaryFile(indexDir));
  if (words.length) logger.info({ words: words.length }, 'user dictionary loaded');
  const fingerprint = analyzerFingerprint();
  let index: NewsIndex | IndexReader | null = null;
  if (hasIndex(indexDir)) {
    // Read the index files on the thread pool while jieba's dictionary loads (~2 s, synchronous).
    const pending = loadIndexAsync(indexDir, fingerprint);
    loadSegmenter();
    warmAnalyzer(); // while the index files are still being read, not in the first query
    try {
      index = await pending;
    } catch (e) {
      if (!(buildFrom && e instanceof SearchError && e.code === 'index_incompatible')) throw e;
      // Rebuilding from the folders would silently drop what came only through the write API.
      const logged = readLog(indexDir, savedAppliedSeq(indexDir)).length;
      const unsaved = logged ? `its write-ahead log holds ${logged} writes, and ` : '';
      const written = apiWrittenCount(indexDir);
      if (unsaved || written) {
        throw new SearchError(
          'index_incompatible',
          `${e.message}. Not rebuilding from ${buildFrom.join(', ')}: ${unsaved}${written} articles came through the write API and would be lost. Restore the analyzer it was built with (dictionaries, package versions), or rebuild it on purpose: npm run cli -- index <folder> --out ${indexDir}`,
        );
      }
      logger.warn(e.message + ' — rebuilding from ' + buildFrom.join(', '));
    }
  }
  if (!index) {
    if (!buildFrom) throw new SearchError('index_missing', `no index in ${indexDir}`);
    const built = await buildIndex(buildFrom);
    for (const e of built.report.errors) logger.warn({ file: e.file }, `skipped post: ${e.reason}`);
    for (const w of built.report.warnings)
      logger.warn({ file: w.file }, `post repaired: ${w.reason}`);
    index = saveRebuilt(built.index, indexDir);
    logger.info(summary(built.report, indexDir));
  }
  loadSegmenter(); // before the first query, not during it
  // Always: the log may hold writes made by an earlier run with WRITE_KEY set.
  const { writer, replayed } = await IndexWriter.open(index, indexDir, {
    ...writerOptionsOf(config),
    logger,
    // Readers start merging a batch as soon as it is in the log, alongside this process, and
    // open each commit's segments (committed after every flush and merge) once it is current.
    onLogged: (seq) => link?.commit(seq),
    commitOnFlush: link !== null,
    // A burst of API writes is analyzed beside the query thread.
    analysisThreads: true,
    onSaved: (seq) => link?.commit(seq),
    onCommit: ({ latenciesMs }) => {
      metrics.commits.inc();
      for (const ms of latenciesMs) metrics.writeToSearchableSeconds.observe(ms / 1000);
    },
  });
  if (replayed) logger.info({ records: replayed }, 'write-ahead log replayed');
  writer.attach(state);
  state.writer = writer;
  if (link) {
    // Writes forwarded by the readers arrive here, past their rate limits and load checks.
    const internal = createApp(state, logger, {
      ...appOptionsFrom(config, new Metrics({ processMetrics: false })), // counted at the reader
      indexDir,
      corsOrigins: [],
      rateLimit: { read: 0, write: 0 },
      load: undefined,
    });
    privateServer = await listenPrivately(internal);
    state.dictionaryChanged = () => link.reload(writer.index.appliedSeq);
    link.ready(portOf(privateServer), writer.index.appliedSeq);
  }
  logger.info(
    { documents: state.index!.size, ms: Math.round(performance.now() - started) },
    'index ready',
  );
  if (watch && state.writer) {
    const writer = state.writer;
    const sources = writer.index.sources;
    const deleteMissing = sources.length === 1 && sources[0] === watch;
    if (!sources.includes(watch)) sources.push(watch); // saved with the next snapshot
    if (!deleteMissing)
      logger.warn(
        { folder: watch, sources },
        'the index also holds posts from elsewhere: files deleted while the service was down stay indexed',
      );
    // Files are read and analyzed in worker threads: a burst of files (a git pull) neither
    // waits for one thread nor holds up queries.
    pool = new AnalysisPool(pairsFor(Math.min(availableParallelism(), 4)));
    folderWatch = await FolderWatch.start(watch, {
      read: poolReader(pool),
      deleteMissing,
      apply: (changes) => writer.submit(changes),
      indexed: () => indexedIds(writer.index),
      onProblem: (file, reason) => logger.warn({ file }, `skipped post: ${reason}`),
      onWarning: (file, reason) => logger.warn({ file }, `post repaired: ${reason}`),
      onApplied: (info) => logger.info(info, 'folder changes applied'),
    });
    logger.info({ folder: watch, documents: writer.index.size }, 'watching folder');
  }
}

/**
 * Lock the index directory, trying for up to `patienceMs`: a cluster's writer restarted after
 * its primary was killed may start while the previous writer is still on its way out.
 */
async function lockIndexDirPatiently(indexDir: string, patienceMs: number): Promise<() => void> {
  const until = Date.now() + patienceMs;
  for (;;) {
    try {
      return lockIndexDir(indexDir);
    } catch (e) {
      if (!(e instanceof SearchError && e.code === 'index_locked') || Date.now() > until) throw e;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
}

/**
 * A reader process of a cluster: the index opened from disk and kept up with the writer's
 * commits (index/follower.ts); writes and admin calls forwarded to the writer.
 */
async function serveReader(
  indexDir: string,
  port: number,
  config: Config,
  ranking: RankingParams,
): Promise<void> {
  const logger = createLogger().child({ role: 'reader', worker: cluster.worker?.id });
  const metrics = new Metrics();
  const state: ServerState = { index: null, current: false };
  const dictionary = userDictionaryFile(indexDir);
  loadUserDictionary(dictionary);
  loadSegmenter();
  const follower = new IndexFollower(indexDir, analyzerFingerprint, (lexicon) => {
    // Onto the reader of that vocabulary only: a newer commit's has its own coming.
    const index = state.index && readerOf(state.index);
    if (index && index.vocabulary === lexicon.vocabulary) state.index = index.with({ lexicon });
  });
  let running: Promise<void> = Promise.resolve();
  // One catch-up at a time; commits signalled meanwhile raise the target of the next.
  const catchUp = (reload: boolean) => {
    running = running
      .then(async () => {
        const target = link.target;
        const index = state.index;
        const loaded = follower.commitsLoaded;
        if (!index || index.appliedSeq < target) state.current = false;
        state.index =
          reload || !index
            ? await follower.open(target, reload)
            : await follower.advance(readerOf(index), target);
        if (follower.commitsLoaded !== loaded)
          logger.debug(
            { segments: state.index.segments.length, appliedSeq: state.index.appliedSeq },
            "opened the writer's commit",
          );
        state.current = state.index.appliedSeq >= link.target;
        link.applied(state.index.appliedSeq);
      })
      .catch((err: unknown) => {
        // The writer's new words arrive with its reload signal, which comes next.
        if (err instanceof SearchError && err.code === 'index_incompatible')
          logger.info('the writer changed the analyzer; waiting for its reload signal');
        else logger.error({ err }, 'could not follow the writer; trying again at its next commit');
      });
  };
  const link: ReaderLink = new ReaderLink(metrics, {
    commit: () => catchUp(false),
    reload: () => {
      loadUserDictionary(dictionary); // the words the writer added
      catchUp(true);
    },
  });
  catchUp(false);
  await running;
  if (!state.index)
    throw new SearchError('index_missing', `could not open the index in ${indexDir}`);
  // Listen only now: the primary hands connections only to processes that serve.
  const server = await listen(state, port, logger, {
    ...appOptionsFrom(config, metrics),
    indexDir,
    ranking,
    forwardWrites: link.forward,
    metricsText: () => link.clusterMetrics(),
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 20_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Save a freshly built index in place of whatever `dir` held, its write-ahead log included. */
function saveRebuilt(index: NewsIndex, dir: string): IndexReader {
  const reader = IndexReader.fromIndex(index);
  reader.appliedSeq = lastLoggedSeq(dir);
  saveIndex(reader, dir);
  resetLog(dir);
  return reader;
}

function writerOptionsOf(config: Config): WriterOptions {
  const { compactBytes, flushDocs, flushMs, mergeFactor } = config;
  return { compactBytes, flushDocs, flushMs, mergeFactor };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  const ranking: RankingParams = {
    ...DEFAULT_RANKING,
    freshnessHalfLifeDays: config.freshnessHalfLifeDays,
    freshnessWeight: config.freshnessWeight,
  };
  const database = config.databaseShards.length
    ? config.databaseShards
    : config.databaseUrl
      ? [config.databaseUrl]
      : null;
  if (database && command === 'start') return serveDatabase(database, config.port, config, ranking);
  switch (command) {
    case 'start':
      return serve(config.indexDir, config.port, {
        buildFrom: [SEEDS],
        watch: null,
        config,
        ranking,
      });
    case 'index': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { out: { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length === 0) throw new Error('usage: index <folder>... --out <dir>');
      if (database)
        return indexIntoDatabase(
          positionals.map((p) => resolve(p)),
          database,
        );
      return indexFolders(
        positionals.map((p) => resolve(p)),
        resolve(values.out ?? config.indexDir),
      );
    }
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: { index: { type: 'string' }, port: { type: 'string' }, watch: { type: 'string' } },
      });
      const port = values.port === undefined ? config.port : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`--port must be a port number, got "${values.port}"`);
      if (database) return serveDatabase(database, port, config, ranking);
      const indexDir = resolve(values.index ?? config.indexDir);
      const watch = values.watch === undefined ? null : resolve(values.watch);
      if (watch && !existsSync(watch)) throw new Error(`--watch: no folder ${watch}`);
      // Watching a folder with no index yet: build it from that folder first.
      return serve(indexDir, port, {
        buildFrom: watch ? [watch] : null,
        watch,
        config,
        ranking,
      });
    }
    case 'search': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          index: { type: 'string' },
          size: { type: 'string', default: '10' },
          page: { type: 'string', default: '1' },
          json: { type: 'boolean', default: false },
        },
        allowPositionals: true,
      });
      const q = positionals.join(' ');
      if (!q.trim()) throw new Error('usage: search "<query>" --index <dir>');
      const dir = resolve(values.index ?? config.indexDir);
      loadUserDictionary(userDictionaryFile(dir));
      let index = loadIndex(dir, analyzerFingerprint());
      // Writes the snapshot does not hold yet (read only: a server may be running on it).
      const pending = readLog(dir, index.appliedSeq);
      if (pending.length) index = await applyRecords(index, pending);
      const result = searchOrCorrect(
        index,
        { q, page: Number(values.page), size: Number(values.size) },
        ranking,
      );
      if (values.json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      process.stdout.write(
        `${result.total} hits for ${JSON.stringify(q)} (${result.took_ms} ms)\n`,
      );
      const meant = result.interpreted_as ?? result.did_you_mean;
      if (meant !== undefined)
        process.stdout.write(
          result.corrected_from !== undefined || result.interpreted_as !== undefined
            ? `showing results for ${JSON.stringify(meant)}\n`
            : `did you mean ${JSON.stringify(meant)}?\n`,
        );
      result.hits.forEach((h, i) => {
        const plain = (html: string) => markedText(html, '*');
        process.stdout.write(
          `${i + 1 + (result.page - 1) * result.size}. ${plain(h.title_html)}  [${h.source ?? ''} ${h.date?.slice(0, 10) ?? ''}] score ${h.score}\n   ${h.id}\n   ${plain(h.snippet)}\n`,
        );
      });
      return;
    }
    default:
      throw new Error('usage: cli <start|index|serve|search> …  (see docs/api.md)');
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
