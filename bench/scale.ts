/**
 * `npm run bench:scale [-- --sizes 16000,100000,500000]`: the index at archive scale (issue 16),
 * through its public entry points only (the `index` and `serve` commands, the HTTP API), so the
 * same run measures whatever index layout is behind them. For each size of a synthetic archive
 * (bench/synthetic-archive.ts), grown in one folder from the smallest size to the largest:
 *   - indexing (`cli index`, a child process): posts/s end to end and peak RSS; size on disk;
 *   - serving (`cli serve`, a child process): start to first answer; the public and training
 *     queries (q and q_alt), top 10 with snippets, warmed up then timed three times each
 *     (server took_ms, the median of the three per query, as the Lucene harness times its
 *     queries; the server's result cache off) and RSS after them;
 *   - writes: PUT then DELETE /documents/:id one at a time (answered = durable and searchable);
 *     a burst of 1,000 PUTs (32 in flight) with a client thread querying back to back;
 *   - merge activity: what /health reports about segments and merges ("n/a" when nothing);
 *   - Lucene with CJK bigrams on the same posts (bench/lucene-anchor.ts), same queries, and
 *     our figures as ratios of its.
 * A size whose build would pass --max-rss-gb or --max-build-minutes (predicted from the last
 * size, or reached while building) stops the run there, with what it measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HealthResponse } from '../src/api.js';
import {
  CORPUS_FOLDERS,
  PUBLIC_QUERIES,
  REPO,
  TRAIN_QUERIES,
  directoryBytes,
  quantiles,
  readQueries,
  sharedAvailable,
} from './shared.js';
import {
  generatePosts,
  postFile,
  postJson,
  readMaterial,
  writeFiles,
  type SyntheticPost,
} from './synthetic-archive.js';
import { childEnv, nodeArgs, procBytes, runMeasured } from './child-process.js';
import { luceneIndex, luceneMissing, luceneSearch, toSimplified } from './lucene-anchor.js';
import { latencySummary, queryClient, sleep } from './query-client.js';

const CLI = join(REPO, 'dist', 'src', 'cli.js');
const KEY = 'scale-bench-key';
/** Posts written (and converted for Lucene) per step while the archive grows. */
const CHUNK = 2000;
/** Timed passes per query, as the Lucene harness's RUNS. */
const RUNS = 3;

const { values: flags } = parseArgs({
  options: {
    sizes: { type: 'string', default: '16000,100000,500000' },
    seed: { type: 'string', default: '1' },
    writes: { type: 'string', default: '100' },
    burst: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    'max-rss-gb': { type: 'string', default: '16' },
    'max-build-minutes': { type: 'string', default: '30' },
    'no-lucene': { type: 'boolean', default: false },
    work: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
};
const SIZES = flags.sizes
  .split(',')
  .map((s) => Math.round(positive('sizes', s.trim())))
  .sort((a, b) => a - b);
const SEED = Number(flags.seed);
const WRITES = Math.round(positive('writes', flags.writes));
const BURST = Math.round(positive('burst', flags.burst));
const CONCURRENCY = Math.round(positive('concurrency', flags.concurrency));
const MAX_RSS = positive('max-rss-gb', flags['max-rss-gb']) * 2 ** 30;
const MAX_BUILD_MS = positive('max-build-minutes', flags['max-build-minutes']) * 60_000;

const mb = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en')} MB`;
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
const int = (x: number) => Math.round(x).toLocaleString('en');
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const log = (s: string) => process.stderr.write(s + '\n');
/** The 1-minute load average: on a shared machine, what the figures beside it were measured under. */
const load = () => `load average ${loadavg()[0].toFixed(1)}`;

interface Row {
  size: number;
  postsPerS?: number;
  buildPeak?: number;
  disk?: number;
  firstAnswerS?: number;
  servingRss?: number;
  query?: { p50: number; p95: number; p99: number };
  lucene?: { postsPerS: number; query: { p50: number; p95: number; p99: number } };
  put?: { p50: number; p99: number };
  del?: { p50: number; p99: number };
  burstS?: number;
  burstP99?: number;
  merges?: string;
  stopped?: string;
}

/**
 * Why a size is not built: the sizes measured so far predict it would pass a cap (a line through
 * the last two, or in proportion to the last one alone, which overestimates: part of the memory
 * is the same at every size). Null when it should fit, or when nothing has been measured.
 */
function predictedToFail(size: number, rows: Row[]): string | null {
  const built = rows.filter((r) => r.buildPeak && r.postsPerS).slice(-2);
  if (built.length === 0) return null;
  const b = built[built.length - 1];
  const a = built.length === 2 ? built[0] : { size: 0, buildPeak: 0, postsPerS: Infinity };
  const extend = (ya: number, yb: number) => yb + ((yb - ya) / (b.size - a.size)) * (size - b.size);
  const peak = extend(a.buildPeak!, b.buildPeak!);
  const minutes = extend(a.size / a.postsPerS!, b.size / b.postsPerS!) / 60;
  if (peak <= MAX_RSS && minutes * 60_000 <= MAX_BUILD_MS) return null;
  return `not built: ${built.map((r) => int(r.size)).join(' and ')} posts predict a peak RSS of ${mb(peak)} and ${minutes.toFixed(1)} min for ${int(size)} (caps ${mb(MAX_RSS)}, ${(MAX_BUILD_MS / 60_000).toFixed(0)} min; --max-rss-gb, --max-build-minutes)`;
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));
  return port;
}

