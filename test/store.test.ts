import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveIndex, loadIndex, loadIndexAsync, hasIndex } from '../src/index/store.js';
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

test('an index loaded from one folder and saved into another is whole there (a copy)', async () => {
  const { index } = await seedsIndex();
  const first = tmp();
  saveIndex(index, first);
  const loaded = loadIndex(first, analyzerFingerprint());
  const copy = tmp();
  saveIndex(loaded, copy);
  const again = loadIndex(copy, analyzerFingerprint());
  assert.equal(again.size, index.size);
  assert.deepEqual(
    search(again, { q: '數位身分證', page: 1, size: 10 }).hits,
    search(index, { q: '數位身分證', page: 1, size: 10 }).hits,
  );
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
  // What a crash mid-save leaves: a half-written segment and commit, a temp pointer; CURRENT untouched.
  writeFileSync(join(dir, 'segments', 'seg-dead-00000000.seg'), Buffer.alloc(100));
  writeFileSync(join(dir, 'commit-000000000099'), Buffer.alloc(10));
  writeFileSync(join(dir, 'CURRENT.commit-000000000099.tmp'), 'commit-000000000099\n');
  assert.equal(readFileSync(join(dir, 'CURRENT'), 'utf8'), current);
  const loaded = loadIndex(dir, analyzerFingerprint());
  assert.equal(loaded.size, index.size);
  // The next save cleans up what the crash left: one commit, its one segment.
  saveIndex(loaded, dir);
  assert.deepEqual(readdirSync(dir).filter((f) => f !== 'CURRENT' && f !== 'segments').length, 1);
  assert.deepEqual(readdirSync(join(dir, 'segments')), [`${loaded.segments[0].name}.seg`]);
});

test('a damaged or truncated segment file is refused with its name, not loaded', async () => {
  const { index } = await seedsIndex();
  const dir = tmp();
  saveIndex(index, dir);
  const [name] = readdirSync(join(dir, 'segments'));
  const file = join(dir, 'segments', name);
  const bytes = readFileSync(file);
  // One byte changed in the middle of the postings: the checksum says so.
  const flipped = Buffer.from(bytes);
  flipped[bytes.length >> 1] ^= 0x40;
  writeFileSync(file, flipped);
  assert.throws(
    () => loadIndex(dir, analyzerFingerprint()),
    (e: unknown) =>
      e instanceof SearchError &&
      e.code === 'index_corrupt' &&
      e.message.includes(file) &&
      /checksum/.test(e.message),
  );
  // The same when the files are verified in the start-up worker thread.
  await assert.rejects(
    loadIndexAsync(dir, analyzerFingerprint()),
    (e: unknown) =>
      e instanceof SearchError &&
      e.code === 'index_corrupt' &&
      e.message.includes(file) &&
      /checksum/.test(e.message),
  );
  // Cut short.
  writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
  assert.throws(
    () => loadIndex(dir, analyzerFingerprint()),
    (e: unknown) =>
      e instanceof SearchError && e.code === 'index_corrupt' && e.message.includes(file),
  );
  writeFileSync(file, bytes);
  assert.equal(loadIndex(dir, analyzerFingerprint()).size, index.size);
});

test('an index in the previous format (generation folders) asks for a rebuild', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'gen-1-abc'));
  writeFileSync(join(dir, 'CURRENT'), 'gen-1-abc\n');
  assert.throws(
    () => loadIndex(dir, analyzerFingerprint()),
    (e: unknown) =>
      e instanceof SearchError && e.code === 'index_incompatible' && /rebuild/.test(e.message),
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
