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
 * as in memory). A committed segment's postings and bodies are not loaded: they are read from
 * its file on demand through a bounded cache (segment-file.ts); a segment written by a commit is
 * paged out the same way once the commit is switched.
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
import {
  ARRAY_NAMES,
  CTORS,
  FOOTER,
  FORMAT,
  MAGIC,
  PageCache,
  SegmentFile,
  arraysStart,
  readCommitFile,
  readResident,
  verified,
  type ArrayName,
  type CommitFile,
  type ResidentSegment,
  type SegmentHeader,
} from './segment-file.js';
import { indexCacheMb } from '../config.js';
import type { VocabularyEntry } from './vocabulary.js';
import { SearchError } from '../errors.js';
import { getBit } from './bitset.js';
import { randomBytes } from 'node:crypto';

export { verified };

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
export const segmentFile = (dir: string, name: string) => join(segmentsDir(dir), `${name}.seg`);
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

function segmentChunks(index: NewsIndex): {
  chunks: Uint8Array[];
  header: SegmentHeader;
  start: number;
} {
  const body: Uint8Array[] = [];
  const layout = {} as SegmentHeader['arrays'];
  const all = index.full();
  let offset = 0;
  for (const name of ARRAY_NAMES) {
    const a = all[name];
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
  const { head, start } = headerBytes(header);
  return { chunks: [head, ...body], header, start };
}

/** Header first: 4 bytes of length, the JSON, padding to 8; array offsets count from after it. */
function headerBytes(header: SegmentHeader): { head: Buffer; start: number } {
  const json = Buffer.from(JSON.stringify(header));
  const start = arraysStart(json.byteLength);
  const head = Buffer.alloc(start);
  head.writeUInt32LE(json.byteLength, 0);
  json.copy(head, 4);
  return { head, start };
}

/** An array written to a segment file in pieces (a merge streaming its postings and bodies). */
export interface StreamedArray {
  /** Elements it will hold. */
  length: number;
  /** Hands every piece, in order, to `put`. */
  write: (put: (piece: ArrayBufferView) => void) => void;
}

/**
 * Write a segment file (the layout of segmentChunks) whose arrays are in memory or streamed,
 * fsynced: what the whole file would have needed in memory is only ever one piece at a time.
 * Returns its header and where its arrays start, for a SegmentFile over it.
 */
export function writeSegmentFile(
  path: string,
  content: {
    stats: SegmentHeader['stats'];
    docs: StoredDoc[];
    arrays: Record<ArrayName, ArrayBufferView | StreamedArray>;
  },
): { header: SegmentHeader; start: number } {
  const layout = {} as SegmentHeader['arrays'];
  const sizes: number[] = [];
  let offset = 0;
  for (const name of ARRAY_NAMES) {
    const a = content.arrays[name];
    offset += (8 - (offset % 8)) % 8; // keep every view aligned for its element size
    const streamed = 'write' in a;
    const length = streamed ? a.length : (a as unknown as ArrayLike<number>).length;
    const bytes = streamed ? a.length * CTORS[name].BYTES_PER_ELEMENT : a.byteLength;
    layout[name] = { offset, length };
    sizes.push(bytes);
    offset += bytes;
  }
  const docs = Buffer.from(JSON.stringify(content.docs));
  const header: SegmentHeader = {
    format: FORMAT,
    documents: content.docs.length,
    stats: content.stats,
    arrays: layout,
    docs: { offset, length: docs.byteLength },
  };
  const { head, start } = headerBytes(header);

  const fd = openSync(path, 'w');
  try {
    let crc = 0;
    let length = 0;
    const put = (piece: ArrayBufferView) => {
      const bytes = new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength);
      if (bytes.byteLength === 0) return; // see footer(): Node 20's crc32 of an empty view
      crc = crc32(bytes, crc);
      length += bytes.byteLength;
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off);
    };
    put(head);
    ARRAY_NAMES.forEach((name, k) => {
      const pad = start + layout[name].offset - length;
      if (pad > 0) put(new Uint8Array(pad));
      const a = content.arrays[name];
      if (!('write' in a)) {
        put(a);
        return;
      }
      const before = length;
      a.write(put);
      if (length - before !== sizes[k])
        throw new Error(
          `${path}: ${length - before} bytes of ${name} written, ${sizes[k]} declared`,
        );
    });
    put(docs);
    const foot = Buffer.alloc(FOOTER);
    foot.writeUInt32LE(MAGIC, 0);
    foot.writeUInt32LE(crc, 4);
    foot.writeDoubleLE(length, 8);
    writeSync(fd, foot);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { header, start };
}

/** A segment written by writeSegmentFile into `dir`: a commit need not write it again. */
export function adoptSegment(core: SegmentCore, dir: string): void {
  markOnDisk(core, dir);
}

/** A segment opened from what readResident read: postings and bodies stay in the file. */
function openSegment(
  file: string,
  resident: ResidentSegment,
  fingerprint: string,
  cache: PageCache,
): NewsIndex {
  const { header, start } = resident;
  const docs = JSON.parse(resident.docs) as StoredDoc[];
  if (docs.length !== header.documents)
    throw new SearchError(
      'index_corrupt',
      `${file} has ${docs.length} documents, its header says ${header.documents}`,
    );
  const arrays = { ...resident.arrays, positions: new Int32Array(0), bodyBytes: new Uint8Array(0) };
  const index = new NewsIndex(docs, arrays as unknown as IndexArrays, header.stats, fingerprint);
  index.pageOut(new SegmentFile(file, header, start, cache));
  return index;
}