/** What /health says about segments and merges (src/api.ts), in a few words; "n/a" without it. */
function mergeActivity(health: HealthResponse): string {
  const { index, writes } = health;
  if (!index) return 'n/a';
  const sizes = index.segments.map((s) =>
    s.deleted ? `${s.documents}−${s.deleted}` : `${s.documents}`,
  );
  let text = `${sizes.length} segments (${sizes.join(', ')}), ${index.buffered} buffered`;
  if (writes)
    text += `; ${writes.flushes} flushes, ${writes.merges_completed} merges${writes.last_merge_ms === null ? '' : ` (last ${writes.last_merge_ms} ms)`}`;
  return text;
}

/** A `cli serve` child with the write API on; resolves once it answers a query. */
async function startServer(indexDir: string, probe: string) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'serve', '--index', indexDir, '--port', String(port)],
    {
      // No result cache: with it, the timed passes would be answered from the warm-up pass's
      // serialized JSON, took_ms and all, and time the first (cold) search of each query.
      env: childEnv({ WRITE_KEY: KEY, LOG_LEVEL: 'warn', SEARCH_CACHE_MB: '0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`cli serve exited: ${stderr.slice(-2000)}`);
    const r = await fetch(`${base}/search?q=${encodeURIComponent(probe)}&size=10`).catch(
      () => null,
    );
    if (r?.status === 200) {
      await r.arrayBuffer();
      break;
    }
    await r?.arrayBuffer();
    await sleep(20);
  }
  const firstAnswerMs = performance.now() - started;
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const done = once(child, 'exit');
    const late = setTimeout(() => child.kill('SIGKILL'), 120_000);
    await done;
    clearTimeout(late);
  };
  return { base, pid: child.pid!, firstAnswerMs, stop };
}

const auth = { authorization: `Bearer ${KEY}` };
const apiId = (p: SyntheticPost) => `api/${p.path.replace(/\.md$/, '')}`;
const docUrl = (base: string, id: string) =>
  `${base}/documents/${id.split('/').map(encodeURIComponent).join('/')}`;

async function put(base: string, p: SyntheticPost): Promise<number> {
  const t = performance.now();
  const r = await fetch(docUrl(base, apiId(p)), {
    method: 'PUT',
    body: postJson(p),
    headers: { 'content-type': 'application/json', ...auth },
  });
  await r.arrayBuffer();
  if (r.status !== 201) throw new Error(`PUT ${apiId(p)} answered ${r.status}`);
  return performance.now() - t;
}

async function del(base: string, p: SyntheticPost): Promise<number> {
  const t = performance.now();
  const r = await fetch(docUrl(base, apiId(p)), { method: 'DELETE', headers: auth });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`DELETE ${apiId(p)} answered ${r.status}`);
  return performance.now() - t;
}

async function status(url: string): Promise<number> {
  const r = await fetch(url);
  await r.arrayBuffer();
  return r.status;
}

const health = async (base: string): Promise<HealthResponse> =>
  (await fetch(`${base}/health`)).json() as Promise<HealthResponse>;

