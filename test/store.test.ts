import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveIndex, loadIndex, hasIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { search } from '../src/search/searcher.js';
import { SearchError } from '../src/errors.js';
import { seedsIndex, tempDir } from './helpers.js';

const tmp = () => tempDir('zh-news-store-');

test('a saved index loads back and answers exactly as before', async () => {
  const { index } = await seedsIndex();
  const dir = tmp();
  saveIndex(index, dir);
  assert.ok(hasIndex(dir));
  const loaded = loadIndex(dir, analyzerFingerprint());
  assert.equal(loaded.size, index.size);
  for (const q of ['數位身分證', '市政', '伺服器 資料庫', '𠮷田']) {
    assert.deepEqual(
      search(loaded, { q, page: 1, size: 10 }).hits,
      search(index, { q, page: 1, size: 10 }).hits,
    );
  }
});

test('an index built by another analyzer is refused', async () => {
  const { index } = await seedsIndex();
  const dir = tmp();
  saveIndex(index, dir);
  assert.throws(
    () => loadIndex(dir, 'another-analyzer'),
    (e: unknown) =>
      e instanceof SearchError && e.code === 'index_incompatible' && /rebuild/.test(e.message),
  );
});

test('a save interrupted before the switch leaves the previous index loadable', async () => {
  const { index } = await seedsIndex();
  const dir = tmp();
  saveIndex(index, dir);
  const current = readFileSync(join(dir, 'CURRENT'), 'utf8');
  // What a crash mid-save leaves: a half-written generation and a temp pointer, CURRENT untouched.
  mkdirSync(join(dir, 'gen-9999999999999-dead00'));
  writeFileSync(join(dir, 'gen-9999999999999-dead00', 'arrays.bin'), Buffer.alloc(100));
  writeFileSync(join(dir, 'CURRENT.gen-9999999999999-dead00.tmp'), 'gen-9999999999999-dead00\n');
  assert.equal(readFileSync(join(dir, 'CURRENT'), 'utf8'), current);
  const loaded = loadIndex(dir, analyzerFingerprint());
  assert.equal(loaded.size, index.size);
  // The next save cleans up what the crash left and keeps only the new generation.
  saveIndex(index, dir);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'CURRENT').length, 1);
});

test('a truncated array file is reported, not loaded', async () => {
  const { index } = await seedsIndex();
  const dir = tmp();
  const gen = saveIndex(index, dir);
  writeFileSync(join(gen, 'arrays.bin'), Buffer.alloc(10));
  assert.throws(
    () => loadIndex(dir, analyzerFingerprint()),
    (e: unknown) => e instanceof SearchError && e.code === 'index_corrupt',
  );
});

test('no index in an empty folder', () => {
  const dir = tmp();
  assert.equal(hasIndex(dir), false);
  assert.throws(
    () => loadIndex(dir, analyzerFingerprint()),
    (e: unknown) => e instanceof SearchError && e.code === 'index_missing',
  );
});
