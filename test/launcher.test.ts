/**
 * The launchers in bin/: tuned-node.js starts node with the malloc tunables unless some are set,
 * and ends the way its child ends; zh-news-search.js (npm start, npm run cli, npx, Docker) runs
 * the CLI that way and passes SIGTERM on, so the service still shuts down cleanly behind it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveIndex } from '../src/index/store.js';
import { REPO, seedsIndex, tempDir } from './helpers.js';

const TUNED = join(REPO, 'bin', 'tuned-node.js');
const LAUNCHER = join(REPO, 'bin', 'zh-news-search.js');

/** This environment without GLIBC_TUNABLES (npm test itself runs with them). */
function untuned(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GLIBC_TUNABLES;
  return { ...env, ...extra };
}

const run = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 60_000 });

test('tuned-node sets the tunables when unset, keeps a value already set, passes the exit code', () => {
  const printEnv = ['-e', 'process.stdout.write(String(process.env.GLIBC_TUNABLES))'];
  const set = run([TUNED, ...printEnv], untuned());
  assert.equal(set.status, 0, set.stderr);
  assert.match(set.stdout, /^glibc\.malloc\.hugetlb=1:glibc\.malloc\.arena_max=1:/);
  const kept = run([TUNED, ...printEnv], untuned({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }));
  assert.equal(kept.stdout, 'glibc.malloc.arena_max=2');
  assert.equal(run([TUNED, '-e', 'process.exit(7)'], untuned()).status, 7);
  const killed = run([TUNED, '-e', "process.kill(process.pid, 'SIGTERM')"], untuned());
  assert.equal(killed.signal, 'SIGTERM', 'a child killed by a signal: the launcher too');
});

test('package.json exposes the launcher as the zh-news-search command', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  assert.equal(pkg.bin['zh-news-search'], 'bin/zh-news-search.js');
  assert.match(readFileSync(LAUNCHER, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  for (const script of ['start', 'cli'])
    assert.match(pkg.scripts[script], /^node bin\/zh-news-search\.js\b/);
  for (const script of ['test', 'bench', 'eval'])
    assert.match(pkg.scripts[script], /^node bin\/tuned-node\.js /);
  assert.doesNotMatch(JSON.stringify(pkg.scripts), /GLIBC_TUNABLES/);
  const usage = run([LAUNCHER, 'no-such-command'], untuned());
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /usage: cli <start\|index\|serve\|search>/);
});

test('the launcher serves, and SIGTERM sent to it shuts the service down cleanly', async () => {
  const dir = tempDir('zh-news-launcher-');
  saveIndex((await seedsIndex()).index, dir);
  const child = spawn(process.execPath, [LAUNCHER, 'serve', '--index', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: untuned({ LOG_LEVEL: 'info' }),
  });
  let out = '';
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  try {
    const port = await new Promise<number>((ok, fail) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /"port":(\d+)/.exec(out);
        if (m) ok(Number(m[1]));
      });
      void exited.then((code) => fail(new Error(`exited ${code}: ${out}`)));
    });
    let status = '';
    for (let i = 0; i < 200 && status !== 'ok'; i++) {
      status = (
        (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string }
      ).status;
      if (status !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'ok');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, out);
  assert.match(out, /"msg":"stopped"/, 'the service ran its shutdown');
});
