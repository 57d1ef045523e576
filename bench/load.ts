/**
 * `npm run bench:load`: load and soak against the real CLI serving the corpus index.
 *
 * For each WORKERS value (`--workers`, default 1,2), on a fresh copy of the index: 5 s
 * of warm-up, then `--seconds` (default 60) at 32 connections of mixed requests — 80%
 * /search over the public queries (some with facets, a later page or date order), 20% /suggest
 * over their first one or two characters — while one more client PUTs an article every
 * `--write-ms` ms (default 5000, a busy newsroom; 0: no writes; a pool of 200 ids, so creates and
 * updates). Prints requests/s, latency p50/p99/max, errors and
 * non-2xx, the writes' answer times, the server processes' RSS after warm-up and at the end
 * (growth over the run would show a leak), and the CPU the servers and this process (the load
 * generator) used, in cores: on a machine of two cores, what two workers can have.
 * Then, as `npm run bench` does, one process's /search against a bare Express route.
 *
 * Rate limits are off (every request comes from one address); everything else is as configured
 * by default, request logs included (written to a pipe this process drains).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { cpus, tmpdir } from 'node:os';
import autocannon from 'autocannon';
import { environmentWith } from '../src/config.js';
import {
  PUBLIC_QUERIES,
  REPO,
  corpusIndex,
  percentile,
  readQueries,
  sharedAvailable,
} from './shared.js';

const KEY = 'bench-load-key';
const CLI = join(REPO, 'dist', 'src', 'cli.js');
const CONNECTIONS = 32;

function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** `pid` and its descendants (the cluster's workers), from `ps`, with the columns asked for. */
function processTree(pid: number, columns: string): { tree: Set<number>; rows: number[][] } {
  const ps = spawnSync('ps', ['-eo', `pid=,ppid=${columns}`], { encoding: 'utf8' }).stdout;
  const rows = ps
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of rows)
      if (tree.has(pp) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
  }
  return { tree, rows };
}

/** Resident memory of a process and its children, in MB. */
function treeRssMb(pid: number): number {
  const { tree, rows } = processTree(pid, ',rss=');
  return rows.filter(([p]) => tree.has(p)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

/** CPU seconds (user + system) the process tree of `pid` has used so far (Linux /proc). */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid, '').tree) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

/** Serve `indexDir` with WORKERS=n; resolves once n processes listen and the index is ready. */
async function startServer(
  indexDir: string,
  workers: number,
): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--index', indexDir, '--port', String(port)],
    {
      env: environmentWith({
        WORKERS: String(workers),
        WRITE_KEY: KEY,
        RATE_LIMIT_READ: '0',
        RATE_LIMIT_WRITE: '0',
      }),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((ok, fail) => {
    let listening = 0;
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      // Count the "listening" lines, whole lines only (a line cut between two chunks must not
      // count twice); the rest (request logs) is drained unread.
      const lines = (partial + d.toString('latin1')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.includes('"msg":"listening on')) listening++;
      if (listening >= workers) ok();
    });
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  // One process listens while it still loads the index: wait until it answers /ready.
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    const ready = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { child, base };
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    child.once('exit', () => ok());
    child.kill('SIGTERM');
  });
}

interface Mix {
  next(): autocannon.Request;
}

function requestMix(queries: string[]): Mix {
  let i = 0;
  const prefixes = queries.flatMap((q) => [
    [...q].slice(0, 1).join(''),
    [...q].slice(0, 2).join(''),
  ]);
  const extras = ['', '&facets=source,month', '&page=2', '&sort=date', '', '', ''];
  return {
    next() {
      i++;
      if (i % 5 === 1)
        return {
          method: 'GET',
          path: `/suggest?q=${encodeURIComponent(prefixes[i % prefixes.length])}`,
        };
      return {
        method: 'GET',
        path: `/search?q=${encodeURIComponent(queries[i % queries.length])}${extras[i % extras.length]}`,
      };
    },
  };
}

