/**
 * Live writes on the corpus index (`npm run bench` part 5, or `node dist/bench/live.js [indexDir]`):
 *   - write → searchable: PUT /documents/:id answered (it is searchable when answered), p50/max;
 *   - a burst of 1,000 new post files landing at once in a watched folder (a `git pull`): time
 *     until the first and the last is searchable, with no query load and then while a client
 *     sends queries back to back;
 *   - /search latency seen by that client (in a worker thread, so a busy server thread shows up
 *     in its timings) while idle and during the burst: p50, p99, max.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadIndex, saveIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import { IndexWriter } from '../src/index/writer.js';
import { FolderWatch } from '../src/ingest/watch.js';
import { AnalysisPool, pairsFor, poolReader } from '../src/index/analysis-pool.js';
import { availableParallelism } from 'node:os';
import { createApp, type ServerState } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { search } from '../src/search/searcher.js';
import {
  CORPUS_FOLDERS,
  PUBLIC_QUERIES,
  corpusIndex,
  readQueries,
  sharedAvailable,
} from './shared.js';
import { latencySummary as fmt, queryClient as client, sleep } from './query-client.js';

const KEY = 'bench-key';
const BURST = 1000;

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('live writes: skipped (../shared/corpus not found)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'zh-news-live-'));
  try {
    const source = process.argv[2]
      ? loadIndex(process.argv[2], analyzerFingerprint())
      : (await corpusIndex(false)).index;
    // A copy: the writer saves snapshots and a log into its directory.
    const indexDir = join(work, 'index');
    saveIndex(source, indexDir);
    loadSegmenter();
    const state: ServerState = { index: null, writer: null };
    const { writer } = await IndexWriter.open(
      loadIndex(indexDir, analyzerFingerprint()),
      indexDir,
      {},
    );
    writer.attach(state);
    state.writer = writer;
    const server: Server = createApp(state, createLogger('silent'), {
      writeKey: KEY,
      indexDir,
    }).listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const paths = readQueries(PUBLIC_QUERIES)
      .flatMap((q) => [q.q, q.q_alt])
      .slice(0, 200)
      .map((q) => `/search?q=${encodeURIComponent(q)}&size=10`);
    for (const p of paths.slice(0, 50)) await (await fetch(base + p)).arrayBuffer(); // warm up

    // Idle latency.
    const idleClient = client(base, paths);
    await sleep(4000);
    const idle = (await idleClient.stop()).map(([, ms]) => ms);

    // Single writes: answered = logged on disk and searchable.
    const writes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const body = JSON.stringify({
        title: `即時新聞測試${i}：立法院三讀通過`,
        body: `<p>立法院今天三讀通過修正案，標記詞livebench${i}。</p>`.repeat(20),
        date: new Date().toISOString(),
      });
      const t = performance.now();
      const r = await fetch(`${base}/documents/live/bench-${i}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      });
      writes.push(performance.now() - t);
      if (r.status !== 201) throw new Error(`PUT answered ${r.status}`);
      if (search(state.index!, { q: `livebench${i}`, page: 1, size: 1 }).total !== 1)
        throw new Error('a write was not searchable when answered');
    }
    console.log(
      `live writes: PUT /documents/:id answered (logged with fdatasync, merged, searchable) ${fmt(writes).replace(/ \(\d+ requests\)/, '')} over ${writes.length} writes into ${source.size} articles`,
    );

    // Bursts: 1,000 corpus posts appear at once under a watched folder, twice: with no query
    // load, then while a client sends queries back to back.
    const watched = join(work, 'watched');
    mkdirSync(watched);
    const pool = new AnalysisPool(pairsFor(Math.min(availableParallelism(), 4))); // as `serve --watch` does
    await pool.ready;
    const watch = await FolderWatch.start(watched, {
      read: poolReader(pool),
      apply: (changes) => writer.submit(changes),
      indexed: () => new Map(writer.index.docs.map((d) => [d.id, d.hash])),
      onProblem: (file, reason) => console.error(`  problem: ${file}: ${reason}`),
      deleteMissing: false,
    });
    const burst = async (name: string, load: boolean) => {
      // Real posts, dated as new ones are (within the last hours): what a pull of a live
      // archive brings. (Their text repeats articles already indexed, so each is also found to
      // be a near-duplicate of its original.)
      const staging = join(work, `staging-${name}`);
      mkdirSync(staging);
      let copied = 0;
      const now = Date.now();
      for (const folder of CORPUS_FOLDERS) {
        for (const f of readdirSync(folder)) {
          if (copied >= BURST || !f.endsWith('.md')) continue;
          const date = new Date(now - (BURST - copied) * 60_000).toISOString();
          const text = readFileSync(join(folder, f), 'utf8').replace(/^date:.*$/m, `date: ${date}`);
          writeFileSync(join(staging, `${copied++}.md`), text);
        }
      }
      const before = writer.index.size;
      const c = load ? client(base, paths) : null;
      await sleep(500);
      const t0 = performance.timeOrigin + performance.now();
      renameSync(staging, join(watched, name));
      let first = 0;
      while (writer.index.size < before + copied) {
        if (!first && writer.index.size > before)
          first = performance.timeOrigin + performance.now() - t0;
        await sleep(10);
      }
      const all = performance.timeOrigin + performance.now() - t0;
      await sleep(300);
      const during = c
        ? (await c.stop()).filter(([t]) => t >= t0 && t <= t0 + all).map(([, ms]) => ms)
        : [];
      return { copied, first, all, during };
    };
    const quiet = await burst('burst-a', false);
    const loaded = await burst('burst-b', true);
    await watch.close();
    await pool.close();
    const secs = (ms: number) => (ms / 1000).toFixed(2);
    console.log(
      `  burst of ${quiet.copied} new post files (corpus posts dated within the last ${Math.round(BURST / 60)} h) in a watched folder, no query load: first searchable after ${secs(quiet.first)} s, all after ${secs(quiet.all)} s`,
    );
    console.log(
      `  the same while a client thread sends /search back to back: first after ${secs(loaded.first)} s, all after ${secs(loaded.all)} s`,
    );
    console.log(
      `  /search latency seen by that client: idle ${fmt(idle)}; during the burst ${fmt(loaded.during)}`,
    );
    server.close();
    await writer.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
