/**
 * Evaluation sets for pinyin suggestions and "did you mean", generated from the corpus index
 * (deterministic: the same index gives the same sets).
 *
 * (a) 300 frequent title terms: every 10th of the 3,000 most frequent vocabulary terms of 2–6
 *     Han characters, with their full pinyin (in context, pinyin-pro), initials and the first
 *     two syllables.
 * (b) 300 homophone typos: a term of the same 3,000 (in a seeded order), one character replaced
 *     by another character read the same (toneless) that occurs in the vocabulary, such that the
 *     typo is no vocabulary term and occurs nowhere in the corpus.
 */
import type { NewsIndex } from '../src/index/news-index.js';
import { readerOf, type IndexReader } from '../src/index/reader.js';
import { CharReadings, isHan, readingOf } from '../src/analysis/pinyin.js';
import { findTerm } from '../src/search/matcher.js';

export interface PinyinCase {
  term: string;
  full: string;
  initials: string;
  prefix2: string;
}

export interface TypoCase {
  typo: string;
  term: string;
}

const POOL = 3_000;
const SIZE = 300;

/** Mulberry32: a small seeded generator, so the sets do not change from run to run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frequentTerms(index: NewsIndex | IndexReader): string[] {
  const out: string[] = [];
  for (const e of readerOf(index).vocabulary) {
    const cps = Array.from(e.text);
    if (cps.length >= 2 && cps.length <= 6 && cps.every(isHan)) out.push(e.text);
    if (out.length === POOL) break;
  }
  return out;
}

export function pinyinCases(index: NewsIndex | IndexReader): PinyinCase[] {
  return frequentTerms(index)
    .filter((_, i) => i % 10 === 0)
    .slice(0, SIZE)
    .map((term) => {
      const syl = readingOf(term);
      return {
        term,
        full: syl.join(''),
        initials: syl.map((s) => s[0]).join(''),
        prefix2: syl.slice(0, 2).join(''),
      };
    });
}

export function typoCases(index: NewsIndex | IndexReader): TypoCase[] {
  const terms = frequentTerms(index);
  const { segments, vocabulary } = readerOf(index);
  const known = new Set(vocabulary.map((e) => e.text));
  // Characters of the vocabulary by each of their readings.
  const chars = new CharReadings();
  const byReading = new Map<string, string[]>();
  const seenChar = new Set<string>();
  for (const t of terms)
    for (const c of t) {
      if (seenChar.has(c)) continue;
      seenChar.add(c);
      for (const r of chars.of(c)) {
        const list = byReading.get(r);
        if (list) list.push(c);
        else byReading.set(r, [c]);
      }
    }
  const rand = random(17);
  const order = terms.map((t) => ({ t, k: rand() })).sort((a, b) => a.k - b.k);
  const out: TypoCase[] = [];
  const used = new Set<string>();
  for (const { t } of order) {
    if (out.length === SIZE) break;
    const cps = Array.from(t);
    const syl = readingOf(t);
    if (syl.length !== cps.length) continue;
    const at = Math.floor(rand() * cps.length);
    const options = (byReading.get(syl[at]) ?? []).filter((c) => c !== cps[at]);
    if (options.length === 0) continue;
    const typo = [
      ...cps.slice(0, at),
      options[Math.floor(rand() * options.length)],
      ...cps.slice(at + 1),
    ].join('');
    if (known.has(typo) || used.has(typo)) continue;
    const tcps = Array.from(typo, (c) => c.codePointAt(0)!);
    // Occurring nowhere, in any segment (dead copies included: stricter).
    if (segments.some((seg) => findTerm(seg.core.index, typo, tcps).docs.length > 0)) continue;
    used.add(typo);
    out.push({ typo, term: t });
  }
  return out;
}
