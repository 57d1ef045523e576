/**
 * Where a serving process's memory goes (issue 16): loads an index as `serve` does (files read
 * on a worker thread while jieba's dictionary loads), answers the public and training queries
 * (q and q_alt, top 10 with snippets) and one suggestion each, collects garbage, then prints
 * RSS broken down by owner:
 *   node --expose-gc dist/bench/memory.js <index-dir> [--snapshot] [--bare]
 * --bare: only jieba's dictionary (what a process needs before any index);
 * --snapshot: also a V8 heap snapshot, its self sizes summed by constructor (slow, large).
 * Run it with bin/tuned-node.js (the malloc settings `serve` runs with).
 */
import { readFileSync, rmSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIndexAsync, sharedPageCache } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';
import { search } from '../src/search/searcher.js';
import { suggest } from '../src/search/suggest.js';
import { PUBLIC_QUERIES, TRAIN_QUERIES, readQueries } from './shared.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [dir] = args;
const MB = 2 ** 20;
const mb = (n: number) => (n / MB).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function smaps(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

function report(rows: [string, number][]): void {
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(44)} ${mb(v).padStart(8)} MB\n`);
}

const t0 = performance.now();
const pending =
  args.length && !process.argv.includes('--bare')
    ? loadIndexAsync(dir, analyzerFingerprint())
    : null;
loadSegmenter();
const index = pending ? await pending : null;
const loadedMs = performance.now() - t0;
const heapNow = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const stages: [string, number][] = [];
let last = heapNow();
const stage = (name: string) => {
  const now = heapNow();
  stages.push([name, now - last]);
  last = now;
};
if (index) {
  const docsCopy = index.segments.map((s) => JSON.parse(JSON.stringify(s.index.docs)));
  stage('documents (StoredDoc objects, a copy)');
  docsCopy.length = 0;
  last = heapNow();
  const vocab = JSON.parse(JSON.stringify(index.vocabulary));
  stage(`vocabulary (a copy, ${vocab.length} entries)`);
  vocab.length = 0;
  last = heapNow();
  void index.lexicon;
  stage('lexicon (pinyin tables, prefix index)');
  const forms = [...readQueries(PUBLIC_QUERIES), ...readQueries(TRAIN_QUERIES)].flatMap((q) => [
    q.q,
    q.q_alt,
  ]);
  const t1 = performance.now();
  search(index, { q: forms[0], page: 1, size: 10 });
  process.stdout.write(
    `load ${loadedMs.toFixed(0)} ms, first query ${(performance.now() - t1).toFixed(0)} ms\n`,
  );
  for (const q of forms) if (q) search(index, { q, page: 1, size: 10 });
  stage('after the queries (caches)');
  for (const q of forms.slice(0, 50)) if (q) suggest(index, [...q].slice(0, 2).join(''), 8);
  stage('after 50 suggestions');
}
report(stages.map(([k, n]) => [`heap+external: ${k}`, n]));
gc();
gc();
const mu = process.memoryUsage();
const sm = smaps();
report([
  ['rss', mu.rss],
  ['  anonymous', sm.Anonymous ?? 0],
  ['  file-backed (code, mapped files)', (sm.Rss ?? 0) - (sm.Anonymous ?? 0)],
  ['heapTotal', mu.heapTotal],
  ['heapUsed', mu.heapUsed],
  ['external (off-heap, incl. array buffers)', mu.external],
  ['arrayBuffers', mu.arrayBuffers],
]);
for (const s of getHeapSpaceStatistics())
  process.stdout.write(
    `  ${s.space_name.padEnd(28)} used ${mb(s.space_used_size).padStart(8)} size ${mb(s.space_size).padStart(8)} MB\n`,
  );
if (index) {
  const byArray = new Map<string, number>();
  const add = (k: string, n: number) => byArray.set(k, (byArray.get(k) ?? 0) + n);
  let docsJson = 0;
  for (const seg of index.segments) {
    const ix = seg.index;
    for (const [name, a] of Object.entries(ix.arrays)) add(name, (a as ArrayBufferView).byteLength);
    add('dateMs', ix.dateMs.byteLength);
    const c = seg.core.columns;
    add('columns (sourceOf, monthOf, tagsOf)', c.sourceOf.byteLength + c.monthOf.byteLength);
    for (const t of c.tagsOf) add('columns (sourceOf, monthOf, tagsOf)', t.byteLength);
    if (seg.live) add('live bits', seg.live.byteLength);
    docsJson += Buffer.byteLength(JSON.stringify(ix.docs));
  }
  add('reader dupRep', index.dupRep.byteLength);
  process.stdout.write(`segments ${index.segments.length}, documents ${index.maxDoc}\n`);
  report(
    [...byArray]
      .sort((a, b) => b[1] - a[1])
      .filter(([, n]) => n > 0)
      .map(([k, n]) => [`  ${k}`, n]),
  );
  report([
    ['documents as JSON (StoredDoc)', docsJson],
    ['page cache (postings, bodies)', sharedPageCache().bytes],
  ]);
}
if (process.argv.includes('--snapshot')) {
  const file = writeHeapSnapshot(join(tmpdir(), `memory-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  rmSync(file);
  const { node_fields, node_types } = snap.snapshot.meta;
  const width = node_fields.length;
  const fType = node_fields.indexOf('type');
  const fName = node_fields.indexOf('name');
  const fSize = node_fields.indexOf('self_size');
  const types = node_types[0];
  const by = new Map<string, { n: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + fType]];
    const name = snap.strings[snap.nodes[i + fName]];
    const key =
      type === 'object' || type === 'native' ? `${type}:${name.slice(0, 40)}` : `(${type})`;
    const e = by.get(key) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += snap.nodes[i + fSize];
    by.set(key, e);
  }
  process.stdout.write('heap snapshot, self size by kind:\n');
  for (const [k, e] of [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 30))
    process.stdout.write(
      `  ${k.padEnd(50)} ${String(e.n).padStart(9)} ${mb(e.bytes).padStart(8)} MB\n`,
    );
}
