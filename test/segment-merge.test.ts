import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listPosts } from '../src/ingest/files.js';
import { analyzePost } from '../src/index/analyze-post.js';
import { IndexBuilder } from '../src/index/builder.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import {
  mergeSegments,
  mergeSegmentsToFile,
  type SegmentPart,
} from '../src/index/segment-merge.js';
import { PageCache, readResident } from '../src/index/segment-file.js';
import { saveSegment } from '../src/index/store.js';
import { SegmentCore, segmentName } from '../src/index/reader.js';
import { newBits, setBit } from '../src/index/bitset.js';
import type { NewsIndex } from '../src/index/news-index.js';
import { SHARED, tempDir } from './helpers.js';

const fingerprint = analyzerFingerprint();

/** Three segments of corpus posts (real text): the first two committed (paged), the last in memory. */
async function parts(dir: string): Promise<NewsIndex[]> {
  const refs = (await listPosts(join(SHARED, 'corpus', 'cna-rti'))).slice(0, 150);
  const indexes: NewsIndex[] = [];
  for (let i = 0; i < refs.length; i += 50) {
    const b = new IndexBuilder();
    for (const ref of refs.slice(i, i + 50)) {
      const o = analyzePost(ref);
      if (o.ok === true) b.add(o.value);
    }
    indexes.push(b.build(fingerprint));
  }
  for (const index of indexes.slice(0, 2)) saveSegment(new SegmentCore(segmentName(), index), dir);
  assert.ok(indexes[0].pagedFile && indexes[1].pagedFile && !indexes[2].pagedFile);
  return indexes;
}

function liveBits(size: number, dead: number[]): Uint8Array {
  const live = newBits(size);
  for (let d = 0; d < size; d++) if (!dead.includes(d)) setBit(live, d);
  return live;
}

test('a merge streamed into its file equals the merge built in memory, deleted documents purged', async () => {
  const dir = tempDir('zh-news-segment-merge-');
  const [a, b, c] = await parts(dir);
  const cases: SegmentPart[][] = [
    [
      { index: a, live: null },
      { index: b, live: null },
      { index: c, live: null },
    ],
    [
      { index: a, live: liveBits(a.size, [0, 7, 8, 9, a.size - 1]) },
      { index: b, live: null },
      { index: c, live: liveBits(c.size, [1, 2, 30]) },
    ],
    [{ index: c, live: liveBits(c.size, [0, c.size - 1]) }], // a purge of one segment
  ];
  for (const [k, group] of cases.entries()) {
    const inMemory = mergeSegments(group, fingerprint);
    const file = join(dir, `merged-${k}.seg`);
    const streamed = mergeSegmentsToFile(group, fingerprint, file, new PageCache(0));
    assert.equal(streamed.pagedFile, file, 'its postings and bodies are read from the file');
    const live = group.reduce((n, p) => n + p.index.size, 0) - (k === 1 ? 8 : k === 2 ? 2 : 0);
    assert.equal(inMemory.size, live);
    assert.deepEqual(streamed.docs, inMemory.docs);
    assert.deepEqual(streamed.stats, inMemory.stats);
    assert.deepEqual(streamed.full(), inMemory.arrays);
    // The file is whole: its checksum verifies and its header names every array's length.
    const resident = readResident(file);
    assert.equal(resident.header.documents, live);
    assert.equal(resident.header.arrays.positions.length, inMemory.arrays.positions.length);
    assert.equal(resident.header.arrays.bodyBytes.length, inMemory.arrays.bodyBytes.length);
  }
});
