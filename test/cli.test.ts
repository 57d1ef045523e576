import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SEEDS, EXAMPLE_ID, tempDir } from './helpers.js';

const CLI = join(REPO, 'dist', 'src', 'cli.js');

test('cli index builds an index, reports the broken post by name, and prints a summary', () => {
  const out = tempDir('zh-news-cli-');
  const r = spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^indexed \d+ posts, 1 errors, [\d.]+ s, \d+ posts\/s, [\d.]+ M chars\/s/m,
  );
  assert.match(r.stderr, /error: .*2021-03-01-broken-front-matter\.md: /);

  const s = spawnSync(process.execPath, [CLI, 'search', '數位身分證', '--index', out, '--json'], {
    encoding: 'utf8',
  });
  assert.equal(s.status, 0, s.stderr);
  const result = JSON.parse(s.stdout);
  assert.ok(result.hits.slice(0, 3).some((h: { id: string }) => h.id === EXAMPLE_ID));
});

test('cli search on a missing index fails with a clear message', () => {
  const empty = tempDir('zh-news-cli-');
  const r = spawnSync(process.execPath, [CLI, 'search', 'x', '--index', empty], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no index in/);
});

test('cli serve answers /health and /search on the given port', async () => {
  const out = tempDir('zh-news-cli-');
  assert.equal(spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', out]).status, 0);
  const child = spawn(process.execPath, [CLI, 'serve', '--index', out, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  try {
    const port = await new Promise<number>((ok, fail) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        const m = /"port":(\d+)/.exec(buf);
        if (m) ok(Number(m[1]));
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code}`)));
    });
    let health: { status: string; documents: number } | undefined;
    for (let i = 0; i < 100 && health?.status !== 'ok'; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      health = await res.json();
      if (health?.status !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(health?.status, 'ok');
    assert.ok(health!.documents > 10);
    const res = await fetch(
      `http://127.0.0.1:${port}/search?q=${encodeURIComponent('数位身分证')}`,
    );
    const body = await res.json();
    assert.ok(body.hits.some((h: { id: string }) => h.id === EXAMPLE_ID));
  } finally {
    child.kill('SIGTERM');
  }
});

/** Start `serve` with extra arguments; resolves with the base URL once the index is ready. */
function serveChild(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
  });
  const lines: { msg: string; port?: number }[] = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  const waitFor = (msg: string) =>
    new Promise<void>((ok, fail) => {
      const t = setInterval(() => {
        if (lines.some((l) => l.msg === msg)) {
          clearInterval(t);
          ok();
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(t);
        if (!lines.some((l) => l.msg === msg))
          fail(new Error(`serve exited ${code} before "${msg}"`));
      });
    });
  const base = () => `http://127.0.0.1:${lines.find((l) => l.port)!.port}`;
  return { child, lines, waitFor, base };
}

test('serve --watch follows the folder; SIGTERM finishes the write in flight, snapshots, exits 0', {
  timeout: 60_000,
}, async () => {
  const root = tempDir('zh-news-cli-watch-');
  const folder = join(root, 'posts');
  const indexDir = join(root, 'index');
  cpSync(SEEDS, folder, { recursive: true });
  const env = { WRITE_KEY: 'k' };
  const s = serveChild(['--index', indexDir, '--watch', folder], env);
  try {
    await s.waitFor('watching folder');
    // One server per index directory.
    const second = spawnSync(process.execPath, [CLI, 'serve', '--index', indexDir, '--port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /in use by process \d+/);
    writeFileSync(
      join(folder, 'watched.md'),
      '---\ntitle: 雲林農博開幕\n---\n<p>雲林農業博覽會今天開幕。</p>\n',
    );
    const found = async () =>
      (
        (await (await fetch(`${s.base()}/search?q=${encodeURIComponent('農博')}`)).json()) as {
          hits: { id: string }[];
        }
      ).hits.some((h) => h.id === 'watched');
    for (let i = 0; i < 200 && !(await found()); i++) await new Promise((ok) => setTimeout(ok, 50));
    assert.ok(await found(), 'the new file became searchable');

    // A large bulk write, then SIGTERM while it is being applied.
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        id: `bulk/${i}`,
        title: `停機前批次${i}`,
        body: `第${i}篇：嘉義燈會。`.repeat(40),
        format: 'text',
      }),
    ).join('\n');
    const pending = fetch(`${s.base()}/documents/_bulk`, {
      method: 'POST',
      body: lines,
      headers: { 'content-type': 'application/x-ndjson', authorization: 'Bearer k' },
    });
    await new Promise((ok) => setTimeout(ok, 30));
    s.child.kill('SIGTERM');
    const r = await pending;
    assert.equal(r.status, 200);
    const out = (await r.json()) as { errors: boolean; items: { status: number }[] };
    assert.equal(out.errors, false);
    assert.equal(out.items.length, 300);
    const code = await new Promise((ok) => s.child.once('exit', ok));
    assert.equal(code, 0);
    assert.ok(
      s.lines.some((l) => l.msg === 'index snapshot saved'),
      'a snapshot was written on the way out',
    );
    assert.ok(s.lines.some((l) => l.msg === 'stopped'));
  } finally {
    s.child.kill('SIGKILL');
  }
  // Restarted (no watch): everything is there, and nothing needed replaying.
  const again = serveChild(['--index', indexDir], env);
  try {
    await again.waitFor('index ready');
    assert.ok(!again.lines.some((l) => l.msg === 'write-ahead log replayed'));
    const doc = await fetch(`${again.base()}/documents/bulk/299`);
    assert.equal(doc.status, 200);
    assert.equal(((await doc.json()) as { title: string }).title, '停機前批次299');
    assert.equal((await fetch(`${again.base()}/documents/watched`)).status, 200);
  } finally {
    again.child.kill('SIGKILL');
  }
});
