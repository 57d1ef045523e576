/**
 * One post from file to analyzed article: the unit of work of indexing, in-process or in worker
 * threads. In workers it runs in two halves (analysis-pool.ts): `ingestPost` (read, parse,
 * normalize) in one thread and `segmentPost` (jieba) in another.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_POST_BYTES, tooLarge } from '../ingest/decode.js';
import { fileHash, readPost } from '../ingest/post.js';
import { IngestError, type Article } from '../ingest/article.js';
import { everyPositionStarts, normalizeText, type NormalizedText } from '../analysis/analyzer.js';
import { wordStartFlags } from '../analysis/segment.js';
import type { AnalyzedArticle } from './builder.js';

export interface PostRef {
  file: string;
  id: string;
  /** The hash of the version already indexed: a file with these bytes is not analyzed again. */
  knownHash?: string;
}

export type PostOutcome =
  | {
      ok: true;
      value: AnalyzedArticle /** The page text outside the article, as read (for the write-ahead log). */;
      extra: string;
      /** What was repaired to read the file (readPost's warnings). */
      warnings?: string[];
    }
  | { ok: false; file: string; reason: string /** The file is gone. */; missing?: boolean }
  | { ok: 'unchanged'; file: string };

/** An article already parsed (a write through the API) and the page text outside it. */
export type ArticleItem = [article: Article, extra: string];

/** A post read and normalized, not yet segmented. */
export interface IngestedPost {
  article: Article;
  /** The page text outside the article, as read (for the write-ahead log). */
  extra: string;
  title: NormalizedText;
  body: NormalizedText;
  extraCodePoints: Int32Array;
  /** What was repaired to read the file (readPost's warnings). */
  warnings?: string[];
}

export type IngestOutcome = { ok: true; value: IngestedPost } | Exclude<PostOutcome, { ok: true }>;

/** Word starts of the title and the body. */
export type PostWordStarts = [title: Uint8Array, body: Uint8Array];

export function normalizeArticle(article: Article, extra: string): IngestedPost {
  return {
    article,
    extra,
    title: normalizeText(article.title),
    body: normalizeText(article.body),
    extraCodePoints: normalizeText(extra).codePoints,
  };
}

export function segmentPost(post: IngestedPost): PostWordStarts {
  return [
    wordStartFlags(post.title.norm, post.title.codePoints.length),
    wordStartFlags(post.body.norm, post.body.codePoints.length),
  ];
}

export function finishPost(
  post: IngestedPost,
  [titleStarts, bodyStarts]: PostWordStarts,
): AnalyzedArticle {
  const title = { codePoints: post.title.codePoints, wordStarts: titleStarts };
  return {
    article: post.article,
    title,
    body: { codePoints: post.body.codePoints, wordStarts: bodyStarts },
    // Page text is searchable but not segmented: whole-word ranking does not matter there.
    extra: {
      codePoints: post.extraCodePoints,
      wordStarts: everyPositionStarts(post.extraCodePoints.length),
    },
  };
}

/** Analysis of an ingested article (and the page text outside it). */
export function analyzeArticle(article: Article, extra: string): AnalyzedArticle {
  const post = normalizeArticle(article, extra);
  return finishPost(post, segmentPost(post));
}

export function analyzePost(ref: PostRef): PostOutcome {
  const o = ingestPost(ref);
  return o.ok === true ? finishedOutcome(o.value, segmentPost(o.value)) : o;
}

/** The outcome of a post read and segmented. */
export function finishedOutcome(post: IngestedPost, starts: PostWordStarts): PostOutcome {
  const value = finishPost(post, starts);
  return post.warnings
    ? { ok: true, value, extra: post.extra, warnings: post.warnings }
    : { ok: true, value, extra: post.extra };
}

/** Read, parse and normalize a post file (everything but segmentation). */
export function ingestPost(ref: PostRef): IngestOutcome {
  try {
    const raw = readSmallFile(ref.file);
    if (typeof raw === 'number') return { ok: false, file: ref.file, reason: tooLarge(raw) };
    const hash = fileHash(raw);
    if (hash === ref.knownHash) return { ok: 'unchanged', file: ref.file };
    const { article, extra, warnings } = readPost(raw, ref.file, ref.id);
    article.hash = hash;
    const value = normalizeArticle(article, extra);
    if (warnings) value.warnings = warnings;
    return { ok: true, value };
  } catch (e) {
    if (e instanceof IngestError) return { ok: false, file: e.file, reason: e.reason };
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      return { ok: false, file: ref.file, reason: 'the file is gone', missing: true };
    return {
      ok: false,
      file: ref.file,
      reason: err.code ? `${err.code}: ${err.message}` : String(err.message ?? e),
    };
  }
}

/**
 * The file's bytes, or its size when over MAX_POST_BYTES (refused before reading it whole;
 * decodePost says the same of a buffer). One open and one fstat: a separate stat of the path
 * cost 0.4 s over the corpus.
 */
function readSmallFile(file: string): Buffer | number {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_POST_BYTES) return size;
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, null);
      if (n === 0) break; // shrank while we read
      got += n;
    }
    return got === size ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
