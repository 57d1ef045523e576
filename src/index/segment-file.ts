/**
 * A segment file read on demand: the arrays that grow with the text and are read only per query
 * hit (the postings and the article bodies) stay in the file and are read by positioned reads
 * into a bounded cache shared by every segment of the process; the rest (character and key
 * tables, per-document arrays, bitsets, the documents) is read into memory at open.
 *
 * Checksums: the whole file's CRC-32 is verified once, at open, by streaming through it (about
 * 1.8 GB/s here; in a worker thread at start-up, beside jieba's dictionary load), so a damaged
 * file is refused at load with its name, never read later as a wrong answer.
 *
 * Layout of a segment file (format 9): 4 bytes of header length, the header (JSON), padding to 8,
 * the arrays in ARRAY_NAMES order (raw, little-endian, each aligned to 8), the documents (JSON),
 * then the footer (magic, CRC-32 of everything before it, content length).
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { SearchError } from '../errors.js';
import type { IndexArrays, IndexStats, PagedArrays } from './news-index.js';

export const FORMAT = 9;
export const MAGIC = 0x31534e5a; // "ZNS1" little-endian
export const FOOTER = 16;

export const ARRAY_NAMES = [
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
export type ArrayName = (typeof ARRAY_NAMES)[number];
export const CTORS = {
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
/** Arrays left in the file and read per hit. */
export const PAGED: ReadonlySet<ArrayName> = new Set(['positions', 'bodyBytes']);

/** The header of a segment file: where its arrays and documents lie. */
export interface SegmentHeader {
  format: number;
  documents: number;
  stats: IndexStats;
  /** Offsets count from `start` (the first byte after the header and its padding). */
  arrays: Record<ArrayName, { offset: number; length: number }>;
  docs: { offset: number; length: number };
}

export const corruptFile = (file: string, why: string) =>
  new SearchError('index_corrupt', `${file} is damaged (${why}); restore it or rebuild the index`);

/** Where a header of JSON length `hl` ends (arrays start there, aligned to 8). */
export const arraysStart = (hl: number) => 4 + hl + ((8 - ((4 + hl) % 8)) % 8);

function readFully(fd: number, into: Uint8Array, position: number): void {
  let off = 0;
  while (off < into.byteLength) {
    const n = readSync(fd, into, off, into.byteLength - off, position + off);
    if (n === 0) throw new Error(`unexpected end of file at ${position + off}`);
    off += n;
  }
}

/**
 * Verify a checksummed file by streaming through it (its content is not kept); returns the
 * content length. The same errors as store.ts's `verified`.
 */
export function verifyFileAt(file: string, fd: number): number {
  const size = fstatSync(fd).size;
  if (size < FOOTER) throw corruptFile(file, `${size} bytes, too short`);
  const at = size - FOOTER;
  const foot = Buffer.alloc(FOOTER);
  readFully(fd, foot, at);
  if (foot.readUInt32LE(0) !== MAGIC)
    throw corruptFile(file, 'no footer: cut short or not an index file');
  const length = foot.readDoubleLE(8);
  if (length !== at) throw corruptFile(file, `${at} bytes of content, the footer says ${length}`);
  const chunk = Buffer.allocUnsafe(Math.min(at, 4 << 20));
  let crc = 0;
  for (let pos = 0; pos < at; ) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.byteLength, at - pos), pos);
    if (n === 0) throw corruptFile(file, 'cut short while read');
    crc = crc32(chunk.subarray(0, n), crc);
    pos += n;
  }
  if (crc !== foot.readUInt32LE(4)) throw corruptFile(file, 'checksum mismatch');
  return at;
}

/** The content of a checksummed file; a clear error naming it when cut short or changed. */
export function verified(file: string, bytes: Buffer): Buffer {
  const corrupt = (why: string) => corruptFile(file, why);
  if (bytes.byteLength < FOOTER) throw corrupt(`${bytes.byteLength} bytes, too short`);
  const at = bytes.byteLength - FOOTER;
  if (bytes.readUInt32LE(at) !== MAGIC) throw corrupt('no footer: cut short or not an index file');
  const length = bytes.readDoubleLE(at + 8);
  if (length !== at) throw corrupt(`${at} bytes of content, the footer says ${length}`);
  const content = bytes.subarray(0, at);
  if (crc32(content) !== bytes.readUInt32LE(at + 4)) throw corrupt('checksum mismatch');
  return content;
}

/** What open keeps in memory of a segment file. */
export interface ResidentSegment {
  header: SegmentHeader;
  /** Absolute file offset of the arrays (header.arrays offsets count from here). */
  start: number;
  /** The arrays but the paged ones, each in its own buffer. */
  arrays: Partial<Record<ArrayName, ArrayBufferView>>;
  /** The documents, JSON. */
  docs: string;
}