/** One article every `everyMs` until `stop()`: the answer times (ms) and failures. */
function writer(base: string, queries: string[], everyMs: number) {
  let stopped = false;
  let n = 0;
  const times: number[] = [];
  let failures = 0;
  const done = (async () => {
    while (!stopped && everyMs > 0) {
      const next = performance.now() + everyMs;
      n++;
      const started = performance.now();
      try {
        const res = await fetch(
          `${base}/documents/${encodeURIComponent(`bench-load/${n % 200}`)}`,
          {
            method: 'PUT',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              title: `負載測試 ${n}`,
              body: `第 ${n} 篇負載測試文章：${queries[n % queries.length]}。`.repeat(20),
              format: 'text',
              date: new Date().toISOString(),
            }),
            signal: AbortSignal.timeout(30_000),
          },
        );
        if (res.ok) await res.arrayBuffer();
        if (res.ok) times.push(performance.now() - started);
        else {
          failures++;
          console.error(`write answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
        }
      } catch {
        failures++;
      }
      await new Promise((ok) => setTimeout(ok, Math.max(0, next - performance.now())));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { times: times.sort((a, b) => a - b), failures };
    },
  };
}

async function load(base: string, seconds: number, mix: Mix): Promise<autocannon.Result> {
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({ ...req, ...mix.next() }),
      },
    ],
  });
}

const ms = (x: number) => `${x} ms`;

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      'write-ms': { type: 'string', default: '5000' },
      workers: { type: 'string', default: '1,2' },
    },
  });
  const seconds = Number(values.seconds);
  const writeEvery = Number(values['write-ms']);
  const workerCounts = values.workers.split(',').map(Number);
  if (!(seconds > 0) || !(writeEvery >= 0) || !workerCounts.every((n) => n >= 1))
    throw new Error('usage: bench:load [--seconds 60] [--write-ms 5000 (0: none)] [--workers 1,2]');
  const { dir: cached } = await corpusIndex(false);
  const queries = readQueries(PUBLIC_QUERIES).flatMap((q) => [q.q, q.q_alt]);
  const rates: Record<number, number> = {};
  for (const workers of workerCounts) {
    const dir = mkdtempSync(join(tmpdir(), 'zh-news-load-'));
    cpSync(cached, dir, { recursive: true });
    const { child, base } = await startServer(dir, workers);
    try {
      const warm = writer(base, queries, writeEvery);
      await load(base, 5, requestMix(queries)); // warm-up: caches, JIT, first merges
      await warm.stop();
      const rssStart = treeRssMb(child.pid!);
      // Where the two cores go: the servers' processes, and this one (autocannon, the writer).
      const serverCpu = treeCpuSeconds(child.pid!);
      const ownCpu = process.cpuUsage();
      const started = performance.now();
      const writes = writer(base, queries, writeEvery);
      const r = await load(base, seconds, requestMix(queries));
      // Read at once: the writer's stop waits out its pause between writes.
      const elapsed = (performance.now() - started) / 1000;
      const serverUsed = treeCpuSeconds(child.pid!) - serverCpu;
      const own = process.cpuUsage(ownCpu);
      const w = await writes.stop();
      const cores = (used: number) => (used / elapsed).toFixed(2);
      const serverCores = cores(serverUsed);
      const generatorCores = cores((own.user + own.system) / 1e6);
      const rssEnd = treeRssMb(child.pid!);
      rates[workers] = r.requests.average;
      const fivexx = r['5xx'] ?? 0;
      const byStatus = Object.entries(r.statusCodeStats ?? {})
        .map(([status, v]) => `${status}: ${v.count ?? 0}`)
        .join(', ');
      console.log(
        `WORKERS=${workers}: ${Math.round(r.requests.average)} req/s over ${seconds} s at ${CONNECTIONS} connections ` +
          `(${r.requests.total} requests); latency p50 ${ms(r.latency.p50)}, p99 ${ms(r.latency.p99)}, max ${ms(r.latency.max)}; ` +
          `errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx} (5xx ${fivexx}; by status ${byStatus}); ` +
          `writes ${w.times.length} answered (p50 ${ms(Math.round(percentile(w.times, 0.5)))}, max ${ms(Math.round(w.times.at(-1) ?? NaN))}), ${w.failures} failed; ` +
          `RSS ${rssStart.toFixed(0)} MB after warm-up → ${rssEnd.toFixed(0)} MB at the end; ` +
          `CPU: servers ${serverCores} cores, load generator ${generatorCores} cores (of ${cpus().length})`,
      );
    } finally {
      await stopServer(child);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (rates[1] && rates[2])
    console.log(`WORKERS=2 / WORKERS=1: ${(rates[2] / rates[1]).toFixed(2)}× requests/s`);

  // One process: /search (cache on and off) against a bare Express JSON route, same setup.
  const target = spawn(process.execPath, [join(REPO, 'dist', 'bench', 'http-target.js'), cached], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const ports = await new Promise<Record<string, number>>((ok, fail) => {
      target.stdout!.once('data', (d) => ok(JSON.parse(String(d))));
      target.once('exit', (code) => fail(new Error(`http target exited ${code}`)));
    });
    const searches = queries.map((q) => `/search?q=${encodeURIComponent(q)}&size=10`);
    // The connections share one pass over the paths (each starting its own from the first
    // would send only the first few hundred queries in 10 s).
    const cycle = (paths: string[]) => {
      let i = 0;
      return [
        {
          setupRequest: (req: autocannon.Request) => ({ ...req, path: paths[i++ % paths.length] }),
        },
      ];
    };
    const run = (port: number, paths: string[], amount?: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        ...(amount ? { amount } : { duration: 10 }),
        requests: cycle(paths),
      });
    // Warm-up: JIT, and every query once so that the cached figure is of a warm result cache.
    await run(ports.bare, ['/bare'], 5_000);
    const bare = await run(ports.bare, ['/bare']);
    await run(ports.search, searches, searches.length);
    const cachedRun = await run(ports.search, searches);
    await run(ports.nocache, searches, 1_000);
    const uncached = await run(ports.nocache, searches);
    const ratio = (x: autocannon.Result) => (x.requests.average / bare.requests.average).toFixed(2);
    console.log(
      `one process, 10 s each: bare route ${Math.round(bare.requests.average)} req/s; ` +
        `/search ${Math.round(cachedRun.requests.average)} req/s (${ratio(cachedRun)} of bare; result cache on and warm, ${queries.length} distinct queries) ` +
        `and ${Math.round(uncached.requests.average)} req/s (${ratio(uncached)}; cache off)`,
    );
  } finally {
    target.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
