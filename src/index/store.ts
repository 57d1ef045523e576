/**
 * Persistence of a segmented index (reader.ts) as commit points, as Lucene does:
 *
 *   <dir>/segments/<name>.seg            one segment, written once, never changed
 *   <dir>/segments/<name>_<gen>-<r>.del  its live-docs at a delete generation, written once
 *   <dir>/commit-<generation>            a commit: the segments and delete generations that make
 *                                        the index, the suggestion vocabulary, the near-duplicate
 *                                        groups, the last write-ahead-log record it holds
 *   <dir>/CURRENT                        names the current commit; replaced atomically
 *
 * Every file is fsynced before CURRENT names a commit that needs it, and ends with a footer
 * (magic, CRC-32 of the content, length): a file cut short or changed is refused at load with
 * its name, never read as a wrong answer. A commit writes only what the previous one lacks (the
 * new segments and live-docs), then switches CURRENT, then deletes files no commit needs; a
 * crash at any step leaves the previous commit loadable. Arrays are stored raw (little-endian,
 * as in memory) so loading a segment is one read.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { mkdir, open } from 'node:fs/promises';
import { NewsIndex, type IndexArrays, type StoredDoc } from './news-index.js';
import { IndexReader, Segment, SegmentCore, segmentName } from './reader.js';
import type { VocabularyEntry } from './vocabulary.js';
import { SearchError } from '../errors.js';
import { getBit } from './bitset.js';
import { randomBytes } from 'node:crypto';

const FORMAT = 9;
const MAGIC = 0x31534e5a; // "ZNS1" little-endian
const FOOTER = 16;
const ARRAY_NAMES = [
  'dupOf',
  'dupBands',
  'dupSigned',
  'chars',
  'keys',
  'keyStarts',
  'positions',
  'wordStarts',
  'nonWord',
  'docStarts',
  'bodyStarts',
  'extraStarts',
  'bodyBytes',
  'bodyOffsets',
  'bodyAstral',
] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];
const CTORS = {
  dupOf: Int32Array,
  dupBands: Uint32Array,
  dupSigned: Uint8Array,
  chars: Int32Array,
  keys: Float64Array,
  keyStarts: Uint32Array,
  positions: Int32Array,
  wordStarts: Uint8Array,
  nonWord: Uint8Array,
  docStarts: Int32Array,
  bodyStarts: Int32Array,
  extraStarts: Int32Array,
  bodyBytes: Uint8Array,
  bodyOffsets: Float64Array,
  bodyAstral: Uint8Array,
} as const;

/** The header of a segment file: where its arrays and documents lie. */
interface SegmentHeader {
  format: number;
  documents: number;
  stats: NewsIndex['stats'];
  arrays: Record<ArrayName, { offset: number; length: number }>;
  docs: { offset: number; length: number };
}

interface CommitSegment {
  name: string;
  documents: number;
  /** Its live-docs file, or null when every document is live. */
  del: string | null;
  live: number;
}

interface Commit {
  format: number;
  generation: number;
  fingerprint: string;
  createdAt: string;
  documents: number;
  /** The last write-ahead-log record the commit holds (wal.ts). */
  appliedSeq: number;
  /** IndexReader.sources. */
  sources: string[];
  segments: CommitSegment[];
  vocabulary: VocabularyEntry[];
  /** Near-duplicate groups: global document numbers of each group's members. */
  dupGroups: number[][];
}

// ---------------------------------------------------------------------------------------------
// Checksummed files

/** The footer of a file holding `content`: magic, CRC-32, content length. */
function footer(chunks: Uint8Array[]): Buffer {
  let crc = 0;
  let length = 0;
  for (const c of chunks) {
    // Skip empty arrays: Node 20's crc32 answers 0, not the running value, for an empty view
    // of a zero-length buffer (an empty segment's arrays), so the footer would not match.
    if (c.byteLength > 0) crc = crc32(c, crc);
    length += c.byteLength;
  }
  const f = Buffer.alloc(FOOTER);
  f.writeUInt32LE(MAGIC, 0);
  f.writeUInt32LE(crc, 4);
  f.writeDoubleLE(length, 8);
  return f;
}

/** The content of a checksummed file; a clear error naming it when cut short or changed. */
export function verified(file: string, bytes: Buffer): Buffer {
  const corrupt = (why: string) =>
    new SearchError(
      'index_corrupt',
      `${file} is damaged (${why}); restore it or rebuild the index`,
    );
  if (bytes.byteLength < FOOTER) throw corrupt(`${bytes.byteLength} bytes, too short`);
  const at = bytes.byteLength - FOOTER;
  if (bytes.readUInt32LE(at) !== MAGIC) throw corrupt('no footer: cut short or not an index file');
  const length = bytes.readDoubleLE(at + 8);
  if (length !== at) throw corrupt(`${at} bytes of content, the footer says ${length}`);
  const content = bytes.subarray(0, at);
  if (crc32(content) !== bytes.readUInt32LE(at + 4)) throw corrupt('checksum mismatch');
  return content;
}

