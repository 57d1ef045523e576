/**
 * The segmented index, as Lucene and tantivy do it: a set of immutable segments (each a NewsIndex,
 * written once) with a live-docs bitset each, plus a small in-memory buffer segment that takes
 * new writes. An update or delete only clears the old copy's live bit; a merge (segment-merge.ts)
 * later purges dead documents.
 *
 * An IndexReader is one point in time: a list of segments with their live-docs. It is immutable;
 * a write makes a new reader sharing everything unchanged, so a query running on the old one
 * finishes on it. The reader owns what is derived from its segments, built when a segment is
 * created (flush or merge), never lazily on the first query after a write: per segment the id
 * map and the filter columns (SegmentCore); over all segments the near-duplicate groups and the
 * suggestion vocabulary.
 *
 * Documents have global numbers: segment s holds [bases[s], bases[s + 1]) (Lucene's docBase).
 * Collection statistics (live document count, total field lengths) are summed over the live
 * documents of every segment, so BM25F scores do not depend on how documents fall into segments.
 */
import { randomBytes } from 'node:crypto';
import { normalizeText } from '../analysis/analyzer.js';
import { Columns } from './columns.js';
import type { NewsIndex, IndexStats, StoredDoc } from './news-index.js';
import { clearBit, getBit, newBits, setBit, upperBound } from './bitset.js';
import { DUP_BANDS, nearDuplicatePair, unionFind, type DupCandidate } from './near-duplicates.js';
import type { VocabularyEntry } from './vocabulary.js';
import { Lexicon } from './lexicon.js';

