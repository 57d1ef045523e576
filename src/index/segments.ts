/**
 * The steps that make the next reader (reader.ts) of a segmented index:
 *
 * - applyChanges: a batch of writes. A put or delete of a document in a sealed segment clears
 *   its live bit (copy on write); the write buffer, a small segment in the NewsIndex layout, is
 *   remade with the buffer's removed documents cut out and the added ones laid after it
 *   (merge.ts, in time proportional to the buffer, not the index).
 * - flush: the buffer becomes a sealed segment; the reader's derived state is brought up to
 *   date then, not at query time: near-duplicate groups (the buffer's documents compared with
 *   every document sharing an LSH band with them; groups that lost members split again), the
 *   suggestion vocabulary and its lexicon (lexicon.ts: built here, or by the writer in a worker
 *   thread while the previous one serves).
 * - mergePolicy / merge: a tiered policy in the manner of Lucene's TieredMergePolicy picks
 *   segments of about the same size to merge (segment-merge.ts), purging dead documents.
 */
import { analyzeText } from '../analysis/analyzer.js';
import type { AnalyzedArticle } from './builder.js';
import { IndexBuilder } from './builder.js';
import { mergeIndex } from './merge.js';
import { mergeVocabulary } from './merge-vocabulary.js';
import type { NewsIndex } from './news-index.js';
import {
  type IndexReader,
  Segment,
  SegmentCore,
  nearDuplicateGroups,
  segmentName,
} from './reader.js';
import { mergeSegments } from './segment-merge.js';
import { Lexicon } from './lexicon.js';
import { titleTerms } from './vocabulary.js';
import type { WalRecord } from './wal.js';

const opId = (op: WalRecord) => (op.op === 'put' ? op.article.id : op.id);

/** An empty write buffer. */
function emptyIndex(fingerprint: string): NewsIndex {
  return new IndexBuilder().build(fingerprint);
}

/**
 * The reader after `records` (in seq order; the last change per id wins): deletes as live bits
 * in sealed segments, puts into the write buffer. `analyze` turns a put into an analyzed article.
 */
export async function applyChanges(
  reader: IndexReader,
  records: WalRecord[],
  analyze: (r: WalRecord & { op: 'put' }) => AnalyzedArticle | Promise<AnalyzedArticle>,
): Promise<IndexReader> {
  const last = new Map<string, WalRecord>();
  for (const r of records) {
    const id = opId(r);
    last.delete(id); // re-insert: the map's order becomes the order of each id's last change
    last.set(id, r);
  }
  const buffer = reader.buffer;
  const sealed = reader.sealed;
  const deleted = new Map<number, number[]>(); // sealed segment → documents to mark dead
  const removedTitles = [...reader.removedTitles];
  const bufferRemoved: number[] = [];
  for (const id of last.keys()) {
    const b = buffer?.core.ids.get(id);
    if (b !== undefined) bufferRemoved.push(b);
    for (let s = sealed.length - 1; s >= 0; s--) {
      const d = sealed[s].core.ids.get(id);
      if (d === undefined || !sealed[s].isLive(d)) continue;
      let list = deleted.get(s);
      if (!list) deleted.set(s, (list = []));
      list.push(d);
      removedTitles.push(sealed[s].index.docs[d].title);
      break;
    }
  }
  const added: AnalyzedArticle[] = [];
  for (const r of last.values()) if (r.op === 'put') added.push(await analyze(r));
  const segments = sealed.map((seg, s) => {
    const locals = deleted.get(s);
    return locals ? seg.withDeleted(locals) : seg;
  });
  let buffered = false;
  if (added.length || (buffer && bufferRemoved.length < buffer.size)) {
    const base = buffer?.index ?? emptyIndex(reader.fingerprint);
    const index = mergeIndex(base, bufferRemoved, added, { derived: false });
    segments.push(Segment.whole(new SegmentCore(buffer?.name ?? segmentName(), index)));
    buffered = true;
  }
  return reader.with({
    segments,
    buffered,
    removedTitles,
    appliedSeq: records.length ? records[records.length - 1].seq : reader.appliedSeq,
  });
}