/** Verify a segment file, then read its header, resident arrays and documents. */
export function readResident(file: string): ResidentSegment {
  const fd = openSync(file, 'r');
  try {
    verifyFileAt(file, fd);
    const len = Buffer.alloc(4);
    readFully(fd, len, 0);
    const hl = len.readUInt32LE(0);
    const json = Buffer.alloc(hl);
    readFully(fd, json, 4);
    const header = JSON.parse(json.toString('utf8')) as SegmentHeader;
    if (header.format !== FORMAT)
      throw new SearchError(
        'index_incompatible',
        `${file} has index format ${header.format}; this build reads format ${FORMAT}: rebuild the index`,
      );
    const start = arraysStart(hl);
    const arrays: ResidentSegment['arrays'] = {};
    for (const name of ARRAY_NAMES) {
      if (PAGED.has(name)) continue;
      const { offset, length } = header.arrays[name];
      const a = new CTORS[name](length);
      readFully(fd, new Uint8Array(a.buffer, 0, a.byteLength), start + offset);
      arrays[name] = a;
    }
    const docs = Buffer.alloc(header.docs.length);
    readFully(fd, docs, start + header.docs.offset);
    return { header, start, arrays, docs: docs.toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** A file a commit needs, as read: a segment's resident part, a live-docs file's bits, or none. */
export type CommitFile = ResidentSegment | Uint8Array | undefined;

/** Read one file a commit needs (verified): what openCommit takes. */
export function readCommitFile(file: string): CommitFile {
  if (!existsSync(file)) return undefined;
  if (file.endsWith('.seg')) return readResident(file);
  const content = verified(file, readFileSync(file));
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength).slice();
}

/**
 * The process's cache of paged reads (posting lists, bodies), bounded in bytes, least recently
 * used out first. One for all segments, so the bound holds whatever the segment count.
 */
export class PageCache {
  private readonly lru: LRUCache<string, Int32Array | Buffer> | null;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {
    this.lru =
      maxBytes > 0
        ? new LRUCache({ maxSize: maxBytes, sizeCalculation: (v) => Math.max(1, v.byteLength) })
        : null;
  }

  get<T extends Int32Array | Buffer>(key: string, read: () => T): T {
    const cached = this.lru?.get(key);
    if (cached) {
      this.hits++;
      return cached as T;
    }
    this.misses++;
    const value = read();
    this.lru?.set(key, value);
    return value;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }
}

/** Files are closed once their last reader is gone (a merged-away segment file is deleted then). */
const closer = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});
let fileIds = 0;

/** The paged arrays of one segment file, read on demand through a PageCache. */
export class SegmentFile implements PagedArrays {
  private readonly fd: number;
  private readonly id = (++fileIds).toString(36);
  readonly positionCount: number;
  readonly bodyByteCount: number;
  private readonly positionsAt: number;
  private readonly bodyAt: number;

  /** `header` and `start` as readResident gives them (the file is already verified). */
  constructor(
    readonly file: string,
    header: SegmentHeader,
    start: number,
    private readonly cache: PageCache,
  ) {
    this.fd = openSync(file, 'r');
    closer.register(this, this.fd);
    this.positionsAt = start + header.arrays.positions.offset;
    this.positionCount = header.arrays.positions.length;
    this.bodyAt = start + header.arrays.bodyBytes.offset;
    this.bodyByteCount = header.arrays.bodyBytes.length;
  }

  private read(position: number, bytes: number): Buffer {
    // Its own ArrayBuffer: aligned for any view, and not a slice of Node's shared pool.
    const buf = Buffer.from(new ArrayBuffer(bytes));
    readFully(this.fd, buf, position);
    return buf;
  }

  /** positions[from, to), uncached (the caller owns it). */
  readPositions(from: number, to: number): Int32Array {
    return new Int32Array(this.read(this.positionsAt + 4 * from, 4 * (to - from)).buffer);
  }

  /** positions[from, to) (one posting list): cached, never to be changed. */
  positions(from: number, to: number): Int32Array {
    if (from >= to) return new Int32Array(0);
    return this.cache.get(`${this.id}p${from}`, () => this.readPositions(from, to));
  }

  /** positions[from, to) sorted (one character's postings): cached, never to be changed. */
  sortedPositions(from: number, to: number): Int32Array {
    if (from >= to) return new Int32Array(0);
    return this.cache.get(`${this.id}s${from}`, () => this.readPositions(from, to).sort());
  }

  /** bodyBytes[from, to) (one body): cached, never to be changed. */
  bodyBytes(from: number, to: number): Buffer {
    return this.cache.get(`${this.id}b${from}`, () => this.read(this.bodyAt + from, to - from));
  }

  /** bodyBytes[from, to), uncached (the caller owns it). */
  readBodyBytes(from: number, to: number): Uint8Array {
    return new Uint8Array(this.read(this.bodyAt + from, to - from).buffer);
  }

  /** Both paged arrays whole (a merge's input, a segment written again). */
  readAll(): Pick<IndexArrays, 'positions' | 'bodyBytes'> {
    return {
      positions: this.readPositions(0, this.positionCount),
      bodyBytes: new Uint8Array(this.read(this.bodyAt, this.bodyByteCount).buffer),
    };
  }
}
