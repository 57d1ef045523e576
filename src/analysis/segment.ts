/**
 * Word segmentation with jieba (docs/design.md, "Analysis": the step after normalization).
 *
 * Runs on normalized (Simplified) text because jieba's dictionary is Simplified. HMM is on:
 * without it jieba splits every unknown ASCII word into letters and misses new names.
 * We only keep *where words start*: the index matches characters, and word starts tell the
 * ranker whether a match is a whole word (处理) or only part of one (处理 inside 待处理).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { jiebaDictionary } from '../config.js';

// nodejieba is CommonJS with a native addon; load it through require so ESM interop stays plain.
const require = createRequire(import.meta.url);
const jieba = require('nodejieba') as typeof import('nodejieba') & {
  DEFAULT_DICT: string;
  DEFAULT_HMM_DICT: string;
  DEFAULT_USER_DICT: string;
};

let loaded = false;
/**
 * The main dictionary: jieba's own (349k words, Simplified), or the file JIEBA_DICT names, in
 * jieba's format (`word freq [tag]` per line). Read from the environment (config.ts) here, not
 * passed in, because indexing worker threads must segment with the same one.
 * It is part of the analyzer fingerprint. A small dictionary loads in 0.1 s instead of 2–3 s
 * (the durability test restarts the server 50 times with one) but segments worse.
 */
function mainDictionary(): string {
  return jiebaDictionary() ?? jieba.DEFAULT_DICT;
}

/**
 * Load jieba's dictionaries (once per thread; ~2 s, +250 MB). The keyword extractor's idf table
 * (6 MB) plays no part in cutting, so a one-line stand-in saves part of the load.
 */
export function loadSegmenter(): void {
  if (loaded) return;
  const idfStub = join(tmpdir(), 'zh-news-search-jieba-idf-stub.utf8');
  if (!existsSync(idfStub)) writeFileSync(idfStub, '的 1.0\n');
  jieba.load({
    dict: mainDictionary(),
    hmmDict: jieba.DEFAULT_HMM_DICT,
    userDict: jieba.DEFAULT_USER_DICT,
    idfDict: idfStub,
  });
  loaded = true;
}

/** A token of the normalized text, in code points. */
export interface Token {
  text: string;
  start: number;
  end: number;
}

/** Split `norm` into jieba tokens with code-point spans (tokens concatenate back to `norm`). */
export function segment(norm: string): Token[] {
  loadSegmenter();
  const words = jieba.cut(norm, true);
  const tokens: Token[] = [];
  let cp = 0;
  let u16 = 0;
  for (const w of words) {
    // jieba returns pieces of the input in order; if it ever dropped a character, resync.
    if (norm.startsWith(w, u16)) {
      const len = codePoints(w);
      tokens.push({ text: w, start: cp, end: cp + len });
      cp += len;
      u16 += w.length;
    } else {
      const at = norm.indexOf(w, u16);
      if (at < 0) continue;
      cp += codePoints(norm.slice(u16, at));
      u16 = at;
      const len = codePoints(w);
      tokens.push({ text: w, start: cp, end: cp + len });
      cp += len;
      u16 += w.length;
    }
  }
  return tokens;
}

/**
 * Word-start flags for `norm` (length = code points + 1, last flag set): the hot path of
 * indexing, so it skips building token objects.
 */
export function wordStartFlags(norm: string, length: number): Uint8Array {
  const flags = new Uint8Array(length + 1);
  loadSegmenter();
  const words = jieba.cut(norm, true);
  let cp = 0;
  let u16 = 0;
  for (const w of words) {
    flags[cp] = 1;
    cp += codePoints(w);
    u16 += w.length;
  }
  if (u16 !== norm.length || cp !== length) {
    // jieba did not give back exactly the input: fall back to locating each token.
    flags.fill(0);
    for (const t of segment(norm)) flags[t.start] = 1;
  }
  flags[length] = 1;
  return flags;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

const userWords = new Set<string>();

/**
 * Add words to jieba's dictionary at run time (normalized, i.e. Simplified: segmentation runs
 * on normalized text). They become part of the segmenter's identity, and so of the analyzer
 * fingerprint. Returns the words that were new.
 */
export function addUserWords(words: Iterable<string>): string[] {
  loadSegmenter();
  const added: string[] = [];
  for (const w of words) {
    if (userWords.has(w)) continue;
    jieba.insertWord(w);
    userWords.add(w);
    added.push(w);
  }
  if (added.length) {
    identityCache = undefined;
    for (const listener of userWordListeners) listener(added);
  }
  return added;
}

const userWordListeners = new Set<(words: string[]) => void>();
/** Be told of words added in this thread (analysis worker pools pass them on to their workers). */
export function onUserWords(listener: (words: string[]) => void): () => void {
  userWordListeners.add(listener);
  return () => userWordListeners.delete(listener);
}

export function userDictionaryWords(): string[] {
  return [...userWords].sort();
}

/** Identity of the segmenter: package version and the dictionaries' contents. */
let baseIdentity: string | undefined;
let identityCache: string | undefined;
export function segmenterIdentity(): string {
  if (identityCache) return identityCache;
  if (!baseIdentity) {
    const pkg = JSON.parse(readFileSync(require.resolve('nodejieba/package.json'), 'utf8')) as {
      version: string;
    };
    const h = createHash('sha256');
    h.update(`nodejieba@${pkg.version};hmm=on;`);
    for (const f of [mainDictionary(), jieba.DEFAULT_HMM_DICT, jieba.DEFAULT_USER_DICT])
      h.update(readFileSync(f));
    baseIdentity = h.digest('hex');
  }
  const words = userDictionaryWords();
  identityCache =
    words.length === 0
      ? baseIdentity.slice(0, 16)
      : createHash('sha256')
          .update(baseIdentity)
          .update(words.join('\n'))
          .digest('hex')
          .slice(0, 16);
  return identityCache;
}