/**
 * The buffer sealed as a segment, with the derived state of the whole reader brought up to date
 * (see above). A reader without a buffer or pending deletes is returned as it is.
 * `lexicon: 'keep'`: the new vocabulary's lexicon is left to the caller, which builds it in a
 * worker (writer.ts); meanwhile the reader serves the previous one.
 */
export function flush(
  reader: IndexReader,
  options: { lexicon?: 'build' | 'keep' } = {},
): IndexReader {
  const buffer = reader.buffer;
  if (!buffer && reader.removedTitles.length === 0) return reader;
  const addedTerms = buffer
    ? buffer.index.docs.map((d) => titleTerms(d.title, analyzeText(d.title)))
    : [];
  const removedTerms = reader.removedTitles.map((t) => titleTerms(t, analyzeText(t)));
  const vocabulary =
    addedTerms.length || removedTerms.length
      ? mergeVocabulary(reader.vocabulary, removedTerms, addedTerms)
      : reader.vocabulary;
  const sealed = reader.with({ buffered: false, vocabulary, removedTitles: [] });
  const next =
    vocabulary === reader.vocabulary || options.lexicon === 'keep'
      ? sealed // the reader's lexicon carried over
      : sealed.with({ lexicon: Lexicon.build(vocabulary) });
  buffer?.core.columns.prepare(); // a sealed segment's filter values, normalized now
  const fresh: number[] = [];
  if (buffer) {
    const base = sealed.bases[sealed.segments.length - 1];
    for (let d = 0; d < buffer.size; d++) fresh.push(base + d);
  }
  const dupRep = nearDuplicateGroups(sealed, reader.dupRep, (g) => g, fresh);
  return next.with({ dupRep });
}

export interface MergePolicyOptions {
  /** Segments of one tier merged at once (Lucene's segmentsPerTier / mergeFactor). */
  mergeFactor?: number;
  /** Segments below this many documents all count as the smallest tier. */
  floorDocs?: number;
  /** A segment with more than this share of dead documents is merged (purged) on its own. */
  maxDeletedShare?: number;
  /**
   * No merge makes a segment of more live documents than this (Lucene's maxMergedSegmentMB):
   * bounds what a merge holds in memory. Default: no bound.
   */
  maxMergedDocs?: number;
}

/** What the merge policy looks at: each sealed segment's size, with and without dead documents. */
export interface SegmentSizes {
  readonly sealed: readonly { readonly size: number; readonly liveCount: number }[];
}

/**
 * Which sealed segments to merge next (positions in the reader), or null. Tiers by size
 * (×mergeFactor each, from floorDocs): within a tier, mergeFactor segments of similar size are
 * merged, smallest first, so every document is copied about log(N) times in all; a segment that
 * is mostly dead is purged alone. A window whose largest segment holds more than half of its
 * documents is skipped (Lucene's TieredMergePolicy scores such skew as bad): otherwise a large
 * segment would be copied again with nine tiny ones at every tenth flush. Sizes below
 * floorDocs / mergeFactor count as that, so tiny segments still merge freely among themselves.
 */
export function mergePolicy(
  reader: SegmentSizes,
  options: MergePolicyOptions = {},
): number[] | null {
  const factor = options.mergeFactor ?? 10;
  const floor = options.floorDocs ?? 2000;
  const maxDeleted = options.maxDeletedShare ?? 0.5;
  const maxDocs = options.maxMergedDocs ?? Infinity;
  const sealed = reader.sealed;
  for (let s = 0; s < sealed.length; s++) {
    const seg = sealed[s];
    if (seg.size > 0 && (seg.size - seg.liveCount) / seg.size > maxDeleted) return [s];
  }
  const weight = (s: number) => Math.max(sealed[s].liveCount, floor / factor);
  const tiers = new Map<number, number[]>();
  sealed.forEach((seg, s) => {
    const tier = Math.floor(Math.log(Math.max(seg.liveCount, floor) / floor) / Math.log(factor));
    let list = tiers.get(tier);
    if (!list) tiers.set(tier, (list = []));
    list.push(s);
  });
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const list = tiers.get(tier)!.sort((a, b) => sealed[a].liveCount - sealed[b].liveCount);
    for (let i = 0; i + factor <= list.length; i++) {
      const window = list.slice(i, i + factor);
      let docs = 0;
      let total = 0;
      for (const s of window) {
        docs += sealed[s].liveCount;
        total += weight(s);
      }
      if (docs > maxDocs) break; // later windows only hold more
      if (weight(window[factor - 1]) > total / 2) continue;
      return window.sort((a, b) => a - b);
    }
  }
  return null;
}

