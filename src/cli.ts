#!/usr/bin/env node
/**
 * Command line (DESIGN.md contract):
 *   start                               serve INDEX_DIR, building it from seeds/ first if needed
 *   index <folder>... --out <dir>       build an index, print a summary line
 *   serve --index <dir> [--port <n>]    serve an existing index
 *   search "<query>" --index <dir>      print hits
 */
import { parseArgs } from 'node:util';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { loadConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { buildIndex, type BuildReport } from './index/build.js';
import { hasIndex, loadIndex, loadIndexAsync, saveIndex } from './index/store.js';
import { loadSegmenter } from './analysis/segment.js';
import { analyzerFingerprint } from './analysis/analyzer.js';
import { search } from './search/searcher.js';
import { RANKING } from './search/ranking.js';
import { createApp, type AppOptions, type ServerState } from './server/app.js';
import { loadUserDictionary, userDictionaryFile } from './analysis/user-dictionary.js';
import { SearchError } from './errors.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEEDS = join(REPO, 'seeds');

function progressPrinter(label: string): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (done, total) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
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

async function indexFolders(folders: string[], out: string): Promise<void> {
  loadUserDictionary(userDictionaryFile(out));
  const { index, report } = await buildIndex(folders, { onProgress: progressPrinter('indexing') });
  for (const e of report.errors) process.stderr.write(`error: ${e.file}: ${e.reason}\n`);
  saveIndex(index, out);
  process.stdout.write(summary(report, out) + '\n');
}

function listen(state: ServerState, port: number, logger: Logger, options: AppOptions): Promise<Server> {
  const app = createApp(state, logger, options);
  return new Promise((ok, fail) => {
    const server = app.listen(port, () => {
      const addr = server.address();
      logger.info({ port: typeof addr === 'object' && addr ? addr.port : port }, `listening on http://localhost:${typeof addr === 'object' && addr ? addr.port : port}`);
      ok(server);
    });
    server.on('error', fail);
    const stop = () => {
      logger.info('shutting down');
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

async function serve(indexDir: string, port: number, buildFrom: string[] | null, writeKey: string | null): Promise<void> {
  const logger = createLogger();
  const state: ServerState = { index: null };
  await listen(state, port, logger, { writeKey, indexDir });
  const started = performance.now();
  // The user dictionary is part of the analyzer: load it before checking the index against it.
  const words = loadUserDictionary(userDictionaryFile(indexDir));
  if (words.length) logger.info({ words: words.length }, 'user dictionary loaded');
  const fingerprint = analyzerFingerprint();
  let index = null;
  if (hasIndex(indexDir)) {
    // Read the index files on the thread pool while jieba's dictionary loads (~2 s, synchronous).
    const pending = loadIndexAsync(indexDir, fingerprint);
    loadSegmenter();
    try {
      index = await pending;
    } catch (e) {
      if (!(buildFrom && e instanceof SearchError && e.code === 'index_incompatible')) throw e;
      logger.warn(e.message + ' — rebuilding from ' + buildFrom.join(', '));
    }
  }
  if (!index) {
    if (!buildFrom) throw new SearchError('index_missing', `no index in ${indexDir}`);
    const built = await buildIndex(buildFrom);
    for (const e of built.report.errors) logger.warn({ file: e.file }, `skipped post: ${e.reason}`);
    saveIndex(built.index, indexDir);
    logger.info(summary(built.report, indexDir));
    index = built.index;
  }
  loadSegmenter(); // before the first query, not during it
  state.index = index;
  logger.info({ documents: index.size, ms: Math.round(performance.now() - started) }, 'index ready');
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  RANKING.freshnessHalfLifeDays = config.freshnessHalfLifeDays;
  RANKING.freshnessWeight = config.freshnessWeight;
  switch (command) {
    case 'start':
      return serve(config.indexDir, config.port, [SEEDS], config.writeKey);
    case 'index': {
      const { values, positionals } = parseArgs({ args: rest, options: { out: { type: 'string' } }, allowPositionals: true });
      if (positionals.length === 0) throw new Error('usage: index <folder>... --out <dir>');
      return indexFolders(positionals.map((p) => resolve(p)), resolve(values.out ?? config.indexDir));
    }
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { index: { type: 'string' }, port: { type: 'string' } } });
      const port = values.port === undefined ? config.port : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
      return serve(resolve(values.index ?? config.indexDir), port, null, config.writeKey);
    }
    case 'search': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { index: { type: 'string' }, size: { type: 'string', default: '10' }, page: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
        allowPositionals: true,
      });
      const q = positionals.join(' ');
      if (!q.trim()) throw new Error('usage: search "<query>" --index <dir>');
      const dir = resolve(values.index ?? config.indexDir);
      loadUserDictionary(userDictionaryFile(dir));
      const index = loadIndex(dir, analyzerFingerprint());
      const result = search(index, { q, page: Number(values.page), size: Number(values.size) });
      if (values.json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      process.stdout.write(`${result.total} hits for ${JSON.stringify(q)} (${result.took_ms} ms)\n`);
      result.hits.forEach((h, i) => {
        const plain = (s: string) => s.replace(/<\/?mark>/g, '*').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
        process.stdout.write(`${i + 1 + (result.page - 1) * result.size}. ${plain(h.title_html)}  [${h.source ?? ''} ${h.date?.slice(0, 10) ?? ''}] score ${h.score}\n   ${h.id}\n   ${plain(h.snippet)}\n`);
      });
      return;
    }
    default:
      throw new Error('usage: cli <start|index|serve|search> …  (see README.md)');
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
