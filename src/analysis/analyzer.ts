/**
 * The one analyzer for documents and queries: normalize → OpenCC → jieba, composed once here.
 * Documents become normalized code points plus word-start flags; queries become runs of word
 * characters (the parts every hit must contain) with their jieba words.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { normalize } from './normalize.js';
import { segment, segmenterIdentity, wordStartFlags } from './segment.js';

/** Bump when anything here changes what the index holds for the same text. */
const ANALYZER_VERSION = 4;

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const wordCharCache = new Map<number, boolean>();

/** Letters, digits and marks are indexed; spaces, punctuation and symbols only separate. */
export function isWordCodePoint(cp: number): boolean {
  let v = wordCharCache.get(cp);
  if (v === undefined) {
    v = WORD_CHAR.test(String.fromCodePoint(cp));
    wordCharCache.set(cp, v);
  }
  return v;
}

export interface AnalyzedText {
  /** Normalized code points, one per code point of the original text. */
  codePoints: Int32Array;
  /** wordStarts[i] = 1 where a jieba word starts at i; wordStarts[length] = 1. */
  wordStarts: Uint8Array;
}

/** The normalization half of analysis: the normalized text and its code points. */
export interface NormalizedText {
  norm: string;
  codePoints: Int32Array;
}

/**
 * Normalize `text` (one code point of output per code point of input). Split from segmentation
 * so a worker pipeline can normalize in one thread and segment in another (analysis-pool.ts).
 */
export function normalizeText(text: string): NormalizedText {
  const norm = normalize(text);
  const codePoints = new Int32Array(norm.length);
  let n = 0;
  for (let i = 0; i < norm.length; i++) {
    const c = norm.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < norm.length) {
      codePoints[n++] = norm.codePointAt(i)!;
      i++;
    } else codePoints[n++] = c;
  }
  return { norm, codePoints: n === norm.length ? codePoints : codePoints.slice(0, n) };
}

/** Word starts of everything: for page text outside the article, which is not segmented. */
export function everyPositionStarts(length: number): Uint8Array {
  return new Uint8Array(length + 1).fill(1);
}

/**
 * Normalized code points and word starts of `text`. `segmentWords: false` skips jieba and
 * treats every position as a word start: for page text outside the article, where whole-word
 * ranking does not matter and segmenting it would only cost indexing time.
 */
export function analyzeText(text: string, segmentWords = true): AnalyzedText {
  const { norm, codePoints } = normalizeText(text);
  const n = codePoints.length;
  return {
    codePoints,
    wordStarts: segmentWords ? wordStartFlags(norm, n) : everyPositionStarts(n),
  };
}

/** A run of word characters in a query: every hit must contain it, verbatim or word by word. */
export interface QueryPart {
  /** Normalized text of the run. */
  text: string;
  codePoints: number[];
  /** jieba words of the run (normalized), in order. */
  words: string[];
}

/** Split a query into its parts: maximal runs of word characters, analyzed like documents. */
export function analyzeQuery(query: string): QueryPart[] {
  const norm = normalize(query);
  const parts: QueryPart[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const text = String.fromCodePoint(...run);
    const words = segment(text).map((t) => t.text);
    parts.push({ text, codePoints: run, words });
    run = [];
  };
  for (const ch of norm) {
    const cp = ch.codePointAt(0)!;
    if (isWordCodePoint(cp)) run.push(cp);
    else flush();
  }
  flush();
  return parts;
}

/**
 * Build what the analyzer builds on first use (normalization's OpenCC tables, ~0.15 s) now: a
 * server calls it while its index files are still being read, so the first query does not.
 * Needs the segmenter loaded.
 */
export function warmAnalyzer(): void {
  analyzeQuery('臺灣數位身分證');
}

/** Version of an installed package (its exports map may hide package.json from require.resolve). */
function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

let fingerprintCache: [segmenter: string, fingerprint: string] | undefined;

/** Identity of this analyzer; stored with an index and checked when it is loaded. */
export function analyzerFingerprint(): string {
  const segmenter = segmenterIdentity();
  if (fingerprintCache && fingerprintCache[0] === segmenter) return fingerprintCache[1];
  const fingerprint = createHash('sha256')
    .update(
      `analyzer=${ANALYZER_VERSION};opencc-js@${packageVersion('opencc-js')};tw->cn;fullwidth,lower;`,
    )
    .update(segmenter)
    .digest('hex')
    .slice(0, 16);
  fingerprintCache = [segmenter, fingerprint];
  return fingerprint;
}
