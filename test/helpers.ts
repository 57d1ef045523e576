/** Shared fixtures for tests: repo paths, a seeds index built once, tiny in-memory indexes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIndex, type BuildReport } from '../src/index/build.js';
import { IndexBuilder } from '../src/index/builder.js';
import { analyzeText, analyzerFingerprint } from '../src/analysis/analyzer.js';
import type { NewsIndex } from '../src/index/news-index.js';
import type { Article } from '../src/ingest/article.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type ServerState } from '../src/server/app.js';
import { createLogger, type Logger } from '../src/log.js';
import { loadIndex, saveIndex } from '../src/index/store.js';
import { IndexWriter } from '../src/index/writer.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SEEDS = join(REPO, 'seeds');
export const SHARED = resolve(REPO, '..', 'shared');
export const EXAMPLE_ID = '2020-12-25-新竹市：數位身分證110年1月試辦傾向暫緩';

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temp folder, removed when this test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

let seeds: Promise<{ index: NewsIndex; report: BuildReport }> | undefined;
/** The seeds/ folder indexed in this process (once per test file). */
export function seedsIndex(): Promise<{ index: NewsIndex; report: BuildReport }> {
  seeds ??= buildIndex([SEEDS], { workers: 0 });
  return seeds;
}

/** An index over articles given inline: for ranking and snippet cases that need exact text. */
export function tinyIndex(
  docs: { id: string; title: string; body: string; date?: string }[],
): NewsIndex {
  const builder = new IndexBuilder();
  for (const d of docs) {
    const article: Article = {
      id: d.id,
      title: d.title,
      body: d.body,
      url: null,
      source: null,
      date: d.date ?? null,
      tags: [],
      categories: [],
      related: [],
    };
    builder.add({
      article,
      title: analyzeText(d.title),
      body: analyzeText(d.body),
      extra: analyzeText(''),
    });
  }
  return builder.build(analyzerFingerprint());
}

/**
 * The seeds index saved in `indexDir` and served with writes on (key `key`), plus the same index
 * served with writes off: for the write and admin endpoint tests.
 */
export async function writableServers(
  indexDir: string,
  key: string,
  logger: Logger,
): Promise<{
  state: ServerState;
  server: Server;
  base: string;
  closed: Server;
  closedBase: string;
}> {
  const { index } = await seedsIndex();
  saveIndex(index, indexDir);
  const state: ServerState = { index: null, writer: null };
  const { writer } = await IndexWriter.open(loadIndex(indexDir, analyzerFingerprint()), indexDir);
  writer.attach(state);
  state.writer = writer;
  const server = createApp(state, logger, { writeKey: key, indexDir }).listen(0, '127.0.0.1');
  const closed = createApp({ index }, createLogger('silent')).listen(0, '127.0.0.1');
  // fetch keeps connections alive and reuses them; on a loaded machine a test can sit idle past
  // Node's 5 s keep-alive timeout, and a request sent as the server closes the socket fails with
  // ECONNRESET. Keep idle sockets open for as long as a test file runs.
  for (const s of [server, closed]) s.keepAliveTimeout = 120_000;
  await Promise.all([server, closed].map((s) => new Promise((ok) => s.once('listening', ok))));
  // A test may pause for seconds (a child process): a keep-alive socket the server closed
  // meanwhile would fail the client's next request (ECONNRESET) on a busy machine.
  for (const s of [server, closed]) s.keepAliveTimeout = 60_000;
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { state, server, base: url(server), closed, closedBase: url(closed) };
}
