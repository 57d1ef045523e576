/**
 * `npm run bench`: every figure from one run on ../shared/corpus (cna-rti + oped).
 * Indexing (posts/s, chars/s, size on disk, RSS), cold start in a fresh process, in-process
 * query latency over the public queries (top 10 with snippets), and HTTP requests/s of
 * /search against a bare Express JSON route served the same way; then live writes and a burst
 * of 1,000 files through the folder watch, with query latency idle vs during the burst.
 * Then what pinyin costs (issue 17): the readings' share of the build, a build without them,
 * and a serving process's RSS without and with pinyin suggestions and "did you mean" in use.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { buildIndex } from '../src/index/build.js';
import { analyzePost } from '../src/index/analyze-post.js';
import { listPosts } from '../src/ingest/files.js';
import { saveIndex } from '../src/index/store.js';
import { search } from '../src/search/searcher.js';
import { suggest, warmSuggestions } from '../src/search/suggest.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import {
  CORPUS_FOLDERS,
  PUBLIC_QUERIES,
  REPO,
  directoryBytes,
  percentile,
  readQueries,
  sharedAvailable,
} from './shared.js';

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const ms = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const { values } = parseArgs({ options: { 'http-seconds': { type: 'string', default: '10' } } });
  const httpSeconds = Number(values['http-seconds']);
  if (!(httpSeconds > 0)) throw new Error('--http-seconds must be a positive number');
  const out = mkdtempSync(join(tmpdir(), 'zh-news-bench-'));
  const bareDirs: string[] = [];
  try {
    // 1. Indexing, from files on disk to a saved index.
    let firstBatchAt = 0;
    const t0 = performance.now();
    const { index, report } = await buildIndex(CORPUS_FOLDERS, {
      onProgress: () => {
        firstBatchAt ||= performance.now() - t0;
      },
    });
    const built = performance.now();
    saveIndex(index, out);
    const saveSeconds = (performance.now() - built) / 1000;
    const indexSeconds = (performance.now() - t0) / 1000;
    const textChars = report.characters;
    console.log(
      `indexing: ${report.posts} posts (${report.errors.length} errors) in ${indexSeconds.toFixed(2)} s (build ${report.seconds.toFixed(2)} s + save ${saveSeconds.toFixed(2)} s)`,
    );
    console.log(
      `  ${Math.round(report.posts / indexSeconds)} posts/s and ${(textChars / indexSeconds / 1e6).toFixed(2)} M chars/s end to end; ` +
        `${Math.round(report.posts / report.seconds)} posts/s without the save (chars: title + body + page text, code points)`,
    );
    console.log(
      `  first batch analyzed after ${(firstBatchAt / 1000).toFixed(2)} s (workers loading jieba's dictionary)`,
    );
    console.log(
      `  index on disk: ${mb(directoryBytes(out))} MB; RSS after indexing: ${mb(process.memoryUsage().rss)} MB`,
    );

    // This run's machine speed (it varies a lot on a shared machine): the same work in this one
    // thread for every 8th post, so the build's speed can be read as a multiple of it.
    loadSegmenter();
    const sample = (await Promise.all(CORPUS_FOLDERS.map((f) => listPosts(f))))
      .flat()
      .filter((_, i) => i % 8 === 0);
    const s0 = performance.now();
    for (const ref of sample) analyzePost(ref);
    const onePerSecond = sample.length / ((performance.now() - s0) / 1000);
    console.log(
      `  reference: one thread analyzes ${Math.round(onePerSecond)} posts/s (every 8th post, in this process); ` +
        `the build ran at ${(report.posts / report.seconds / onePerSecond).toFixed(2)}× that`,
    );

    // 2. Cold start in a fresh process.
    const cold = spawnSync(process.execPath, [join(REPO, 'dist', 'bench', 'cold-start.js'), out], {
      encoding: 'utf8',
    });
    if (cold.status !== 0) throw new Error(cold.stderr);
    const c = JSON.parse(cold.stdout) as Record<string, number>;
    console.log(
      `cold start: ${ms(c.total_ms)} ms (jieba dictionary ${ms(c.segmenter_load_ms)}, index files read meanwhile, then ${ms(c.index_wait_after_segmenter_ms)} to open the index + first query ${ms(c.first_query_ms)}); ` +
        `${ms(c.since_process_start_ms)} ms since process start; RSS ${c.rss_mb.toFixed(0)} MB`,
    );

    // 3. In-process query latency: every public query in both scripts, top 10 with snippets.
    const queries = readQueries(PUBLIC_QUERIES).flatMap((q) => [q.q, q.q_alt]);
    for (const q of queries) search(index, { q, page: 1, size: 10 }); // warm up
    const lat: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      search(index, { q, page: 1, size: 10 });
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `query latency (in-process, ${lat.length} queries, top 10 + snippets): p50 ${ms(percentile(lat, 0.5))} ms, p95 ${ms(percentile(lat, 0.95))} ms, p99 ${ms(percentile(lat, 0.99))} ms, max ${ms(lat[lat.length - 1])} ms`,
    );
    // The same queries asking for every facet, and suggestions for what a user types first.
    const withFacets: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      search(index, { q, page: 1, size: 10, facets: ['source', 'tag', 'month'] });
      withFacets.push(performance.now() - t);
    }
    withFacets.sort((a, b) => a - b);
    warmSuggestions(index);
    const prefixes = queries.flatMap((q) => [
      Array.from(q).slice(0, 1).join(''),
      Array.from(q).slice(0, 2).join(''),
    ]);
    const sug: number[] = [];
    for (const p of prefixes) {
      const t = performance.now();
      suggest(index, p, 8);
      sug.push(performance.now() - t);
    }
    sug.sort((a, b) => a - b);
    const p50 = percentile(lat, 0.5);
    console.log(
      `with facets=source,tag,month: p50 ${ms(percentile(withFacets, 0.5))} ms (+${(((percentile(withFacets, 0.5) - p50) / p50) * 100).toFixed(0)}% over the p50 above), p95 ${ms(percentile(withFacets, 0.95))} ms; ` +
        `suggest (${sug.length} prefixes of 1–2 characters): p50 ${ms(percentile(sug, 0.5))} ms, p95 ${ms(percentile(sug, 0.95))} ms`,
    );

    // 4. HTTP requests/s: /search vs a bare Express JSON route in the same kind of process.
    const child = spawn(process.execPath, [join(REPO, 'dist', 'bench', 'http-target.js'), out], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const ports = await new Promise<{ search: number; nocache: number; bare: number }>(
        (ok, fail) => {
          child.stdout.once('data', (d) => ok(JSON.parse(String(d))));
          child.once('exit', (code) => fail(new Error(`http target exited ${code}`)));
        },
      );
      const paths = queries.slice(0, 200).map((q) => `/search?q=${encodeURIComponent(q)}&size=10`);
      const run = (port: number, requests: { path: string }[]) =>
        autocannon({
          url: `http://127.0.0.1:${port}`,
          connections: 8,
          duration: httpSeconds,
          requests,
        });
      const searches = paths.map((path) => ({ path }));
      const s = await run(ports.nocache, searches);
      const cached = await run(ports.search, searches);
      const b = await run(ports.bare, [{ path: '/bare' }]);
      console.log(
        `http (8 connections, ${httpSeconds} s each): /search ${Math.round(s.requests.average)} req/s without the result cache (p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms, ${s.non2xx} non-2xx), ` +
          `${Math.round(cached.requests.average)} req/s with it; bare route ${Math.round(b.requests.average)} req/s; ` +
          `ratios ${(s.requests.average / b.requests.average).toFixed(2)} and ${(cached.requests.average / b.requests.average).toFixed(2)}`,
      );
    } finally {
      child.kill('SIGTERM');
    }

    // 5. Live writes and a folder-watch burst (bench/live.ts), on a copy of the same index.
    const live = spawnSync(process.execPath, [join(REPO, 'dist', 'bench', 'live.js'), out], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (live.status !== 0) throw new Error('live bench failed');
    process.stdout.write(live.stdout);

    // 6. What pinyin costs. The readings are computed on the main thread while the postings
    // worker runs, so their share of the build above bounds what they add to it; a build
    // without them follows, though one pair of builds differs by the machine's drift.
    const built1 = report.seconds;
    console.log(
      `pinyin readings in the build above: ${report.pinyinSeconds.toFixed(2)} s of ${built1.toFixed(2)} s ` +
        `(+${((report.pinyinSeconds / (built1 - report.pinyinSeconds)) * 100).toFixed(1)}% over the build without them, at most)`,
    );
    const bare = mkdtempSync(join(tmpdir(), 'zh-news-bench-bare-'));
    bareDirs.push(bare);
    const without = await buildIndex(CORPUS_FOLDERS, { pinyin: false });
    saveIndex(without.index, bare);
    console.log(
      `  a build without them right after: ${without.report.seconds.toFixed(2)} s (the one above: ${built1.toFixed(2)} s)`,
    );
    // A serving process: the index as saved before pinyin, completing characters (what the
    // page asked before) vs the index with readings, completing pinyin and correcting a typo.
    const coldStart = (dir: string, mode: string) => {
      const r = spawnSync(
        process.execPath,
        ['--expose-gc', join(REPO, 'dist', 'bench', 'cold-start.js'), dir, '數位身分證', mode],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as Record<string, number>;
    };
    // Three of each, alternating: RSS after a GC still moves by ±25 MB from run to run.
    const runs: { before: Record<string, number>[]; after: Record<string, number>[] } = {
      before: [],
      after: [],
    };
    for (let i = 0; i < 3; i++) {
      runs.before.push(coldStart(bare, '--suggest'));
      runs.after.push(coldStart(out, '--pinyin'));
    }
    const median = (xs: Record<string, number>[], key: string) =>
      xs.map((x) => x[key]).sort((a, b) => a - b)[1];
    const [rss0, rss1] = [median(runs.before, 'rss_mb'), median(runs.after, 'rss_mb')];
    const [heap0, heap1] = [median(runs.before, 'heap_mb'), median(runs.after, 'heap_mb')];
    console.log(
      `serving memory after a GC (median of 3): without readings, characters completed: RSS ${rss0.toFixed(0)} MB, V8 heap ${heap0.toFixed(1)} MB; ` +
        `with readings, pinyin completed and a typo corrected: RSS ${rss1.toFixed(0)} MB (+${((rss1 / rss0 - 1) * 100).toFixed(1)}%), heap ${heap1.toFixed(1)} MB (+${(heap1 - heap0).toFixed(1)} MB); ` +
        `building the pinyin and correction tables took ${ms(median(runs.after, 'pinyin_ms'))} ms on first use`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
    for (const dir of bareDirs) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
