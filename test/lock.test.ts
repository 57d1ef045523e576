/**
 * The index directory lock is the kernel's: a second holder is refused with the owner's pid,
 * and a holder killed with SIGKILL releases it at once, even before it is reaped (a zombie) and
 * whatever process later gets its pid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { lockIndexDir } from '../src/index/wal.js';
import { SearchError } from '../src/errors.js';
import { REPO, tempDir } from './helpers.js';

test('a second holder is refused; the lock is released when its holder is killed', async () => {
  const dir = tempDir('zh-news-lock-');
  const wal = join(REPO, 'dist', 'src', 'index', 'wal.js');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { lockIndexDir } = await import(${JSON.stringify(wal)}); lockIndexDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((ok) => child.stdout!.once('data', () => ok()));
  assert.throws(
    () => lockIndexDir(dir),
    (e: unknown) =>
      e instanceof SearchError &&
      e.code === 'index_locked' &&
      e.message.includes(`in use by process ${child.pid}`),
  );
  child.kill('SIGKILL');
  // Not waiting for the exit event: the child may still be a zombie; its lock is gone anyway.
  let release: (() => void) | null = null;
  for (let i = 0; i < 100 && !release; i++) {
    try {
      release = lockIndexDir(dir);
    } catch {
      await new Promise((ok) => setTimeout(ok, 20));
    }
  }
  assert.ok(release, 'the lock was taken over after the holder was killed');
  // Held by this process now: another attempt (another open of the file) is refused.
  assert.throws(() => lockIndexDir(dir), /in use by process/);
  release!();
  lockIndexDir(dir)();
});