function writeSynced(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const buf of [...chunks, footer(chunks)]) {
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function writeSyncedAsync(path: string, chunks: Uint8Array[]): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (const buf of [...chunks, footer(chunks)]) {
      let off = 0;
      while (off < buf.byteLength)
        off += (await fh.write(buf, off, buf.byteLength - off)).bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Make a directory's entries (new or renamed files) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Segment files

const segmentsDir = (dir: string) => join(dir, 'segments');
const segmentFile = (dir: string, name: string) => join(segmentsDir(dir), `${name}.seg`);
const delFile = (dir: string, del: string) => join(segmentsDir(dir), del);

/**
 * What is known to be on disk, named by a switched commit: segment data, and live-docs files by
 * their bits. A file is never written twice under one name: a name a commit cut short by a crash
 * left behind is never reused (new live-docs files get a random suffix), so a stale file cannot
 * pass for a new one.
 */
const onDisk = new WeakMap<SegmentCore, Set<string>>();
const delFiles = new WeakMap<Uint8Array, Map<string, string>>();
// Keyed by directory too: a reader loaded from one directory and saved into another (a copy)
// must write every file there.
const isOnDisk = (core: SegmentCore, dir: string) => onDisk.get(core)?.has(resolve(dir)) ?? false;
function markOnDisk(core: SegmentCore, dir: string): void {
  let dirs = onDisk.get(core);
  if (!dirs) onDisk.set(core, (dirs = new Set()));
  dirs.add(resolve(dir));
}
const delFileIn = (live: Uint8Array, dir: string) => delFiles.get(live)?.get(resolve(dir)) ?? null;
function markDelFile(live: Uint8Array, dir: string, name: string): void {
  let names = delFiles.get(live);
  if (!names) delFiles.set(live, (names = new Map()));
  names.set(resolve(dir), name);
}

function segmentChunks(index: NewsIndex): Uint8Array[] {
  const body: Uint8Array[] = [];
  const layout = {} as SegmentHeader['arrays'];
  let offset = 0;
  for (const name of ARRAY_NAMES) {
    const a = index.arrays[name];
    const pad = (8 - (offset % 8)) % 8; // keep every view aligned for its element size
    if (pad) body.push(new Uint8Array(pad));
    offset += pad;
    layout[name] = { offset, length: a.length };
    body.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
  }
  const docs = Buffer.from(JSON.stringify(index.docs));
  body.push(docs);
  const header: SegmentHeader = {
    format: FORMAT,
    documents: index.size,
    stats: index.stats,
    arrays: layout,
    docs: { offset, length: docs.byteLength },
  };
  // Header first: 4 bytes of length, the JSON, padding to 8; array offsets count from after it.
  const json = Buffer.from(JSON.stringify(header));
  const start = 4 + json.byteLength;
  const pad = (8 - (start % 8)) % 8;
  const head = Buffer.alloc(start + pad);
  head.writeUInt32LE(json.byteLength, 0);
  json.copy(head, 4);
  return [head, ...body];
}

function openSegment(file: string, content: Buffer, fingerprint: string): NewsIndex {
  const hl = content.readUInt32LE(0);
  const header = JSON.parse(content.toString('utf8', 4, 4 + hl)) as SegmentHeader;
  if (header.format !== FORMAT)
    throw new SearchError(
      'index_incompatible',
      `${file} has index format ${header.format}; this build reads format ${FORMAT}: rebuild the index`,
    );
  const start = 4 + hl + ((8 - ((4 + hl) % 8)) % 8);
  // A fresh ArrayBuffer keeps every view aligned whatever Buffer pooling did.
  const aligned = (content.byteOffset + start) % 8 === 0;
  const buffer = aligned
    ? content.buffer
    : content.buffer.slice(content.byteOffset + start, content.byteOffset + content.byteLength);
  const base = aligned ? content.byteOffset + start : 0;
  const arrays = {} as Record<ArrayName, unknown>;
  for (const name of ARRAY_NAMES) {
    const { offset, length } = header.arrays[name];
    arrays[name] = new CTORS[name](buffer as ArrayBuffer, base + offset, length);
  }
  const docs = JSON.parse(
    content.toString(
      'utf8',
      start + header.docs.offset,
      start + header.docs.offset + header.docs.length,
    ),
  ) as StoredDoc[];
  if (docs.length !== header.documents)
    throw new SearchError(
      'index_corrupt',
      `${file} has ${docs.length} documents, its header says ${header.documents}`,
    );
  return new NewsIndex(docs, arrays as unknown as IndexArrays, header.stats, fingerprint);
}

// ---------------------------------------------------------------------------------------------
// Commits

/** What a commit writes: files the directory lacks, then the commit itself. */
function commitPlan(
  reader: IndexReader,
  dir: string,
): {
  files: [path: string, chunks: Uint8Array[]][];
  commit: Commit;
  generation: number;
  /** Record the files as on disk, once the commit naming them is switched. */
  known: (() => void)[];
} {
  if (reader.buffered)
    throw new Error('commit: flush the write buffer first (IndexWriter.commit does)');
  const files: [string, Uint8Array[]][] = [];
  const segments: CommitSegment[] = [];
  const known: (() => void)[] = [];
  for (const seg of reader.segments) {
    const { core, live } = seg;
    if (core.dirty) {
      // Word starts rewritten in memory (user dictionary): a segment file is never changed,
      // so the segment is written again under a new name.
      core.name = segmentName();
      core.dirty = false;
      onDisk.delete(core);
    }
    if (!isOnDisk(core, dir)) {
      files.push([segmentFile(dir, core.name), segmentChunks(seg.index)]);
      known.push(() => markOnDisk(core, dir));
    }
    let del: string | null = null;
    if (live) {
      del = delFileIn(live, dir);
      if (del === null) {
        const name = `${core.name}_${seg.delGen}-${randomBytes(3).toString('hex')}.del`;
        del = name;
        files.push([
          delFile(dir, name),
          [new Uint8Array(live.buffer, live.byteOffset, live.byteLength)],
        ]);
        known.push(() => markDelFile(live, dir, name));
      }
    }
    segments.push({ name: core.name, documents: seg.size, del, live: seg.liveCount });
  }
  const groups = new Map<number, number[]>();
  reader.dupRep.forEach((r, g) => {
    if (r < 0) return;
    let list = groups.get(r);
    if (!list) groups.set(r, (list = []));
    list.push(g);
  });
  const generation = currentGeneration(dir) + 1;
  const commit: Commit = {
    format: FORMAT,
    generation,
    fingerprint: reader.fingerprint,
    createdAt: new Date().toISOString(),
    documents: reader.size,
    appliedSeq: reader.appliedSeq,
    sources: reader.sources,
    segments,
    vocabulary: reader.vocabulary,
    dupGroups: [...groups.values()],
  };
  return { files, commit, generation, known };
}

const commitName = (generation: number) => `commit-${String(generation).padStart(12, '0')}`;

/** Make `generation` current (atomic rename), then delete files no longer needed. */
function switchTo(dir: string, generation: number, commit: Commit): void {
  fsyncDir(segmentsDir(dir));
  fsyncDir(dir);
  const name = commitName(generation);
  const tmp = join(dir, `CURRENT.${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, name + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, 'CURRENT'));
  fsyncDir(dir);
  // Files of older commits, of saves cut short, and of the previous format.
  const keep = new Set<string>();
  for (const s of commit.segments) {
    keep.add(`${s.name}.seg`);
    if (s.del) keep.add(s.del);
  }
  for (const entry of readdirSync(segmentsDir(dir)))
    if (!keep.has(entry)) rmSync(join(segmentsDir(dir), entry), { force: true });
  for (const entry of readdirSync(dir)) {
    if (
      (entry.startsWith('commit-') && entry !== name) ||
      entry.startsWith('gen-') ||
      entry.endsWith('.tmp')
    )
      rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/**
 * Save a commit of `index` (a reader with no write buffer, or one built index). Writes the
 * segments and live-docs the directory lacks; returns the commit file's path.
 */
export function saveIndex(index: NewsIndex | IndexReader, dir: string): string {
  const reader = index instanceof IndexReader ? index : IndexReader.fromIndex(index);
  mkdirSync(segmentsDir(dir), { recursive: true });
  const { files, commit, generation, known } = commitPlan(reader, dir);
  for (const [path, chunks] of files) writeSynced(path, chunks);
  const path = join(dir, commitName(generation));
  writeSynced(path, [Buffer.from(JSON.stringify(commit))]);
  switchTo(dir, generation, commit);
  for (const k of known) k();
  return path;
}

/**
 * The same, writing on the thread pool so the event loop keeps answering queries meanwhile.
 * `reader` must not change until this resolves (the writer's `exclusive` waits for it).
 */
export async function saveIndexAsync(reader: IndexReader, dir: string): Promise<string> {
  await mkdir(segmentsDir(dir), { recursive: true });
  const { files, commit, generation, known } = commitPlan(reader, dir);
  for (const [path, chunks] of files) await writeSyncedAsync(path, chunks);
  const path = join(dir, commitName(generation));
  await writeSyncedAsync(path, [Buffer.from(JSON.stringify(commit))]);
  switchTo(dir, generation, commit);
  for (const k of known) k();
  return path;
}

/** The generation CURRENT names (0 when there is none). */
export function currentGeneration(dir: string): number {
  const file = join(dir, 'CURRENT');
  if (!existsSync(file)) return 0;
  const m = /^commit-(\d+)$/.exec(readFileSync(file, 'utf8').trim());
  return m ? Number(m[1]) : 0;
}

export function hasIndex(dir: string): boolean {
  return existsSync(join(dir, 'CURRENT'));
}

function readCommit(dir: string): { file: string; commit: Commit } {
  const current = join(dir, 'CURRENT');
  if (!existsSync(current))
    throw new SearchError(
      'index_missing',
      `no index in ${dir} (build one with: npm run cli -- index <folder> --out ${dir})`,
    );
  const name = readFileSync(current, 'utf8').trim();
  if (!name.startsWith('commit-'))
    throw new SearchError(
      'index_incompatible',
      `the index in ${dir} has an older format (${name}); this build reads format ${FORMAT}: rebuild the index`,
    );
  const file = join(dir, name);
  if (!existsSync(file))
    throw new SearchError('index_corrupt', `${file}, named by ${current}, is missing`);
  const commit = JSON.parse(verified(file, readFileSync(file)).toString('utf8')) as Commit;
  if (commit.format !== FORMAT)
    throw new SearchError(
      'index_incompatible',
      `index format ${commit.format} in ${dir}; this build reads format ${FORMAT}: rebuild the index`,
    );
  return { file, commit };
}

/**
 * An index saved by an earlier version (a `gen-*` folder named by CURRENT, format ≤ 8): its
 * manifest and documents, read only to decide whether rebuilding it would lose API writes.
 */
function previousFormat(dir: string): { appliedSeq: number; docs: StoredDoc[] } | null {
  const current = join(dir, 'CURRENT');
  if (!existsSync(current)) return null;
  const name = readFileSync(current, 'utf8').trim();
  if (!name.startsWith('gen-')) return null;
  const manifest = JSON.parse(readFileSync(join(dir, name, 'manifest.json'), 'utf8')) as {
    appliedSeq?: number;
  };
  const docs = JSON.parse(readFileSync(join(dir, name, 'docs.json'), 'utf8')) as StoredDoc[];
  return { appliedSeq: manifest.appliedSeq ?? 0, docs };
}

/** The last write-ahead-log record the saved index holds. */
export function savedAppliedSeq(dir: string): number {
  const old = previousFormat(dir);
  if (old) return old.appliedSeq;
  return readCommit(dir).commit.appliedSeq;
}

/**
 * How many live articles of the saved index came through the write API rather than from files
 * (they carry no file hash): what a rebuild from folders would lose. Reads the documents only.
 */
export function apiWrittenCount(dir: string): number {
  const old = previousFormat(dir);
  if (old) return old.docs.filter((d) => d.hash === undefined).length;
  const { commit } = readCommit(dir);
  let n = 0;
  for (const s of commit.segments) {
    const file = segmentFile(dir, s.name);
    const content = verified(file, readFileSync(file));
    const hl = content.readUInt32LE(0);
    const header = JSON.parse(content.toString('utf8', 4, 4 + hl)) as SegmentHeader;
    const start = 4 + hl + ((8 - ((4 + hl) % 8)) % 8) + header.docs.offset;
    const docs = JSON.parse(
      content.toString('utf8', start, start + header.docs.length),
    ) as StoredDoc[];
    const live = s.del ? readLive(dir, s.del) : null;
    docs.forEach((d, i) => {
      if (d.hash === undefined && (!live || getBit(live, i))) n++;
    });
  }
  return n;
}

function readLive(dir: string, del: string): Uint8Array {
  const file = delFile(dir, del);
  const content = verified(file, readFileSync(file));
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice();
}

/**
 * Segments already in memory, by name (a follower moving to the next commit, follower.ts): a
 * segment file never changes under one name, so these are used instead of reading it again.
 */
export type OpenSegments = ReadonlyMap<string, SegmentCore>;

/** The files a commit needs (but the open segments), in the order openCommit takes them. */
function commitFiles(dir: string, commit: Commit, open?: OpenSegments): string[] {
  const files: string[] = [];
  for (const s of commit.segments) {
    if (!open?.has(s.name)) files.push(segmentFile(dir, s.name));
    if (s.del) files.push(delFile(dir, s.del));
  }
  return files;
}

function openCommit(
  dir: string,
  commit: Commit,
  contents: Map<string, Buffer>,
  expectedFingerprint: string,
  open?: OpenSegments,
): IndexReader {
  if (commit.fingerprint !== expectedFingerprint) {
    throw new SearchError(
      'index_incompatible',
      `index in ${dir} was built by analyzer ${commit.fingerprint}, this service runs ${expectedFingerprint}: rebuild the index`,
    );
  }
  const content = (file: string) => {
    const bytes = contents.get(file);
    if (!bytes)
      throw new SearchError('index_corrupt', `${file}, named by the current commit, is missing`);
    return verified(file, bytes);
  };
  const segments = commit.segments.map((s) => {
    const file = segmentFile(dir, s.name);
    const reused = open?.get(s.name);
    const index = reused?.index ?? openSegment(file, content(file), commit.fingerprint);
    if (index.size !== s.documents)
      throw new SearchError(
        'index_corrupt',
        `${file} has ${index.size} documents, the commit says ${s.documents}`,
      );
    let live: Uint8Array | null = null;
    if (s.del) {
      const c = content(delFile(dir, s.del));
      live = new Uint8Array(c.buffer, c.byteOffset, c.byteLength).slice();
      markDelFile(live, dir, s.del);
    }
    const core = reused ?? new SegmentCore(s.name, index);
    markOnDisk(core, dir);
    return Segment.withLive(core, live, 0);
  });
  let maxDoc = 0;
  for (const s of segments) maxDoc += s.size;
  const dupRep = new Int32Array(maxDoc).fill(-1);
  const reader = new IndexReader({
    segments,
    buffered: false,
    fingerprint: commit.fingerprint,
    appliedSeq: commit.appliedSeq,
    sources: commit.sources,
    vocabulary: commit.vocabulary,
    dupRep,
  });
  // Representatives: the earliest member, then the smallest id (as reader.ts chooses them).
  for (const members of commit.dupGroups) {
    let rep = members[0];
    for (const m of members) {
      const tm = when(reader.dateMs(m));
      const tr = when(reader.dateMs(rep));
      if (tm < tr || (tm === tr && reader.doc(m).id < reader.doc(rep).id)) rep = m;
    }
    for (const m of members) dupRep[m] = rep;
  }
  return reader;
}

function when(ms: number): number {
  return ms > 0 || ms < 0 ? ms : Infinity;
}

/**
 * Load the current commit; refuses an index built by another analyzer. Segments in `open` are
 * taken from there, not read again.
 */
export function loadIndex(
  dir: string,
  expectedFingerprint: string,
  open?: OpenSegments,
): IndexReader {
  const { commit } = readCommit(dir);
  const contents = new Map<string, Buffer>();
  for (const file of commitFiles(dir, commit, open))
    if (existsSync(file)) contents.set(file, readFileSync(file));
  return openCommit(dir, commit, contents, expectedFingerprint, open);
}

/**
 * The same, reading the files in a short-lived worker thread: the reads start before this
 * returns and go on while the caller's thread is busy (loading jieba's dictionary takes
 * seconds of synchronous work; fs.promises would wait for the event loop between chunks).
 */
export function loadIndexAsync(
  dir: string,
  expectedFingerprint: string,
  open?: OpenSegments,
): Promise<IndexReader> {
  try {
    const { commit } = readCommit(dir);
    const files = commitFiles(dir, commit, open);
    const reader = new Worker(READER, { eval: true, workerData: { files } });
    return new Promise<IndexReader>((ok, fail) => {
      reader.once('message', (buffers: (ArrayBuffer | null)[]) => {
        try {
          const contents = new Map<string, Buffer>();
          files.forEach((f, i) => {
            const b = buffers[i];
            if (b) contents.set(f, Buffer.from(b));
          });
          ok(openCommit(dir, commit, contents, expectedFingerprint, open));
        } catch (e) {
          fail(e);
        }
      });
      reader.once('error', fail);
    }).finally(() => reader.terminate());
  } catch (e) {
    return Promise.reject(e);
  }
}

const READER = `
const { readFileSync, existsSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const out = workerData.files.map((f) => {
  if (!existsSync(f)) return null;
  const b = readFileSync(f);
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
});
parentPort.postMessage(out, out.filter(Boolean));
`;
