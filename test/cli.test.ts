import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO, SEEDS, EXAMPLE_ID } from './helpers.js';

const CLI = join(REPO, 'dist', 'src', 'cli.js');

test('cli index builds an index, reports the broken post by name, and prints a summary', () => {
  const out = mkdtempSync(join(tmpdir(), 'zh-news-cli-'));
  const r = spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^indexed \d+ posts, 1 errors, [\d.]+ s, \d+ posts\/s, [\d.]+ M chars\/s/m);
  assert.match(r.stderr, /error: .*2021-03-01-broken-front-matter\.md: /);

  const s = spawnSync(process.execPath, [CLI, 'search', '數位身分證', '--index', out, '--json'], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);
  const result = JSON.parse(s.stdout);
  assert.ok(result.hits.slice(0, 3).some((h: { id: string }) => h.id === EXAMPLE_ID));
});

test('cli search on a missing index fails with a clear message', () => {
  const empty = mkdtempSync(join(tmpdir(), 'zh-news-cli-'));
  const r = spawnSync(process.execPath, [CLI, 'search', 'x', '--index', empty], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no index in/);
});

test('cli serve answers /health and /search on the given port', async () => {
  const out = mkdtempSync(join(tmpdir(), 'zh-news-cli-'));
  assert.equal(spawnSync(process.execPath, [CLI, 'index', SEEDS, '--out', out]).status, 0);
  const child = spawn(process.execPath, [CLI, 'serve', '--index', out, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } });
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
    const res = await fetch(`http://127.0.0.1:${port}/search?q=${encodeURIComponent('数位身分证')}`);
    const body = await res.json();
    assert.ok(body.hits.some((h: { id: string }) => h.id === EXAMPLE_ID));
  } finally {
    child.kill('SIGTERM');
  }
});