/** Every query form once (warm-up), then RUNS times: per query the median server took_ms. */
async function timeQueries(base: string, forms: string[]) {
  const paths = forms.map((q) => `/search?q=${encodeURIComponent(q)}&size=10`);
  const took = forms.map(() => [] as number[]);
  const first: number[] = [];
  const wall: number[] = [];
  for (let pass = 0; pass <= RUNS; pass++) {
    for (let i = 0; i < paths.length; i++) {
      const t = performance.now();
      const r = await fetch(base + paths[i]);
      const body = (await r.json()) as { took_ms: number };
      if (r.status !== 200) throw new Error(`${paths[i]} answered ${r.status}`);
      if (pass === 0) {
        first.push(body.took_ms);
        continue;
      }
      wall.push(performance.now() - t);
      took[i].push(body.took_ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    took: quantiles(took.map(median).sort((a, b) => a - b)),
    first: quantiles(first.sort((a, b) => a - b)),
    wall: quantiles(wall.sort((a, b) => a - b)),
    paths,
  };
}

async function measureSize(
  size: number,
  dirs: { posts: string; postsS: string; work: string },
  forms: string[],
  queriesS: string | null,
  writePosts: SyntheticPost[],
): Promise<Row> {
  const row: Row = { size };
  const out = (s: string) => console.log(`${s} [${load()}]`);
  const indexDir = join(dirs.work, `index-${size}`);
  log(`indexing ${size} posts …`);
  let lastProgress = 0;
  const build = await runMeasured(
    process.execPath,
    [...nodeArgs(), CLI, 'index', dirs.posts, '--out', indexDir],
    {
      maxRssBytes: MAX_RSS,
      maxMs: MAX_BUILD_MS,
      onStderr: (l) => {
        if (Date.now() - lastProgress > 15_000 && l.startsWith('indexing')) {
          lastProgress = Date.now();
          log(`  ${l}`);
        }
      },
    },
  );
  if (build.stopped || build.code !== 0) {
    row.stopped = `indexing stopped after ${(build.ms / 1000).toFixed(0)} s: ${build.stopped ?? build.stderr.slice(-500)} (peak RSS ${mb(build.peakRss)})`;
    out(row.stopped);
    rmSync(indexDir, { recursive: true, force: true });
    return row;
  }
  const summary = /indexed (\d+) posts, (\d+) errors, ([\d.]+) s, (\d+) posts\/s/.exec(
    build.stdout,
  );
  if (!summary || Number(summary[1]) !== size)
    throw new Error(`cli index indexed other than ${size} posts: ${build.stdout}`);
  row.postsPerS = size / (build.ms / 1000);
  row.buildPeak = build.peakRss;
  row.disk = directoryBytes(indexDir);
  out(
    `indexing (cli index, child process): ${(build.ms / 1000).toFixed(1)} s end to end, ${int(row.postsPerS)} posts/s ` +
      `(its own summary: ${summary[4]} posts/s in ${summary[3]} s, before saving); peak RSS ${mb(build.peakRss)}; on disk ${mb(row.disk)}`,
  );

  const server = await startServer(indexDir, forms[0]);
  try {
    row.firstAnswerS = server.firstAnswerMs / 1000;
    log(`  serving; ${forms.length} query forms × ${RUNS + 1} passes …`);
    const q = await timeQueries(server.base, forms);
    row.query = q.took;
    row.servingRss = procBytes(server.pid, 'VmRSS');
    out(
      `start to first answer (cli serve, a query with snippets): ${row.firstAnswerS.toFixed(2)} s; ` +
        `serving RSS after the queries: ${mb(row.servingRss)}`,
    );
    out(
      `queries (${forms.length}: public + training, q and q_alt; top 10 + snippets; server took_ms, median of ${RUNS} passes each): ` +
        `p50 ${ms(q.took.p50)} / p95 ${ms(q.took.p95)} / p99 ${ms(q.took.p99)} ms ` +
        `(the warm-up pass, each query's first search: p50 ${ms(q.first.p50)} / p95 ${ms(q.first.p95)} / p99 ${ms(q.first.p99)} ms); ` +
        `HTTP round trip p50 ${ms(q.wall.p50)} / p99 ${ms(q.wall.p99)} ms`,
    );
    const mergesBefore = mergeActivity(await health(server.base));

    // Single writes, one at a time.
    log(`  ${WRITES} PUTs and DELETEs …`);
    const singles = writePosts.slice(0, WRITES);
    const puts: number[] = [];
    for (const p of singles) puts.push(await put(server.base, p));
    if ((await status(docUrl(server.base, apiId(singles[singles.length - 1])))) !== 200)
      throw new Error('a PUT was not visible when answered');
    const dels: number[] = [];
    for (const p of singles) dels.push(await del(server.base, p));
    if ((await status(docUrl(server.base, apiId(singles[0])))) !== 404)
      throw new Error('a DELETE was not visible when answered');
    row.put = quantiles(puts.sort((a, b) => a - b));
    row.del = quantiles(dels.sort((a, b) => a - b));
    out(
      `writes (answered = durable and searchable; ${WRITES} each, one at a time): PUT p50 ${ms(row.put.p50)} / p99 ${ms(row.put.p99)} ms; ` +
        `DELETE p50 ${ms(row.del.p50)} / p99 ${ms(row.del.p99)} ms`,
    );

    // A burst of new posts while a client thread queries back to back.
    log(`  burst of ${BURST} PUTs …`);
    const idleClient = queryClient(server.base, q.paths);
    await sleep(3000);
    const idle = (await idleClient.stop()).map(([, t]) => t);
    const burst = writePosts.slice(WRITES, WRITES + BURST);
    const before = (await health(server.base)).documents;
    const client = queryClient(server.base, q.paths);
    await sleep(500);
    const t0 = performance.timeOrigin + performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < burst.length) await put(server.base, burst[next++]);
      }),
    );
    const allMs = performance.timeOrigin + performance.now() - t0;
    const during = (await client.stop()).filter(([t]) => t >= t0 && t <= t0 + allMs);
    const after = (await health(server.base)).documents;
    if (after !== before + burst.length)
      throw new Error(
        `after the burst /health counts ${after} documents, not ${before + burst.length}`,
      );
    row.burstS = allMs / 1000;
    const duringMs = during.map(([, t]) => t).sort((a, b) => a - b);
    row.burstP99 = duringMs.length ? quantiles(duringMs).p99 : NaN;
    out(
      `burst: ${burst.length} PUTs, ${CONCURRENCY} in flight: all answered (searchable) after ${row.burstS.toFixed(2)} s; ` +
        `/search from a client thread: idle ${latencySummary(idle)}; during the burst ${duringMs.length ? latencySummary(duringMs) : 'no request finished'}`,
    );
    row.merges = mergeActivity(await health(server.base));
    out(`merge activity (/health): before the writes ${mergesBefore}; after them ${row.merges}`);
  } finally {
    await server.stop();
  }
  if (!flags.keep) rmSync(indexDir, { recursive: true, force: true });

  if (queriesS) {
    log(`  Lucene: indexing and querying the converted posts …`);
    const luceneDir = join(dirs.work, `lucene-${size}`);
    const li = await luceneIndex(dirs.postsS, luceneDir);
    const ls = await luceneSearch(luceneDir, queriesS, join(dirs.work, `lucene-${size}.jsonl`));
    const postsPerS = Number(li.report.docs_per_s);
    const lq = quantiles(ls.sorted);
    row.lucene = { postsPerS, query: lq };
    out(
      `Lucene 8 CJK bigrams + offsets, same posts and queries converted by OpenCC: indexing ${int(postsPerS)} docs/s ` +
        `(${li.report.seconds} s in its JVM), peak RSS ${mb(li.run.peakRss)}, on disk ${mb(Number(li.report.index_bytes))}; ` +
        `queries p50 ${ms(lq.p50)} / p95 ${ms(lq.p95)} / p99 ${ms(lq.p99)} ms (median of its ${ls.report.runs} passes each)`,
    );
    out(
      `ours / Lucene: indexing posts/s ${ratio(row.postsPerS, postsPerS)}×; query p50 ${ratio(row.query!.p50, lq.p50)}×, ` +
        `p95 ${ratio(row.query!.p95, lq.p95)}×, p99 ${ratio(row.query!.p99, lq.p99)}×`,
    );
    rmSync(luceneDir, { recursive: true, force: true });
  }
  return row;
}

