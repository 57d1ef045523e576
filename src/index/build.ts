/**
 * Building an index from folders of posts: list, ingest + analyze (in worker threads for large
 * folders), then build postings. Broken posts are reported by file name and skipped.
 *
 * buildIndex builds one in-memory index. buildSegments (`cli index`) keeps memory bounded
 * whatever the corpus: every `segmentDocs` posts become a segment, written to the index folder
 * and dropped from memory (its postings and bodies are read back from the file when needed),
 * merged as they accumulate by the tiered policy with a cap on the merged size; the near-duplicate
 * groups are brought up to date per segment (reader.ts), the title vocabulary is one tally over
 * every post. The result equals one built whole (test/segments.test.ts checks the equivalence). Merges stream
 * into their segment file (segment-merge.ts), so the largest merge adds only its per-document and
 * per-key arrays to memory, not its postings and bodies.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { listPosts } from '../ingest/files.js';
import { analyzerFingerprint } from '../analysis/analyzer.js';
import { IndexBuilder, type AnalyzedArticle } from './builder.js';
import { analyzePost, type PostRef, type PostOutcome } from './analyze-post.js';
import { AnalysisPool, pairsFor } from './analysis-pool.js';
import type { NewsIndex } from './news-index.js';
import { IndexReader, Segment, SegmentCore, nearDuplicateGroups, segmentName } from './reader.js';
import { mergeInto, mergePolicy } from './segments.js';
import { mergeSegmentsToFile } from './segment-merge.js';
import { adoptSegment, saveIndex, saveSegment, segmentFile, sharedPageCache } from './store.js';
import { VocabularyTally } from './vocabulary.js';

export interface BuildProblem {
  file: string;
  reason: string;
}

export interface BuildReport {
  posts: number;
  errors: BuildProblem[];
  /** Posts indexed after a repair (a stray control character in the front matter). */
  warnings: BuildProblem[];
  characters: number;
  seconds: number;
  /** Of `seconds`: the vocabulary's pinyin readings (main thread, beside the postings worker). */
  pinyinSeconds: number;
}

export interface BuildOptions {
  /** Worker threads (in ingest + segment pairs); 0 = in this thread. Default: in-process for small folders, else one per core. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * false: no pinyin readings in the vocabulary (they are then computed when the index first
   * serves pinyin); for measuring what they cost. Default true.
   */
  pinyin?: boolean;
  /** Each analyzed article, in index order (a database load stores them: backend/postgres.ts). */
  onArticle?: (article: AnalyzedArticle) => void;
}

const BATCH = 64;
/** Below this many posts, starting workers (a dictionary load per pair) costs more than it saves. */
const IN_PROCESS_MAX = 400;

/** The posts of the folders, duplicates ids reported. */
async function listAll(folders: string[], errors: BuildProblem[]): Promise<PostRef[]> {
  const refs: PostRef[] = [];
  const seen = new Map<string, string>();
  for (const folder of folders) {
    for (const ref of await listPosts(folder)) {
      const first = seen.get(ref.id);
      if (first) {
        errors.push({
          file: ref.file,
          reason: `duplicate id "${ref.id}" (already indexed from ${first})`,
        });
        continue;
      }
      seen.set(ref.id, ref.file);
      refs.push(ref);
    }
  }
  return refs;
}

/**
 * Analyze the posts (in workers for large folders), handing each analyzed article to `add` in
 * the order of `refs`, while the rest are still being analyzed.
 */
async function analyzeAll(
  refs: PostRef[],
  options: BuildOptions,
  errors: BuildProblem[],
  warnings: BuildProblem[],
  add: (a: AnalyzedArticle) => void,
): Promise<{ workers: number; characters: number }> {
  const workers = options.workers ?? (refs.length <= IN_PROCESS_MAX ? 0 : availableParallelism());
  let characters = 0;
  let taken = 0;
  const take = (outcomes: PostOutcome[]) => {
    for (const o of outcomes) {
      const ref = refs[taken++];
      if (o.ok === 'unchanged') continue; // not asked for here
      if (!o.ok) {
        errors.push({ file: o.file, reason: o.reason });
        continue;
      }
      for (const reason of o.warnings ?? []) warnings.push({ file: ref.file, reason });
      characters += o.value.title.codePoints.length + o.value.body.codePoints.length;
      add(o.value);
      options.onArticle?.(o.value);
    }
  };
  if (workers > 0) await analyzeInWorkers(refs, workers, options.onProgress, take);
  else take(analyzeHere(refs, options.onProgress));
  return { workers, characters };
}

export async function buildIndex(
  folders: string[],
  options: BuildOptions = {},
): Promise<{ index: NewsIndex; report: BuildReport }> {
  const started = performance.now();
  const errors: BuildProblem[] = [];
  const warnings: BuildProblem[] = [];
  const refs = await listAll(folders, errors);
  const builder = new IndexBuilder({ pinyin: options.pinyin });
  const { workers, characters } = await analyzeAll(refs, options, errors, warnings, (a) =>
    builder.add(a),
  );
  const index =
    workers > 0
      ? await builder.buildInParallel(analyzerFingerprint())
      : builder.build(analyzerFingerprint());
  index.sources = folders.map((f) => resolve(f));
  return {
    index,
    report: {
      posts: builder.count,
      errors,
      warnings,
      characters,
      seconds: (performance.now() - started) / 1000,
      pinyinSeconds: builder.pinyinSeconds,
    },
  };
}

