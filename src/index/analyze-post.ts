/** One post from file to analyzed article: the unit of work of indexing, in-process or in a worker. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAX_POST_BYTES, tooLarge } from '../ingest/decode.js';
import { fileHash, readPost } from '../ingest/post.js';
import { IngestError, type Article } from '../ingest/article.js';
import { analyzeText } from '../analysis/analyzer.js';
import type { AnalyzedArticle } from './builder.js';
import { titleTerms } from './vocabulary.js';

export interface PostRef {
  file: string;
  id: string;
  /** The hash of the version already indexed: a file with these bytes is not analyzed again. */
  knownHash?: string;
}

export type PostOutcome =
  | { ok: true; value: AnalyzedArticle; /** The page text outside the article, as read (for the write-ahead log). */ extra: string }
  | { ok: false; file: string; reason: string; /** The file is gone. */ missing?: boolean }
  | { ok: 'unchanged'; file: string };

/** Analysis of an ingested article (and the page text outside it). */
export function analyzeArticle(article: Article, extra: string): AnalyzedArticle {
  const title = analyzeText(article.title);
  return { article, title, body: analyzeText(article.body), extra: analyzeText(extra, false), titleTerms: titleTerms(article.title, title) };
}

export function analyzePost(ref: PostRef): PostOutcome {
  try {
    const raw = readSmallFile(ref.file);
    if (typeof raw === 'number') return { ok: false, file: ref.file, reason: tooLarge(raw) };
    const hash = fileHash(raw);
    if (hash === ref.knownHash) return { ok: 'unchanged', file: ref.file };
    const { article, extra } = readPost(raw, ref.file, ref.id);
    article.hash = hash;
    return { ok: true, value: analyzeArticle(article, extra), extra };
  } catch (e) {
    if (e instanceof IngestError) return { ok: false, file: e.file, reason: e.reason };
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return { ok: false, file: ref.file, reason: 'the file is gone', missing: true };
    return { ok: false, file: ref.file, reason: err.code ? `${err.code}: ${err.message}` : String(err.message ?? e) };
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
