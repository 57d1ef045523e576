/**
 * Acknowledged writes survive kill -9. The real server runs as a child process; the test writes
 * (puts, updates, deletes, bulk) from several clients at once, kills the server with SIGKILL at
 * a random moment, restarts it, and checks that every acknowledged change is there, whole, and
 * searchable — over 50 rounds. A small log threshold makes commits frequent, and a small
 * write buffer and merge factor make flushes and segment merges frequent, so kills also land
 * while a commit is being written and while segments are merged.
 *
 * Each restart loads jieba's dictionary; with the default one that is 2–3 s, so the server runs
 * with a small dictionary (JIEBA_DICT, the 20,000 most frequent words of jieba's own): the write
 * path does not depend on the dictionary. Two lanes with their own index run side by side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { REPO, SEEDS, tempDir } from './helpers.js';

const ROUNDS = 50;
const LANES = 2;
const KEY = 'durability-key';
const CLI = join(REPO, 'dist', 'src', 'cli.js');
const require = createRequire(import.meta.url);

/** What an id may hold after a restart: its last acknowledged version, or what was in flight. */
type Version = { title: string; body: string } | null;
interface Expect {
  allowed: Version[];
  /** Changed since the last check. */
  fresh?: boolean;
}

function smallDictionary(dir: string): string {
  const jieba = require('nodejieba') as { DEFAULT_DICT: string };
  const lines = readFileSync(jieba.DEFAULT_DICT, 'utf8').split('\n').filter(Boolean);
  const top = lines
    .sort((a, b) => Number(b.split(' ')[1]) - Number(a.split(' ')[1]))
    .slice(0, 20_000);
  const file = join(dir, 'small.dict.utf8');
  writeFileSync(file, top.join('\n') + '\n');
  return file;
}

interface Running {
  child: ChildProcess;
  base: string;
  snapshots: () => number;
  merges: () => number;
}

function start(indexDir: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'serve', '--index', indexDir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let snapshots = 0;
  let merges = 0;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok, fail) => {
    let port = 0;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const rec = JSON.parse(line) as { msg: string; port?: number };
      if (rec.msg.startsWith('listening on')) port = rec.port!;
      if (rec.msg === 'index committed') snapshots++;
      if (rec.msg === 'segments merged') merges++;
      if (rec.msg === 'index ready')
        ok({
          child,
          base: `http://127.0.0.1:${port}`,
          snapshots: () => snapshots,
          merges: () => merges,
        });
    });
    child.once('exit', (code) =>
      fail(new Error(`server exited with ${code} before it was ready: ${stderr}`)),
    );
  });
}

const auth = { authorization: `Bearer ${KEY}` };

