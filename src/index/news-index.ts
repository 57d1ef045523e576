/**
 * The in-memory index: a positional character-bigram index over normalized text, jieba word
 * starts, and the stored articles.
 *
 * Why characters and not only jieba words: jieba misses sub-words (处理 in 待处理) and substrings
 * that cross its word boundaries (市政 in 新竹市政府). Bigram postings with positions find every
 * verbatim occurrence of any string of two or more characters exactly (and single characters
 * through the bigrams they start), count it per field for BM25F, and give the offsets that
 * snippets highlight. jieba's word starts, kept per position, tell whole words from parts of
 * words at ranking time.
 *
 * Layout: all documents are laid end to end in one code-point space. Document d occupies
 * [docStarts[d], docStarts[d+1]): its title, its body, and the page text outside the article
 * (sidebars, link boxes: searchable, never shown), each followed by one separator.
 * The postings of bigram key k = id1 * K + id2 (K = charCount + 1; id2 = 0 when the first
 * character is followed by a non-word character) are the ascending global positions
 * positions[keyStarts[i] .. keyStarts[i+1]) where keys[i] = k.
 */
import type { Article } from '../ingest/article.js';
import { textSource, type TextSource } from './text-source.js';
import type { VocabularyEntry } from './vocabulary.js';
import { clearBit, getBit, lowerBound, setBit, upperBound } from './bitset.js';

/** An article as the index keeps it in memory: everything but the body, which stays encoded. */
export type StoredDoc = Omit<Article, 'body'>;

export interface IndexArrays {
  /** chars[id] = code point of character id (id 0 unused: non-word). */
  chars: Int32Array;
  keys: Float64Array;
  keyStarts: Uint32Array;
  /** Empty once the segment is paged out (NewsIndex.pageOut): read through postings(). */
  positions: Int32Array;
  /** Near-duplicate groups: the representative (earliest) document of d's group, or -1. */
  dupOf: Int32Array;
  /** LSH band hashes per document (DUP_BANDS each), for near-duplicates across segments. */
  dupBands: Uint32Array;
  /** 1 where document d has enough shingles to be grouped at all. */
  dupSigned: Uint8Array;
  /** Bit p (wordStarts[p >> 3] >> (p & 7)) is set where a jieba word starts at global position p. */
  wordStarts: Uint8Array;
  /** Bit p is set where position p holds no word character (space, punctuation, field end). */
  nonWord: Uint8Array;
  docStarts: Int32Array;
  bodyStarts: Int32Array;
  extraStarts: Int32Array;
  /**
   * Article bodies, UTF-16LE, end to end: a snippet decodes only the passage it shows (code-point
   * offsets are code-unit offsets in a body without astral characters). Smaller than UTF-8 for
   * Chinese text, too. Empty once the segment is paged out: read through body()/bodyText().
   */
  bodyBytes: Uint8Array;
  /** Body d is bodyBytes[bodyOffsets[d] .. bodyOffsets[d+1]). */
  bodyOffsets: Float64Array;
  /** 1 where body d has characters outside the BMP (then it is decoded whole). */
  bodyAstral: Uint8Array;
}

/**
 * The arrays of a committed segment left in its file (segment-file.ts) and read per hit:
 * the postings and the bodies.
 */
export interface PagedArrays {
  readonly file: string;
  readonly positionCount: number;
  readonly bodyByteCount: number;
  /** positions[from, to): one posting list, possibly cached (never to be changed). */
  positions(from: number, to: number): Int32Array;
  /** positions[from, to) in a new array the caller owns. */
  readPositions(from: number, to: number): Int32Array;
  /**
   * positions[from, to) sorted (one character's postings: the union of the bigrams it starts),
   * cached with the posting lists under the process's one bound (never to be changed).
   */
  sortedPositions(from: number, to: number): Int32Array;
  /** bodyBytes[from, to): one body, possibly cached (never to be changed). */
  bodyBytes(from: number, to: number): Buffer;
  /** bodyBytes[from, to) in a new array the caller owns. */
  readBodyBytes(from: number, to: number): Uint8Array;
  readAll(): Pick<IndexArrays, 'positions' | 'bodyBytes'>;
}