/**
 * The segments at `picked` (sealed, ascending positions in `reader`) replaced by `merged`, made
 * from them with the live-docs `liveAtStart` (one per picked segment; a merge in a worker starts
 * from an older reader). Documents deleted since then are marked dead in the merged segment;
 * near-duplicate groups are carried over to the new numbers.
 */
export function mergeInto(
  reader: IndexReader,
  picked: number[],
  merged: NewsIndex,
  liveAtStart: (Uint8Array | null)[] = picked.map((s) => reader.segments[s].live),
  /** The merged segment's name (a merge written to its file already has one). */
  name = segmentName(),
): IndexReader {
  const segments = reader.segments as Segment[];
  const pickedSet = new Set(picked);
  const isLiveAtStart = (k: number, d: number) => {
    const live = liveAtStart[k];
    return live === null || ((live[d >> 3] >> (d & 7)) & 1) === 1;
  };
  // Merged documents deleted since the merge started.
  const deletedSince: number[] = [];
  {
    let at = 0;
    picked.forEach((s, k) => {
      const seg = segments[s];
      for (let d = 0; d < seg.size; d++) {
        if (!isLiveAtStart(k, d)) continue;
        if (!seg.isLive(d)) deletedSince.push(at);
        at++;
      }
    });
    if (at !== merged.size)
      throw new Error(`merge: ${merged.size} documents merged, ${at} expected`);
  }
  const core = new SegmentCore(name, merged);
  core.columns.prepare();
  let mergedSegment = Segment.whole(core);
  if (deletedSince.length) mergedSegment = mergedSegment.withDeleted(deletedSince);
  const next: Segment[] = [];
  segments.forEach((seg, s) => {
    // Segments whose documents were all deleted (a purge) leave no empty segment behind.
    if (s === picked[0] && merged.size > 0) next.push(mergedSegment);
    else if (!pickedSet.has(s)) next.push(seg);
  });
  const result = reader.with({ segments: next });
  // Old global number → new one (-1 for a purged document).
  const map = new Int32Array(reader.maxDoc).fill(-1);
  const mergedBase = result.bases[picked[0]]; // segments before it are unpicked
  let at = 0;
  picked.forEach((s, k) => {
    const seg = segments[s];
    for (let d = 0; d < seg.size; d++)
      if (isLiveAtStart(k, d)) map[reader.bases[s] + d] = mergedBase + at++;
  });
  segments.forEach((seg, s) => {
    if (pickedSet.has(s)) return;
    const to = result.bases[next.indexOf(seg)];
    for (let d = 0; d < seg.size; d++) map[reader.bases[s] + d] = to + d;
  });
  const sealedMax = reader.buffered ? reader.bases[segments.length - 1] : reader.maxDoc;
  const before = reader.dupRep.subarray(0, sealedMax);
  const dupRep = nearDuplicateGroups(result, before, (g) => map[g], []);
  // The buffer's documents are not grouped until it is flushed.
  const sealedAfter = result.buffered ? result.bases[next.length - 1] : result.maxDoc;
  return result.with({ dupRep: dupRep.subarray(0, sealedAfter).slice() });
}

/** Merge the segments at `picked` in this thread. */
export function mergeNow(reader: IndexReader, picked: number[]): IndexReader {
  const merged = mergeSegments(
    picked.map((s) => ({ index: reader.segments[s].index, live: reader.segments[s].live })),
    reader.fingerprint,
  );
  return mergeInto(reader, picked, merged);
}