function table(rows: Row[]): string {
  const f = (x: number | undefined, d = 2) =>
    x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d);
  const lines = [
    `| posts | indexing posts/s (Lucene) | indexing peak RSS | on disk | start to first answer | serving RSS | query p50 / p95 / p99 ms (Lucene) | PUT p50 / p99 ms | DELETE p50 / p99 ms | ${int(BURST)}-post burst | query p99 during burst | merge activity |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.stopped && r.postsPerS === undefined) {
      lines.push(`| ${int(r.size)} | ${r.stopped} |||||||||||`);
      continue;
    }
    const lq = r.lucene?.query;
    lines.push(
      `| ${int(r.size)} | ${int(r.postsPerS!)} (${r.lucene ? int(r.lucene.postsPerS) : '—'}) | ${mb(r.buildPeak!)} | ${mb(r.disk!)} | ${f(r.firstAnswerS)} s | ${r.servingRss ? mb(r.servingRss) : '—'} | ` +
        `${f(r.query?.p50)} / ${f(r.query?.p95)} / ${f(r.query?.p99)} (${f(lq?.p50)} / ${f(lq?.p95)} / ${f(lq?.p99)}) | ` +
        `${f(r.put?.p50, 0)} / ${f(r.put?.p99, 0)} | ${f(r.del?.p50, 0)} / ${f(r.del?.p99, 0)} | ${f(r.burstS)} s | ${f(r.burstP99, 0)} ms | ${r.merges ?? '—'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const work = flags.work ?? mkdtempSync(join(tmpdir(), 'zh-news-scale-'));
  mkdirSync(work, { recursive: true });
  const dirs = { posts: join(work, 'posts'), postsS: join(work, 'posts-simplified'), work };
  try {
    const lucene = flags['no-lucene'] ? 'turned off (--no-lucene)' : luceneMissing();
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB; node ${process.version}; ` +
        `sizes ${SIZES.join(', ')}; seed ${SEED}; work folder ${work}; Lucene: ${lucene ?? 'yes'}`,
    );
    log('reading the corpus …');
    const material = await readMaterial(CORPUS_FOLDERS);
    console.log(
      `material: ${int(material.posts)} corpus posts (${material.refused} refused by the ingest), ${int(material.paragraphs.length)} distinct paragraphs; ` +
        `${(material.copyRate * 100).toFixed(2)}% of the posts are wire copies of an earlier one (src/index/near-duplicates.ts), and so are that share of new posts`,
    );
    const forms = [...readQueries(PUBLIC_QUERIES), ...readQueries(TRAIN_QUERIES)].flatMap((q) => [
      q.q,
      q.q_alt,
    ]);
    let queriesS: string | null = null;
    if (!lucene) {
      queriesS = join(work, 'queries-simplified.txt');
      writeFileSync(queriesS, toSimplified(forms).join('\n') + '\n');
    }
    // Posts for the write API: another seed, numbered after any archive.
    const writePosts = [
      ...generatePosts(material, WRITES + BURST, { seed: SEED + 1, from: 10_000_000 }),
    ];
    const archive = generatePosts(material, SIZES[SIZES.length - 1], { seed: SEED });
    let have = 0;
    const rows: Row[] = [];
    for (const size of SIZES) {
      const skip = predictedToFail(size, rows);
      if (skip) {
        console.log(`\n== ${int(size)} posts == ${skip}`);
        rows.push({ size, stopped: skip });
        break;
      }
      const t = performance.now();
      let bytes = 0;
      let copies = 0;
      while (have < size) {
        const chunk: SyntheticPost[] = [];
        for (; chunk.length < CHUNK && have < size; have++) chunk.push(archive.next().value!);
        const files = chunk.map((p): [string, string] => [p.path, postFile(p)]);
        bytes += writeFiles(dirs.posts, files);
        copies += chunk.filter((p) => p.copyOf >= 0).length;
        if (queriesS) {
          const converted = toSimplified(files.map(([, text]) => text));
          writeFiles(
            dirs.postsS,
            files.map(([path], i): [string, string] => [path, converted[i]]),
          );
        }
      }
      console.log(
        `\n== ${int(size)} posts == (${int(size - (rows.at(-1)?.size ?? 0))} added in ${((performance.now() - t) / 1000).toFixed(1)} s: ${mb(bytes)}, ${int(copies)} wire copies)`,
      );
      const row = await measureSize(size, dirs, forms, queriesS, writePosts);
      rows.push(row);
      if (row.stopped) {
        console.log('larger sizes skipped');
        break;
      }
    }
    console.log(`\n${table(rows)}`);
  } finally {
    if (!flags.keep && !flags.work) rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
