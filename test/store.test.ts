import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveIndex, loadIndex, loadIndexAsync, hasIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { search } from '../src/search/searcher.js';
import { SearchError } from '../src/errors.js';
import { IndexBuilder } from '../src/index/builder.js';
import { IndexWriter } from '../src/index/writer.js';
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

test('an empty index saves and loads (zero-length arrays in the checksum)', () => {
  // Node's crc32 answers 0 for an empty view of a zero-length buffer whatever the running
  // value: the footer once disagreed with the file and the commit could not be loaded.
  const dir = tmp();
  saveIndex(new IndexBuilder().build(analyzerFingerprint()), dir);
  const loaded = loadIndex(dir, analyzerFingerprint());
  assert.equal(loaded.size, 0);
  assert.equal(search(loaded, { q: '市政', page: 1, size: 10 }).total, 0);
});

test('a segment whose documents are all deleted is purged away, and the commit loads', async () => {
  const dir = tmp();
  saveIndex((await seedsIndex()).index, dir);
  const { writer } = await IndexWriter.open(loadIndex(dir, analyzerFingerprint()), dir, {
    flushMs: 600_000,
  });
  try {
    const article = {
      id: 'purge/me',
      title: '整段刪除的稿件',
      body: '這個片段的文件全部刪除後，合併把它清掉。',
      url: null,
      source: null,
      date: null,
      tags: [],
      categories: [],
      related: [],
    };
    await writer.submit([{ op: 'put', article, extra: '' }]);
    await writer.flush();
    assert.equal(writer.index.segments.length, 2);
    await writer.submit([{ op: 'delete', id: 'purge/me' }]);
    await writer.flush(); // the all-deleted segment is merged (purged) on its own
    await writer.mergesDone();
    assert.deepEqual(
      writer.index.segments.map((s) => s.size),
      [writer.index.size],
      'no empty segment left',
    );
    await writer.compact();
    await writer.saved();
    assert.equal(loadIndex(dir, analyzerFingerprint()).size, writer.index.size);
  } finally {
    await writer.close();
  }
});
