/**
 * Persistence in an index directory. Each save writes a new generation folder, fsyncs it, then
 * atomically replaces the one-line CURRENT file that names it; a crash at any point leaves the
 * previous CURRENT, and so the previous index, loadable. Older generations are removed after
 * the switch. Arrays are stored raw (little-endian, as in memory) so loading is one read.
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
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { NewsIndex, type IndexArrays, type IndexStats, type StoredDoc } from './news-index.js';
import type { VocabularyEntry } from './vocabulary.js';
import { SearchError } from '../errors.js';

const FORMAT = 8;
const ARRAY_NAMES = [
  'dupOf',
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

interface Manifest {
  format: number;
  fingerprint: string;
  createdAt: string;
  documents: number;
  /** The last write-ahead-log record the snapshot holds (wal.ts). */
  appliedSeq?: number;
  /** NewsIndex.sources. */
  sources?: string[];
  stats: IndexStats;
  arrays: Record<ArrayName, { offset: number; length: number }>;
  bytes: number;
}

function writeFileSynced(path: string, chunks: (Uint8Array | string)[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c) : c;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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

/** What a save writes: the generation's name, its files' contents, and the manifest. */
function savePlan(index: NewsIndex): {
  gen: string;
  files: [name: string, chunks: (Uint8Array | string)[]][];
} {
  const gen = `gen-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const chunks: Uint8Array[] = [];
  const layout = {} as Manifest['arrays'];
  let offset = 0;
  for (const name of ARRAY_NAMES) {
    const a = index.arrays[name];
    const pad = (8 - (offset % 8)) % 8; // keep every view aligned for its element size
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    layout[name] = { offset, length: a.length };
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
  }
  const manifest: Manifest = {
    format: FORMAT,
    fingerprint: index.fingerprint,
    createdAt: new Date().toISOString(),
    documents: index.size,
    appliedSeq: index.appliedSeq,
    sources: index.sources,
    stats: index.stats,
    arrays: layout,
    bytes: offset,
  };
  return {
    gen,
    files: [
      ['arrays.bin', chunks],
      ['docs.json', [JSON.stringify(index.docs)]],
      ['vocabulary.json', [JSON.stringify(index.vocabulary)]],
      // Last: a generation without its manifest is never named by CURRENT.
      ['manifest.json', [JSON.stringify(manifest, null, 2)]],
    ],
  };
}

/** Make `gen` current (atomic rename), then remove older generations. */
function switchTo(dir: string, gen: string): void {
  fsyncDir(join(dir, gen));
  const tmp = join(dir, `CURRENT.${gen}.tmp`);
  writeFileSynced(tmp, [gen + '\n']);
  renameSync(tmp, join(dir, 'CURRENT'));
  fsyncDir(dir);
  for (const entry of readdirSync(dir)) {
    if ((entry.startsWith('gen-') && entry !== gen) || entry.endsWith('.tmp')) {
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
}

export function saveIndex(index: NewsIndex, dir: string): string {
  const { gen, files } = savePlan(index);
  mkdirSync(join(dir, gen), { recursive: true });
  for (const [name, chunks] of files) writeFileSynced(join(dir, gen, name), chunks);
  switchTo(dir, gen);
  return join(dir, gen);
}

/**
 * The same, writing on the thread pool so the event loop keeps answering queries meanwhile
 * (a 16,000-post index is ~110 MB). `index` must not change until this resolves.
 */
export async function saveIndexAsync(index: NewsIndex, dir: string): Promise<string> {
  const { gen, files } = savePlan(index);
  await mkdir(join(dir, gen), { recursive: true });
  for (const [name, chunks] of files) {
    const fh = await open(join(dir, gen, name), 'w');
    try {
      for (const c of chunks) {
        const buf = typeof c === 'string' ? Buffer.from(c) : c;
        let off = 0;
        while (off < buf.byteLength)
          off += (await fh.write(buf, off, buf.byteLength - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  switchTo(dir, gen);
  return join(dir, gen);
}

/**
 * How many articles of the saved index came through the write API rather than from files (they
 * carry no file hash): what a rebuild from folders would lose. Reads the documents only.
 */
export function apiWrittenCount(dir: string): number {
  const { genDir } = currentGeneration(dir);
  const docs = JSON.parse(readFileSync(join(genDir, 'docs.json'), 'utf8')) as StoredDoc[];
  return docs.filter((d) => d.hash === undefined).length;
}

/** The last write-ahead-log record the saved index holds. */
export function savedAppliedSeq(dir: string): number {
  return currentGeneration(dir).manifest.appliedSeq ?? 0;
}

export function hasIndex(dir: string): boolean {
  return existsSync(join(dir, 'CURRENT'));
}

interface IndexFiles {
  genDir: string;
  manifest: Manifest;
  bin: Buffer;
  docsJson: string;
  vocabularyJson: string;
}

function currentGeneration(dir: string): { genDir: string; manifest: Manifest } {
  const currentFile = join(dir, 'CURRENT');
  if (!existsSync(currentFile))
    throw new SearchError(
      'index_missing',
      `no index in ${dir} (build one with: npm run cli -- index <folder> --out ${dir})`,
    );
  const genDir = join(dir, readFileSync(currentFile, 'utf8').trim());
  const manifest = JSON.parse(readFileSync(join(genDir, 'manifest.json'), 'utf8')) as Manifest;
  return { genDir, manifest };
}

function openIndex(
  { genDir, manifest, bin, docsJson, vocabularyJson }: IndexFiles,
  expectedFingerprint: string,
): NewsIndex {
  if (manifest.format !== FORMAT)
    throw new SearchError(
      'index_incompatible',
      `index format ${manifest.format} in ${genDir}; this build reads format ${FORMAT}: rebuild the index`,
    );
  if (manifest.fingerprint !== expectedFingerprint) {
    throw new SearchError(
      'index_incompatible',
      `index in ${genDir} was built by analyzer ${manifest.fingerprint}, this service runs ${expectedFingerprint}: rebuild the index`,
    );
  }
  if (bin.byteLength !== manifest.bytes)
    throw new SearchError(
      'index_corrupt',
      `${genDir}/arrays.bin has ${bin.byteLength} bytes, expected ${manifest.bytes}`,
    );
  // A fresh ArrayBuffer keeps every view aligned whatever Buffer pooling did.
  const aligned = bin.byteOffset % 8 === 0;
  const buffer = aligned
    ? bin.buffer
    : bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const base = aligned ? bin.byteOffset : 0;
  const arrays = {} as Record<ArrayName, unknown>;
  for (const name of ARRAY_NAMES) {
    const { offset, length } = manifest.arrays[name];
    arrays[name] = new CTORS[name](buffer as ArrayBuffer, base + offset, length);
  }
  const docs = JSON.parse(docsJson) as StoredDoc[];
  if (docs.length !== manifest.documents)
    throw new SearchError(
      'index_corrupt',
      `${genDir}/docs.json has ${docs.length} documents, expected ${manifest.documents}`,
    );
  const vocabulary = JSON.parse(vocabularyJson) as VocabularyEntry[];
  const index = new NewsIndex(
    docs,
    arrays as unknown as IndexArrays,
    manifest.stats,
    manifest.fingerprint,
    vocabulary,
  );
  index.appliedSeq = manifest.appliedSeq ?? 0;
  index.sources = manifest.sources ?? [];
  return index;
}

/** Load the current generation; refuses an index built by another analyzer. */
export function loadIndex(dir: string, expectedFingerprint: string): NewsIndex {
  const { genDir, manifest } = currentGeneration(dir);
  const bin = readFileSync(join(genDir, 'arrays.bin'));
  const docsJson = readFileSync(join(genDir, 'docs.json'), 'utf8');
  const vocabularyJson = readFileSync(join(genDir, 'vocabulary.json'), 'utf8');
  return openIndex({ genDir, manifest, bin, docsJson, vocabularyJson }, expectedFingerprint);
}

/**
 * The same, reading the files in a short-lived worker thread: the reads start before this
 * returns and go on while the caller's thread is busy (loading jieba's dictionary takes
 * seconds of synchronous work; fs.promises would wait for the event loop between chunks).
 */
export function loadIndexAsync(dir: string, expectedFingerprint: string): Promise<NewsIndex> {
  try {
    const { genDir, manifest } = currentGeneration(dir);
    const reader = new Worker(READER, {
      eval: true,
      workerData: {
        bin: join(genDir, 'arrays.bin'),
        docs: join(genDir, 'docs.json'),
        vocabulary: join(genDir, 'vocabulary.json'),
      },
    });
    return new Promise<NewsIndex>((ok, fail) => {
      reader.once(
        'message',
        ({
          bin,
          docsJson,
          vocabularyJson,
        }: {
          bin: ArrayBuffer;
          docsJson: string;
          vocabularyJson: string;
        }) => {
          try {
            ok(
              openIndex(
                { genDir, manifest, bin: Buffer.from(bin), docsJson, vocabularyJson },
                expectedFingerprint,
              ),
            );
          } catch (e) {
            fail(e);
          }
        },
      );
      reader.once('error', fail);
    }).finally(() => reader.terminate());
  } catch (e) {
    return Promise.reject(e);
  }
}

const READER = `
const { readFileSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const b = readFileSync(workerData.bin);
const bin = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
parentPort.postMessage({ bin, docsJson: readFileSync(workerData.docs, 'utf8'), vocabularyJson: readFileSync(workerData.vocabulary, 'utf8') }, [bin]);
`;