export interface SegmentBuildOptions extends BuildOptions {
  /** Posts per written segment (default 20,000). */
  segmentDocs?: number;
  /** Segments of one size tier merged at once (default 5). */
  mergeFactor?: number;
  /** No merge makes a segment larger than this many posts (default 100,000). */
  maxMergedDocs?: number;
  /** IndexReader.appliedSeq of the commit (the log's last record: nothing to replay). */
  appliedSeq?: number;
}

/**
 * Build the folders' index into `dir` segment by segment (see above), then commit it; returns
 * the committed reader. Until the commit, a crash leaves the previous index in `dir` as it was.
 */
export async function buildSegments(
  folders: string[],
  dir: string,
  options: SegmentBuildOptions = {},
): Promise<{ reader: IndexReader; report: BuildReport }> {
  const started = performance.now();
  const errors: BuildProblem[] = [];
  const warnings: BuildProblem[] = [];
  const fingerprint = analyzerFingerprint();
  const segmentDocs = options.segmentDocs ?? 20_000;
  const policy = {
    mergeFactor: options.mergeFactor ?? 5,
    maxMergedDocs: options.maxMergedDocs ?? 100_000,
  };
  const refs = await listAll(folders, errors);
  const vocabulary = new VocabularyTally(options.pinyin ?? true);
  let builder = new IndexBuilder({ vocabulary });
  let posts = 0;
  let reader = new IndexReader({
    segments: [],
    buffered: false,
    fingerprint,
    appliedSeq: options.appliedSeq ?? 0,
    sources: folders.map((f) => resolve(f)),
    vocabulary: [],
    dupRep: new Int32Array(0),
  });
  // A full builder is sealed (postings in a worker thread) while the next one fills; sealing is
  // serial, and at most one builder waits, so memory holds about two segments' worth of posts.
  const seal = async (full: IndexBuilder) => {
    if (full.count === 0) return;
    posts += full.count;
    const index = await full.buildInParallel(fingerprint);
    const core = new SegmentCore(segmentName(), index);
    saveSegment(core, dir);
    const base = reader.maxDoc;
    const sealed = reader.with({ segments: [...reader.segments, Segment.whole(core)] });
    // The segment's own groups (found by its builder), then its documents against the others.
    const before = new Int32Array(base + index.size).fill(-1);
    before.set(reader.dupRep);
    index.arrays.dupOf.forEach((r, d) => {
      if (r >= 0) before[base + d] = base + r;
    });
    const fresh = Array.from({ length: index.size }, (_, d) => base + d);
    const dupRep = nearDuplicateGroups(sealed, before, (g) => g, fresh, true);
    reader = sealed.with({ dupRep });
    for (let picked = mergePolicy(reader, policy); picked; picked = mergePolicy(reader, policy)) {
      // Streamed into its file as it is merged: the merged segment is never whole in memory.
      const name = segmentName();
      const merged = mergeSegmentsToFile(
        picked.map((s) => ({ index: reader.segments[s].index, live: reader.segments[s].live })),
        fingerprint,
        segmentFile(dir, name),
        sharedPageCache(),
      );
      reader = mergeInto(reader, picked, merged, undefined, name);
      adoptSegment(reader.segments[picked[0]].core, dir);
    }
  };
  let sealing: Promise<void> = Promise.resolve();
  const { characters } = await analyzeAll(refs, options, errors, warnings, (a) => {
    builder.add(a);
    if (builder.count < segmentDocs) return;
    const full = builder;
    builder = new IndexBuilder({ vocabulary });
    sealing = sealing.then(() => seal(full));
    sealing.catch(() => {}); // awaited below: a failure surfaces there
  });
  await sealing;
  await seal(builder);
  reader = reader.with({ vocabulary: vocabulary.entries() });
  saveIndex(reader, dir);
  return {
    reader,
    report: {
      posts,
      errors,
      warnings,
      characters,
      seconds: (performance.now() - started) / 1000,
      pinyinSeconds: vocabulary.pinyinSeconds,
    },
  };
}

function analyzeHere(
  refs: PostRef[],
  onProgress?: (done: number, total: number) => void,
): PostOutcome[] {
  return refs.map((r, i) => {
    const o = analyzePost(r);
    if (onProgress && ((i + 1) % BATCH === 0 || i + 1 === refs.length))
      onProgress(i + 1, refs.length);
    return o;
  });
}

async function analyzeInWorkers(
  refs: PostRef[],
  count: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  onOutcomes: (outcomes: PostOutcome[]) => void,
): Promise<void> {
  const pool = new AnalysisPool(Math.min(pairsFor(count), Math.ceil(refs.length / BATCH)));
  try {
    await pool.analyze(refs, { onProgress, onOutcomes });
  } finally {
    await pool.close();
  }
}