export interface IndexStats {
  avgTitleLength: number;
  avgBodyLength: number;
}

export const EMPTY = new Int32Array(0);
const NO_BYTES = new Uint8Array(0);
const SINGLE_CACHE_BYTES = 32 * 1024 * 1024;

export class NewsIndex {
  readonly charIds = new Map<number, number>();
  readonly keyBase: number;
  /** Publication time per document (ms since epoch; 0 when unknown), for tie-breaks and sorting. */
  readonly dateMs: Float64Array;
  /** The last write-ahead-log record this index holds (wal.ts); 0 for a freshly built index. */
  appliedSeq = 0;
  /**
   * The folders the index was built from (absolute paths). The folder watch deletes posts whose
   * file is gone only when it watches the one folder the index came from: ids are relative to
   * their folder, so with several sources a missing file says nothing.
   */
  sources: string[] = [];
  private readonly singleCache = new Map<number, Int32Array>();
  private singleBytes = 0;
  /**
   * Set once the segment is committed: `arrays.positions` and `arrays.bodyBytes` are then empty
   * and read from the file through this (postings(), bodyRange(), full()).
   */
  private paged: PagedArrays | null = null;

  constructor(
    readonly docs: StoredDoc[],
    readonly arrays: IndexArrays,
    readonly stats: IndexStats,
    /** The analyzer that built it; changes when the user dictionary does (reanalyze.ts). */
    public fingerprint: string,
    /** Title words and phrases for suggestions, most frequent first. */
    readonly vocabulary: VocabularyEntry[] = [],
  ) {
    const { chars } = arrays;
    for (let id = 1; id < chars.length; id++) this.charIds.set(chars[id], id);
    this.keyBase = chars.length;
    this.dateMs = Float64Array.from(docs, (d) => (d.date ? Date.parse(d.date) || 0 : 0));
  }

  /**
   * Leave the postings and bodies in the segment file from now on (a committed segment): they
   * are dropped from memory and read on demand. Queries running keep what they already hold.
   */
  pageOut(paged: PagedArrays): void {
    const held = this.arrays.positions.length > 0 || this.arrays.bodyBytes.length > 0;
    if (
      held &&
      (paged.positionCount !== this.positionCount || paged.bodyByteCount !== this.bodyByteCount)
    )
      throw new Error(`${paged.file} does not hold this segment's postings and bodies`);
    this.paged = paged;
    this.arrays.positions = EMPTY;
    this.arrays.bodyBytes = NO_BYTES;
  }

  /** The file the postings and bodies are read from, or null when they are in memory. */
  get pagedFile(): string | null {
    return this.paged?.file ?? null;
  }

  get positionCount(): number {
    return this.paged ? this.paged.positionCount : this.arrays.positions.length;
  }

  get bodyByteCount(): number {
    return this.paged ? this.paged.bodyByteCount : this.arrays.bodyBytes.length;
  }

  /** positions[from, to) (one key's postings; never to be changed). */
  postings(from: number, to: number): Int32Array {
    return this.paged ? this.paged.positions(from, to) : this.arrays.positions.subarray(from, to);
  }

  /** positions[from, to) past the cache (a merge reading a block): a view when in memory. */
  readPositions(from: number, to: number): Int32Array {
    return this.paged
      ? this.paged.readPositions(from, to)
      : this.arrays.positions.subarray(from, to);
  }

  /** bodyBytes[from, to) past the cache (a merge copying bodies): a view when in memory. */
  readBodyBytes(from: number, to: number): Uint8Array {
    return this.paged
      ? this.paged.readBodyBytes(from, to)
      : this.arrays.bodyBytes.subarray(from, to);
  }

  /** Every array, the paged ones read whole from the file (merges, a segment written again). */
  full(): IndexArrays {
    return this.paged ? { ...this.arrays, ...this.paged.readAll() } : this.arrays;
  }

