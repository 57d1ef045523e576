/**
 * WORKERS=2 (server/cluster.ts): the real CLI serving from two processes, one writer and one
 * reader, over one index directory. Connections are spread over both; a write is answered only
 * once both serve it, whichever process a later request lands on; both answer alike; a reader that dies is
 * replaced and catches up; SIGTERM stops everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO, SEEDS, tempDir } from './helpers.js';

const CLI = join(REPO, 'dist', 'src', 'cli.js');
const KEY = 'cluster-key';

interface Line {
  msg: string;
  port?: number;
  role?: string;
  pid: number;
  reqId?: string;
}

/** One request on a connection of its own (so the primary may hand it to either process). */
function fresh(
  url: string,
  method = 'GET',
  body?: string,
): Promise<{ status: number; id: string; json: any }> {
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers:
          method === 'GET'
            ? {}
            : { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          ok({
            status: res.statusCode!,
            id: String(res.headers['x-request-id']),
            json: text ? JSON.parse(text) : null,
          }),
        );
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

test('WORKERS=2: reads spread over both processes, writes visible on both when answered', {
  timeout: 120_000,
}, async () => {
  const indexDir = join(tempDir('zh-news-cluster-'), 'index');
  assert.equal(spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', indexDir]).status, 0);
  const child = spawn(process.execPath, [CLI, 'serve', '--index', indexDir, '--port', '0'], {
    env: { ...process.env, WORKERS: '2', WRITE_KEY: KEY, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
  const waitFor = async (what: (l: Line[]) => boolean, label: string) => {
    for (let i = 0; i < 600 && !what(lines); i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.ok(what(lines), `waited 30 s for ${label}`);
  };
  const listening = (role: string) => (ls: Line[]) =>
    ls.filter((l) => l.msg.startsWith('listening on') && l.role === role).length;
  try {
    await waitFor((ls) => listening('writer')(ls) >= 1 && listening('reader')(ls) >= 1, 'both');
    const port = lines.find((l) => l.port)!.port!;
    const base = `http://127.0.0.1:${port}`;
    const roleOf = async (id: string) => {
      await waitFor((ls) => ls.some((l) => l.reqId === id), `the log line of ${id}`);
      return lines.find((l) => l.reqId === id)!.role;
    };
    const search = (q: string) => fresh(`${base}/search?q=${encodeURIComponent(q)}`);

    const roles = new Set<string | undefined>();
    for (let i = 0; i < 12; i++) roles.add(await roleOf((await search('數位身分證')).id));
    assert.deepEqual([...roles].sort(), ['reader', 'writer']);

    // A write: answered once both processes serve it, so every search after it finds it.
    const doc = JSON.stringify({
      title: '叢集測試',
      body: '兩個行程共用一份索引。',
      format: 'text',
    });
    const put = await fresh(`${base}/documents/cluster-test`, 'PUT', doc);
    assert.equal(put.status, 201);
    for (let i = 0; i < 10; i++) {
      const r = await search('叢集測試');
      assert.deepEqual(
        r.json.hits.map((h: { id: string }) => h.id),
        ['cluster-test'],
        `search ${i} on the ${await roleOf(r.id)}`,
      );
    }
    // Both processes answer alike (the reader serves the writer's committed segments plus the
    // log after them): the same hits, order and scores, whichever process serves the request.
    for (const q of ['數位身分證', '叢集測試', '資安 伺服器', '紐西蘭大選']) {
      const byRole = new Map<string | undefined, unknown>();
      for (let i = 0; i < 12 && byRole.size < 2; i++) {
        const r = await search(q);
        byRole.set(
          await roleOf(r.id),
          r.json.hits.map((h: { id: string; score: number }) => [h.id, h.score]),
        );
      }
      assert.equal(byRole.size, 2, `${q} answered by both processes`);
      assert.deepEqual(byRole.get('reader'), byRole.get('writer'), q);
    }
    const del = await fresh(`${base}/documents/cluster-test`, 'DELETE');
    assert.equal(del.status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await search('叢集測試')).json.total, 0);
    await fresh(`${base}/documents/cluster-test`, 'PUT', doc);

    // /metrics on either process: both processes' requests, summed.
    const metrics = await new Promise<string>((ok, fail) =>
      request(`${base}/metrics`, { agent: false }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c)).on('end', () => ok(t));
      })
        .on('error', fail)
        .end(),
    );
    const searches = /http_requests_total\{method="GET",route="\/search",status="200"\} (\d+)/.exec(
      metrics,
    );
    assert.ok(searches && Number(searches[1]) >= 32, metrics.slice(0, 2000));
    assert.match(metrics, /index_commits_total [1-9]/);

    // A reader killed: the primary starts another, which opens the index with every write.
    const reader = lines.find((l) => l.msg.startsWith('listening on') && l.role === 'reader')!;
    process.kill(reader.pid, 'SIGKILL');
    await waitFor((ls) => listening('reader')(ls) >= 2, 'a new reader');
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 12; i++) {
      const r = await search('叢集測試');
      assert.equal(r.json.total, 1);
      seen.add(await roleOf(r.id));
    }
    assert.ok(seen.has('reader'));

    child.kill('SIGTERM');
    const code = await new Promise((ok) => child.once('exit', ok));
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