/** A new segment name: unique, and sorting by creation time. */
export function segmentName(): string {
  return `seg-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** One segment's immutable data and what is derived from it alone. */
export class SegmentCore {
  readonly ids: Map<string, number>;
  readonly columns: Columns;
  /** Word starts rewritten in memory (user dictionary) since the segment file was written. */
  dirty = false;

  constructor(
    /** Its file's name; a new one when a changed segment is written again (store.ts). */
    public name: string,
    readonly index: NewsIndex,
  ) {
    this.ids = new Map(index.docs.map((d, i) => [d.id, i]));
    this.columns = new Columns(index.docs);
  }
}

/** A segment as one reader sees it: its data and live-docs. */
export class Segment {
  private constructor(
    readonly core: SegmentCore,
    /** Bit d set: document d is live; null: all are. */
    readonly live: Uint8Array | null,
    readonly liveCount: number,
    /** Code points in the titles and bodies of the live documents (for average lengths). */
    readonly titleTotal: number,
    readonly bodyTotal: number,
    /** Generation of the live-docs (bumped by each delete; 0 = none deleted). */
    readonly delGen: number,
  ) {}

  static whole(core: SegmentCore): Segment {
    const { index } = core;
    let titleTotal = 0;
    let bodyTotal = 0;
    for (let d = 0; d < index.size; d++) {
      titleTotal += index.titleLength(d);
      bodyTotal += index.bodyLength(d);
    }
    return new Segment(core, null, index.size, titleTotal, bodyTotal, 0);
  }

  /** The segment with live-docs as given (a loaded commit). */
  static withLive(core: SegmentCore, live: Uint8Array | null, delGen: number): Segment {
    const whole = Segment.whole(core);
    if (!live) return whole;
    let { liveCount, titleTotal, bodyTotal } = whole;
    for (let d = 0; d < core.index.size; d++) {
      if (getBit(live, d)) continue;
      liveCount--;
      titleTotal -= core.index.titleLength(d);
      bodyTotal -= core.index.bodyLength(d);
    }
    return new Segment(core, live, liveCount, titleTotal, bodyTotal, delGen);
  }

  get index(): NewsIndex {
    return this.core.index;
  }
  get name(): string {
    return this.core.name;
  }
  get size(): number {
    return this.core.index.size;
  }

  isLive(d: number): boolean {
    return this.live === null || getBit(this.live, d);
  }

  /** The same segment with documents `locals` marked dead (copy on write: readers share segments). */
  withDeleted(locals: number[]): Segment {
    const { index } = this.core;
    const live = this.live ? this.live.slice() : newBits(index.size).fill(0xff);
    let { liveCount, titleTotal, bodyTotal } = this;
    for (const d of locals) {
      if (!getBit(live, d)) continue;
      clearBit(live, d);
      liveCount--;
      titleTotal -= index.titleLength(d);
      bodyTotal -= index.bodyLength(d);
    }
    return new Segment(this.core, live, liveCount, titleTotal, bodyTotal, this.delGen + 1);
  }
}

export interface ReaderParts {
  segments: Segment[];
  /** Whether the last segment is the in-memory write buffer. */
  buffered: boolean;
  fingerprint: string;
  appliedSeq: number;
  sources: string[];
  vocabulary: VocabularyEntry[];
  /** Near-duplicate representative (global number) per document of the sealed segments, or -1. */
  dupRep: Int32Array;
  /**
   * Titles of sealed documents deleted since the last flush: the flush counts their terms out
   * of the vocabulary (as it counts the buffer's in).
   */
  removedTitles?: readonly string[];
  /** The suggestion tables (lexicon.ts); a writer keeps the last until the next is built. */
  lexicon?: Lexicon;
}

export class IndexReader {
  readonly segments: readonly Segment[];
  readonly buffered: boolean;
  /** Segment s holds global documents [bases[s], bases[s + 1]). */
  readonly bases: Int32Array;
  /** Live documents. */
  readonly size: number;
  readonly stats: IndexStats;
  fingerprint: string;
  appliedSeq: number;
  sources: string[];
  readonly vocabulary: VocabularyEntry[];
  readonly dupRep: Int32Array;
  readonly removedTitles: readonly string[];
  private lexiconSet: Lexicon | undefined;

  constructor(parts: ReaderParts) {
    this.lexiconSet = parts.lexicon;
    this.removedTitles = parts.removedTitles ?? [];
    this.segments = parts.segments;
    this.buffered = parts.buffered;
    this.fingerprint = parts.fingerprint;
    this.appliedSeq = parts.appliedSeq;
    this.sources = parts.sources;
    this.vocabulary = parts.vocabulary;
    this.dupRep = parts.dupRep;
    this.bases = new Int32Array(parts.segments.length + 1);
    let size = 0;
    let titleTotal = 0;
    let bodyTotal = 0;
    parts.segments.forEach((s, i) => {
      this.bases[i + 1] = this.bases[i] + s.size;
      size += s.liveCount;
      titleTotal += s.titleTotal;
      bodyTotal += s.bodyTotal;
    });
    this.size = size;
    const docCount = Math.max(1, size);
    this.stats = { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount };
  }

  /** A reader over one freshly built index: one segment, its near-duplicate groups and vocabulary. */
  static fromIndex(index: NewsIndex, name = segmentName()): IndexReader {
    return new IndexReader({
      segments: [Segment.whole(new SegmentCore(name, index))],
      buffered: false,
      fingerprint: index.fingerprint,
      appliedSeq: index.appliedSeq,
      sources: index.sources,
      vocabulary: index.vocabulary,
      dupRep: index.arrays.dupOf.slice(),
    });
  }

  /** The same reader with some parts replaced (the next point in time). */
  with(parts: Partial<ReaderParts>): IndexReader {
    return new IndexReader({
      segments: this.segments as Segment[],
      buffered: this.buffered,
      fingerprint: this.fingerprint,
      appliedSeq: this.appliedSeq,
      sources: this.sources,
      vocabulary: this.vocabulary,
      dupRep: this.dupRep,
      removedTitles: this.removedTitles,
      lexicon: this.lexiconSet,
      ...parts,
    });
  }

  /** What suggestions and corrections serve from: as set, else built now (a loaded reader). */
  get lexicon(): Lexicon {
    return (this.lexiconSet ??= Lexicon.build(this.vocabulary));
  }

  /** Whether the lexicon is that of the current vocabulary (not a previous one, nor unbuilt). */
  get lexiconCurrent(): boolean {
    return this.lexiconSet?.vocabulary === this.vocabulary;
  }

  /** All documents, live or not (global numbers run below this). */
  get maxDoc(): number {
    return this.bases[this.segments.length];
  }

  /** The segments written to disk (all but the buffer). */
  get sealed(): readonly Segment[] {
    return this.buffered ? this.segments.slice(0, -1) : this.segments;
  }

  get buffer(): Segment | null {
    return this.buffered ? this.segments[this.segments.length - 1] : null;
  }

  /** Segment holding global document g. */
  segmentOf(g: number): number {
    return upperBound(this.bases, g, 1, this.bases.length) - 1;
  }

  /** Global number of the live document with this id (newest segment first). */
  docNumber(id: string): number | undefined {
    for (let s = this.segments.length - 1; s >= 0; s--) {
      const seg = this.segments[s];
      const d = seg.core.ids.get(id);
      if (d !== undefined && seg.isLive(d)) return this.bases[s] + d;
    }
    return undefined;
  }

  isLive(g: number): boolean {
    const s = this.segmentOf(g);
    return this.segments[s].isLive(g - this.bases[s]);
  }

  doc(g: number): StoredDoc {
    const s = this.segmentOf(g);
    return this.segments[s].index.docs[g - this.bases[s]];
  }

  body(g: number): string {
    const s = this.segmentOf(g);
    return this.segments[s].index.body(g - this.bases[s]);
  }

  dateMs(g: number): number {
    const s = this.segmentOf(g);
    return this.segments[s].index.dateMs[g - this.bases[s]];
  }

  /** Near-duplicate representative of g (global), or -1. */
  dupOf(g: number): number {
    return g < this.dupRep.length ? this.dupRep[g] : -1;
  }

  /** The live documents in global order, as a new array (for listings; not by global number). */
  get docs(): StoredDoc[] {
    return Array.from(this.liveDocs());
  }

  /** Every live document, in global order. */
  *liveDocs(): Generator<StoredDoc> {
    for (const seg of this.segments)
      for (let d = 0; d < seg.size; d++) if (seg.isLive(d)) yield seg.index.docs[d];
  }
}

/** When a document counts as published for choosing a representative: unknown dates last. */
function when(ms: number): number {
  return ms > 0 || ms < 0 ? ms : Infinity;
}

/**
 * Normalized code points of documents compared for near-duplicates, by document object (a kept
 * document keeps its StoredDoc from reader to reader, and the next flush, usually of articles
 * published close to this one, meets the same candidates). Bounded: oldest dropped.
 */
class NormalizedCache {
  private readonly map = new Map<StoredDoc, DupCandidate>();
  constructor(private readonly limit: number) {}

  get(reader: IndexReader, g: number): DupCandidate {
    const doc = reader.doc(g);
    let c = this.map.get(doc);
    if (c) this.map.delete(doc);
    else
      c = {
        body: normalizeText(reader.body(g)).codePoints,
        title: normalizeText(doc.title).codePoints,
        date: reader.dateMs(g),
      };
    this.map.set(doc, c);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
    return c;
  }

  put(doc: StoredDoc, c: DupCandidate): void {
    this.map.set(doc, c);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value!);
  }
}

export const normalizedCache = new NormalizedCache(2048);

/**
 * Near-duplicate groups over every live document of `reader` (all its segments sealed), given
 * the groups of `before` (global numbers mapped by `oldToNew`, -1 for documents gone) and the
 * documents `fresh` (global numbers in `reader`) that were never compared. Equal to what
 * findNearDuplicates gives over all live documents: groups are the connected components of
 * candidate pairs (sharing an LSH band) that pass the pairwise test, so
 * - a group that lost members is split again from its remaining members' pairs;
 * - each fresh document is compared with every live document sharing a band with it (with
 *   `freshGrouped`, with every other one).
 * The representative is the earliest-dated member, then the smallest id.
 */
export function nearDuplicateGroups(
  reader: IndexReader,
  beforeRep: Int32Array,
  oldToNew: (g: number) => number,
  fresh: number[],
  /**
   * The fresh documents' groups among themselves are already in beforeRep (a segment built with
   * its own, builder.ts): they are compared only with the other documents.
   */
  freshGrouped = false,
): Int32Array {
  const n = reader.maxDoc;
  const { find, union } = unionFind(n);
  const bandsOf = (g: number): { bands: Uint32Array; at: number; signed: boolean } => {
    const s = reader.segmentOf(g);
    const d = g - reader.bases[s];
    const a = reader.segments[s].index.arrays;
    return { bands: a.dupBands, at: d * DUP_BANDS, signed: a.dupSigned[d] === 1 };
  };
  const shareBand = (x: number, y: number): boolean => {
    const a = bandsOf(x);
    const b = bandsOf(y);
    if (!a.signed || !b.signed) return false;
    for (let i = 0; i < DUP_BANDS; i++) if (a.bands[a.at + i] === b.bands[b.at + i]) return true;
    return false;
  };
  const tryPair = (x: number, y: number) => {
    if (find(x) === find(y)) return;
    if (nearDuplicatePair(normalizedCache.get(reader, x), normalizedCache.get(reader, y)))
      union(x, y);
  };

  // The earlier groups, in new numbers, without dead members.
  const members = new Map<number, number[]>();
  const broken = new Set<number>();
  for (let g = 0; g < beforeRep.length; g++) {
    const r = beforeRep[g];
    if (r < 0) continue;
    const m = oldToNew(g);
    let list = members.get(r);
    if (!list) members.set(r, (list = []));
    if (m < 0 || !reader.isLive(m)) broken.add(r);
    else list.push(m);
  }
  for (const [r, list] of members) {
    if (!broken.has(r)) {
      for (const m of list) union(list[0], m);
      continue;
    }
    // Lost a member: its remaining members' components, from their own pairs.
    for (let i = 0; i < list.length; i++)
      for (let j = 0; j < i; j++) if (shareBand(list[i], list[j])) tryPair(list[j], list[i]);
  }

  // Fresh documents against every live document sharing a band with them.
  if (fresh.length) {
    const tables = Array.from({ length: DUP_BANDS }, () => new Map<number, number[]>());
    // The scan below looks up every live document's bands (32 each): a bit per (band, hash)
    // slot of the fresh documents lets nearly all of them pass without a Map lookup, so a flush
    // of a few hundred documents costs milliseconds, not a second, at 500,000 documents.
    const filter = newBits(1 << FILTER_BITS);
    const slot = (band: number, h: number) =>
      Math.imul(h ^ Math.imul(band + 1, 0x85ebca6b), 0x9e3779b1) >>> (32 - FILTER_BITS);
    const isFresh = new Set(fresh);
    for (const g of fresh) {
      const b = bandsOf(g);
      if (!b.signed) continue;
      for (let i = 0; i < DUP_BANDS; i++) {
        const h = b.bands[b.at + i];
        setBit(filter, slot(i, h));
        const list = tables[i].get(h);
        if (list) list.push(g);
        else tables[i].set(h, [g]);
      }
    }
    for (let s = 0; s < reader.segments.length; s++) {
      const seg = reader.segments[s];
      const a = seg.index.arrays;
      for (let d = 0; d < seg.size; d++) {
        if (!a.dupSigned[d] || !seg.isLive(d)) continue;
        const g = reader.bases[s] + d;
        for (let i = 0; i < DUP_BANDS; i++) {
          const h = a.dupBands[d * DUP_BANDS + i];
          if (!getBit(filter, slot(i, h))) continue;
          const list = tables[i].get(h);
          if (!list) continue;
          for (const f of list) {
            if (f === g) continue;
            if (isFresh.has(g) && (freshGrouped || f > g)) continue;
            tryPair(f, g);
          }
        }
      }
    }
  }

  // Representatives: earliest date, then smallest id.
  const size = new Int32Array(n);
  for (let g = 0; g < n; g++) size[find(g)]++;
  const rep = new Int32Array(n).fill(-1);
  const best = new Map<number, number>();
  for (let g = 0; g < n; g++) {
    const root = find(g);
    if (size[root] < 2) continue;
    const cur = best.get(root);
    if (cur === undefined) {
      best.set(root, g);
      continue;
    }
    const tg = when(reader.dateMs(g));
    const tc = when(reader.dateMs(cur));
    if (tg < tc || (tg === tc && reader.doc(g).id < reader.doc(cur).id)) best.set(root, g);
  }
  for (let g = 0; g < n; g++) {
    const root = find(g);
    if (size[root] >= 2) rep[g] = best.get(root)!;
  }
  return rep;
}

/** log2 of the bits of nearDuplicateGroups' band filter (512 KB; a few hundred fresh documents' 32 bands each fill well under 1%). */
const FILTER_BITS = 22;

const wrapped = new WeakMap<NewsIndex, IndexReader>();

/**
 * The reader to search: itself, or for a single NewsIndex (a fresh build, a test's tiny index)
 * a one-segment reader over it, made once per index.
 */
export function readerOf(x: NewsIndex | IndexReader): IndexReader {
  if (x instanceof IndexReader) return x;
  let r = wrapped.get(x);
  if (!r) {
    r = IndexReader.fromIndex(x);
    wrapped.set(x, r);
  }
  return r;
}