async function lane(
  lane: number,
  dict: string,
  dir: string,
): Promise<{ acked: number; snapshots: number; merges: number; rounds: number }> {
  const indexDir = join(dir, `index-${lane}`);
  const env = {
    ...process.env,
    JIEBA_DICT: dict,
    WRITE_KEY: KEY,
    WAL_COMPACT_BYTES: '20000',
    // Small segments merged three at a time: kills also land during flushes and merges.
    FLUSH_DOCS: '10',
    FLUSH_MS: '100',
    MERGE_FACTOR: '3',
    LOG_LEVEL: 'info',
    // kill -9 of one process (the cluster's writer path is tested in cluster.test.ts).
    WORKERS: '1',
  };
  const built = spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', indexDir], {
    env,
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, built.stderr);
  const seedCount = Number(/^indexed (\d+) posts/m.exec(built.stdout)![1]);
  const expected = new Map<string, Expect>();
  let serial = 0;
  let acked = 0;
  let snapshots = 0;
  let merges = 0;

  for (let round = 0; round < ROUNDS / LANES; round++) {
    const server = await start(indexDir, env);
    try {
      await verify(server.base, expected, round, seedCount, false);
    } catch (e) {
      server.child.kill('SIGKILL');
      throw e;
    }
    // Writers run until the kill; each records what it sent before sending, what was acked after.
    let killed = false;
    const writer = async () => {
      while (!killed) {
        const n = ++serial;
        const kind = n % 7 === 0 ? 'delete' : n % 5 === 0 ? 'bulk' : n % 3 === 0 ? 'update' : 'put';
        const known = [...expected.entries()]
          .filter(([, e]) => e.allowed.length === 1 && e.allowed[0] !== null)
          .map(([id]) => id);
        try {
          if ((kind === 'delete' || kind === 'update') && known.length) {
            const id = known[n % known.length];
            const e = expected.get(id)!;
            const next: Version =
              kind === 'delete'
                ? null
                : {
                    title: `更新${n}：颱風動態`,
                    body: `第${n}版。中央氣象署表示，颱風${lane}號${n}持續增強。`,
                  };
            e.allowed.push(next);
            const r =
              next === null
                ? await fetch(`${server.base}/documents/${id}`, { method: 'DELETE', headers: auth })
                : await fetch(`${server.base}/documents/${id}`, {
                    method: 'PUT',
                    body: JSON.stringify({ ...next, format: 'text' }),
                    headers: { 'content-type': 'application/json', ...auth },
                  });
            e.fresh = true;
            if (r.ok) e.allowed = [next];
          } else if (kind === 'bulk') {
            const items = [0, 1, 2].map((k) => ({
              id: `d${lane}/bulk-${n}-${k}`,
              title: `批次${n}之${k}：地方新聞`,
              body: `這是批次${n}的第${k}篇。標記詞bk${lane}x${n}x${k}。`,
            }));
            for (const it of items)
              expected.set(it.id, {
                allowed: [null, { title: it.title, body: it.body }],
                fresh: true,
              });
            const r = await fetch(`${server.base}/documents/_bulk`, {
              method: 'POST',
              body: items.map((it) => JSON.stringify({ ...it, format: 'text' })).join('\n'),
              headers: { 'content-type': 'application/x-ndjson', ...auth },
            });
            if (r.ok) {
              const out = (await r.json()) as { items: { id: string; status: number }[] };
              for (const it of out.items)
                if (it.status === 201) expected.get(it.id)!.allowed.shift();
              acked += 3;
            }
          } else {
            const id = `d${lane}/put-${n}`;
            const v = {
              title: `新聞${n}：高鐵延伸`,
              body: `第${n}篇報導。標記詞pt${lane}x${n}，交通部今天說明。`.repeat(1 + (n % 4)),
            };
            expected.set(id, { allowed: [null, v], fresh: true });
            const r = await fetch(`${server.base}/documents/${id}`, {
              method: 'PUT',
              body: JSON.stringify({ ...v, format: 'text' }),
              headers: { 'content-type': 'application/json', ...auth },
            });
            if (r.status === 201) {
              expected.get(id)!.allowed = [v];
              acked++;
            }
          }
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const writers = [writer(), writer(), writer()];
    await new Promise((ok) => setTimeout(ok, 20 + Math.random() * 200));
    killed = true;
    server.child.kill('SIGKILL');
    await new Promise((ok) => server.child.once('exit', ok));
    await Promise.all(writers);
    snapshots += server.snapshots();
    merges += server.merges();
  }
  // A last start without WRITE_KEY (the log is replayed all the same): everything acknowledged
  // is there; then a clean SIGTERM stop.
  const server = await start(indexDir, { ...env, WRITE_KEY: '' });
  await verify(server.base, expected, -1, seedCount, true);
  server.child.kill('SIGTERM');
  const code = await new Promise((ok) => server.child.once('exit', ok));
  assert.equal(code, 0, 'SIGTERM stops the server cleanly');
  return {
    acked,
    snapshots: snapshots + server.snapshots(),
    merges: merges + server.merges(),
    rounds: ROUNDS / LANES,
  };
}

/**
 * Every id touched since the last check holds one of its allowed versions, whole; the document
 * count is exactly what the acknowledged writes leave (so nothing older went missing either);
 * the newest are searchable. `full` checks every id.
 */
async function verify(
  base: string,
  expected: Map<string, Expect>,
  round: number,
  seedCount: number,
  full: boolean,
): Promise<void> {
  for (const [id, e] of expected) {
    if (!full && e.allowed.length === 1 && !e.fresh) continue;
    const r = await fetch(`${base}/documents/${id}`);
    let actual: Version = null;
    if (r.status === 200) {
      const doc = (await r.json()) as { title: string; body: string };
      actual = { title: doc.title, body: doc.body };
    } else assert.equal(r.status, 404, `round ${round}: GET ${id} → ${r.status}`);
    const match = e.allowed.find((v) =>
      v === null
        ? actual === null
        : actual !== null && v.title === actual.title && v.body === actual.body,
    );
    assert.ok(
      match !== undefined,
      `round ${round}: ${id} holds ${JSON.stringify(actual)}, expected one of ${JSON.stringify(e.allowed)}`,
    );
    e.allowed = [match ?? null];
    e.fresh = false;
  }
  const health = (await (await fetch(`${base}/health`)).json()) as { documents: number };
  const live = [...expected.values()].filter((e) => e.allowed[0] !== null).length;
  assert.equal(health.documents, seedCount + live, `round ${round}: document count`);
  // Searchable as well as stored: look a few up by a word of their title.
  const present = [...expected].filter(([, e]) => e.allowed[0] !== null).slice(-5);
  for (const [id, e] of present) {
    const q = e.allowed[0]!.title.split('：')[0];
    const hits = (
      (await (await fetch(`${base}/search?q=${encodeURIComponent(q)}&size=100`)).json()) as {
        hits: { id: string }[];
      }
    ).hits.map((h) => h.id);
    assert.ok(hits.includes(id), `round ${round}: ${id} not found by ${q}`);
  }
}

test(`acknowledged writes survive kill -9 at random moments (${ROUNDS} rounds)`, {
  timeout: 480_000,
}, async () => {
  const dir = tempDir('zh-news-durability-');
  const dict = smallDictionary(dir);
  const results = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, dict, dir)));
  const acked = results.reduce((s, r) => s + r.acked, 0);
  const snapshots = results.reduce((s, r) => s + r.snapshots, 0);
  assert.equal(
    results.reduce((s, r) => s + r.rounds, 0),
    ROUNDS,
  );
  assert.ok(
    acked >= ROUNDS,
    `only ${acked} writes were acknowledged: the kills came too early to test anything`,
  );
  assert.ok(
    snapshots >= 5,
    `only ${snapshots} commits were written: commits were barely exercised`,
  );
  const merges = results.reduce((s, r) => s + r.merges, 0);
  process.stderr.write(
    `kill -9 test: ${acked} writes acknowledged, ${snapshots} commits, ${merges} merges\n`,
  );
  assert.ok(merges >= 5, `only ${merges} segment merges ran: merges were barely exercised`);
});