  /** Body d's UTF-16LE bytes: a buffer and where in it the body starts. */
  private bodyRange(d: number): { bytes: Buffer; from: number; to: number } {
    const { bodyOffsets } = this.arrays;
    const from = bodyOffsets[d];
    const to = bodyOffsets[d + 1];
    if (this.paged) return { bytes: this.paged.bodyBytes(from, to), from: 0, to: to - from };
    const { bodyBytes } = this.arrays;
    return {
      bytes: Buffer.from(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength),
      from,
      to,
    };
  }

  /** The body text of document d, in its own script. */
  body(d: number): string {
    const { bytes, from, to } = this.bodyRange(d);
    return bytes.toString('utf16le', from, to);
  }

  /** The body of document d as code points read by range. */
  bodyText(d: number): TextSource {
    if (this.arrays.bodyAstral[d]) return textSource(this.body(d));
    const { bytes, from, to } = this.bodyRange(d);
    return {
      length: (to - from) / 2,
      slice: (a, b) => bytes.toString('utf16le', from + 2 * a, from + 2 * b),
    };
  }

  get size(): number {
    return this.docs.length;
  }

  titleStart(d: number): number {
    return this.arrays.docStarts[d];
  }
  bodyStart(d: number): number {
    return this.arrays.bodyStarts[d];
  }
  /** Exclusive end of the body (the separator after it). */
  bodyEnd(d: number): number {
    return this.arrays.extraStarts[d] - 1;
  }
  extraStart(d: number): number {
    return this.arrays.extraStarts[d];
  }
  titleLength(d: number): number {
    return this.arrays.bodyStarts[d] - this.arrays.docStarts[d] - 1;
  }
  bodyLength(d: number): number {
    return this.bodyEnd(d) - this.arrays.bodyStarts[d];
  }

  /** Whether a jieba word starts at global position p (or p ends a field). */
  wordStartsAt(p: number): boolean {
    return getBit(this.arrays.wordStarts, p);
  }

  setWordStart(p: number, on: boolean): void {
    if (on) setBit(this.arrays.wordStarts, p);
    else clearBit(this.arrays.wordStarts, p);
  }

  /** Whether position p holds no word character. */
  nonWordAt(p: number): boolean {
    return getBit(this.arrays.nonWord, p);
  }

  /** Index of the first key ≥ k. */
  private lowerKey(k: number): number {
    return lowerBound(this.arrays.keys, k);
  }

  /** Ascending positions where code point a is immediately followed by code point b. */
  bigram(a: number, b: number): Int32Array {
    const ia = this.charIds.get(a);
    const ib = this.charIds.get(b);
    if (ia === undefined || ib === undefined) return EMPTY;
    const k = ia * this.keyBase + ib;
    const i = this.lowerKey(k);
    if (i >= this.arrays.keys.length || this.arrays.keys[i] !== k) return EMPTY;
    return this.postings(this.arrays.keyStarts[i], this.arrays.keyStarts[i + 1]);
  }

  /**
   * Ascending positions of one code point: the union of the bigrams it starts (cached: in the
   * page cache for a committed segment, here for one in memory).
   */
  single(a: number): Int32Array {
    const cached = this.singleCache.get(a);
    if (cached) return cached;
    const ia = this.charIds.get(a);
    if (ia === undefined) return EMPTY;
    const from = this.arrays.keyStarts[this.lowerKey(ia * this.keyBase)];
    const to = this.arrays.keyStarts[this.lowerKey((ia + 1) * this.keyBase)];
    // A committed segment's in the process's page cache: a cache per segment would hold up to
    // SINGLE_CACHE_BYTES for each of them, a bound that grows with the segment count.
    if (this.paged) return this.paged.sortedPositions(from, to);
    const out = this.arrays.positions.slice(from, to).sort();
    // Bounded in count and bytes (a frequent character's list is large, and a copy).
    if (this.singleCache.size > 256 || this.singleBytes > SINGLE_CACHE_BYTES) {
      this.singleCache.clear();
      this.singleBytes = 0;
    }
    this.singleCache.set(a, out);
    this.singleBytes += out.byteLength;
    return out;
  }

  /** Document holding global position p (binary search over docStarts). */
  docAt(p: number, lo = 0): number {
    const { docStarts } = this.arrays;
    return upperBound(docStarts, p, lo + 1, docStarts.length) - 1;
  }
}