/**
 * The process's page cache (INDEX_CACHE_MB): one bound for every segment the process opens,
 * made on first use.
 */
let processCache: PageCache | null = null;
export function sharedPageCache(): PageCache {
  processCache ??= new PageCache(indexCacheMb() * 1024 * 1024);
  return processCache;
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
    const rewritten = core.dirty;
    if (core.dirty) {
      // Word starts rewritten in memory (user dictionary): a segment file is never changed,
      // so the segment is written again under a new name.
      core.name = segmentName();
      core.dirty = false;
      onDisk.delete(core);
    }
    if (!isOnDisk(core, dir)) {
      const path = segmentFile(dir, core.name);
      const { chunks, header, start } = segmentChunks(seg.index);
      files.push([path, chunks]);
      known.push(() => {
        markOnDisk(core, dir);
        // Committed: its postings and bodies are read from the file from now on (a segment
        // written again from another file, from the new one: the old one is deleted).
        if (core.index.pagedFile === null || rewritten)
          core.index.pageOut(new SegmentFile(path, header, start, sharedPageCache()));
      });
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
 * Write one sealed segment's file into `dir` now, before any commit names it (a build in
 * segments: build.ts), and page it out. Until a commit names it, a crash leaves it as a stray
 * file the next commit deletes.
 */
export function saveSegment(core: SegmentCore, dir: string): void {
  if (isOnDisk(core, dir)) return;
  mkdirSync(segmentsDir(dir), { recursive: true });
  const path = segmentFile(dir, core.name);
  const { chunks, header, start } = segmentChunks(core.index);
  writeSynced(path, chunks);
  markOnDisk(core, dir);
  core.index.pageOut(new SegmentFile(path, header, start, sharedPageCache()));
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
    const docs = JSON.parse(readResident(segmentFile(dir, s.name)).docs) as StoredDoc[];
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
  read: (file: string) => CommitFile,
  expectedFingerprint: string,
  cache: PageCache,
  open?: OpenSegments,
): IndexReader {
  if (commit.fingerprint !== expectedFingerprint) {
    throw new SearchError(
      'index_incompatible',
      `index in ${dir} was built by analyzer ${commit.fingerprint}, this service runs ${expectedFingerprint}: rebuild the index`,
    );
  }
  const content = (file: string) => {
    const got = read(file);
    if (!got)
      throw new SearchError('index_corrupt', `${file}, named by the current commit, is missing`);
    return got;
  };
  const segments = commit.segments.map((s) => {
    const file = segmentFile(dir, s.name);
    const reused = open?.get(s.name);
    let index = reused?.index;
    if (!index) {
      const resident = content(file);
      if (resident instanceof Uint8Array) throw new Error(`${file}: read as a live-docs file`);
      index = openSegment(file, resident, commit.fingerprint, cache);
    }
    if (index.size !== s.documents)
      throw new SearchError(
        'index_corrupt',
        `${file} has ${index.size} documents, the commit says ${s.documents}`,
      );
    let live: Uint8Array | null = null;
    if (s.del) {
      const c = content(delFile(dir, s.del));
      if (!(c instanceof Uint8Array)) throw new Error(`${s.del}: read as a segment`);
      live = c;
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

export interface LoadOptions {
  /** Cache for the postings and bodies read from the segment files (default: the process's). */
  cache?: PageCache;
  /** Segments already open (a follower moving to the next commit): used, not read again. */
  open?: OpenSegments;
}

/**
 * Load the current commit; refuses an index built by another analyzer. Every file is verified;
 * segments' postings and bodies stay in their files (segment-file.ts).
 */
export function loadIndex(
  dir: string,
  expectedFingerprint: string,
  options: LoadOptions = {},
): IndexReader {
  const { commit } = readCommit(dir);
  return openCommit(
    dir,
    commit,
    readCommitFile,
    expectedFingerprint,
    options.cache ?? sharedPageCache(),
    options.open,
  );
}

/**
 * The same, verifying and reading the files in a short-lived worker thread: the reads start
 * before this returns and go on while the caller's thread is busy (loading jieba's dictionary
 * takes seconds of synchronous work; fs.promises would wait for the event loop between chunks).
 */
export function loadIndexAsync(
  dir: string,
  expectedFingerprint: string,
  options: LoadOptions = {},
): Promise<IndexReader> {
  try {
    const { commit } = readCommit(dir);
    const files = commitFiles(dir, commit, options.open);
    const reader = new Worker(new URL('./store-reader.js', import.meta.url), {
      workerData: { files },
    });
    return new Promise<IndexReader>((ok, fail) => {
      reader.once('message', (out: StoreReaderAnswer) => {
        try {
          if ('error' in out) throw new SearchError(out.error.code, out.error.message);
          const byFile = new Map(files.map((f, i) => [f, out.files[i]]));
          ok(
            openCommit(
              dir,
              commit,
              (f) => byFile.get(f),
              expectedFingerprint,
              options.cache ?? sharedPageCache(),
              options.open,
            ),
          );
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

/** What store-reader.ts answers: each file as readCommitFile reads it, or the first error. */
export type StoreReaderAnswer =
  | { files: CommitFile[] }
  | { error: { code: SearchError['code']; message: string } };
