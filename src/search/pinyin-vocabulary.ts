/**
 * The suggestion vocabulary by pinyin, for completing what readers type before picking
 * characters and for "did you mean": lookups over a reader's lexicon (src/index/lexicon.ts:
 * every entry under its full pinyin without spaces, its initials, the other readings of
 * heteronyms, `u` for `ü`), which a flush builds off the query thread.
 */
import { partitionPoint } from '../index/bitset.js';
import { INITIALS, OTHER, type Lexicon, type LexiconTables } from '../index/lexicon.js';
import type { VocabularyEntry } from '../index/vocabulary.js';
import { CharReadings, isHan } from '../analysis/pinyin.js';

/** Readings of characters outside the vocabulary, shared by every index of the process. */
let otherChars: CharReadings | undefined;

/**
 * Tiers of a match, best first: the reading in context, with the syllables typed (spaces,
 * apostrophes, or the longest syllables read off the letters) on the term's syllable bounds
 * (hang → 航空 before 韩国); then across them; then another reading of a heteronym; initials
 * of text typed as whole syllables last.
 */
export const TIER = { aligned: 0, across: 1, otherReading: 2, otherAcross: 3 } as const;

export interface Match {
  entry: number;
  tier: number;
}

export class PinyinVocabulary {
  readonly entries: readonly VocabularyEntry[];
  private readonly built: LexiconTables;

  constructor(private readonly lexicon: Lexicon) {
    this.entries = lexicon.vocabulary;
    this.built = lexicon.tables;
  }

  get maxKeyLength(): number {
    return this.built.maxKeyLength;
  }

  private tables(): LexiconTables {
    return this.built;
  }

  /** The first key not below `prefix`. */
  private lowerBound(prefix: string): number {
    const { blob, offsets } = this.tables();
    return partitionPoint(
      0,
      offsets.length - 1,
      (m) => blob.slice(offsets[m], offsets[m + 1] - 1) < prefix,
    );
  }

  /**
   * Entries whose full pinyin or initials start with `typed` (letters, with spaces or
   * apostrophes between syllables if the user typed them; ü as v or u): at most `limit`, best
   * tier first, then in vocabulary order (most frequent first).
   */
  complete(typed: string, limit: number): Match[] {
    const letters = typed.replace(/[\s']+/g, '');
    const best = new TopK(limit);
    if (letters === '') return [];
    const typedBounds = this.boundsOf(typed);
    const { entries } = this;
    const { blob, offsets, keyEntry, keyTier, keyReading } = this.tables();
    const n = offsets.length - 1;
    for (let k = this.lowerBound(letters); k < n && blob.startsWith(letters, offsets[k]); k++) {
      const other = keyTier[k] === OTHER;
      const i = keyEntry[k];
      // The cheap test first: most keys of a short prefix cannot enter the top `limit`.
      if (!best.wouldTake(other ? TIER.otherReading : TIER.aligned, i)) continue;
      const reading = keyReading[k];
      let aligned: boolean;
      if (reading === INITIALS) aligned = typedBounds === null;
      else if (typedBounds === null) aligned = true;
      else {
        const e = entries[i];
        const r = reading === 0 ? e.py! : e.pyAlt![reading - 1];
        aligned = sameBounds(r, typedBounds, letters.length);
      }
      const tier = other
        ? aligned
          ? TIER.otherReading
          : TIER.otherAcross
        : aligned
          ? TIER.aligned
          : TIER.across;
      best.offer(tier, i);
    }
    return best.items;
  }

  /**
   * Where the syllables typed end inside the text (the end of the text excluded): at spaces and
   * apostrophes, else as the fewest (so longest) syllables read the letters, the last one
   * possibly begun only; null when the letters are no pinyin (initials, English).
   */
  private boundsOf(typed: string): number[] | null {
    const chunks = typed.split(/[\s']+/).filter(Boolean);
    const bounds: number[] = [];
    let at = 0;
    for (let c = 0; c < chunks.length; c++) {
      const split = this.split(chunks[c], c === chunks.length - 1);
      if (!split) return null;
      for (const s of split) {
        at += s.length;
        bounds.push(at);
      }
    }
    bounds.pop();
    return bounds;
  }

  /**
   * Entries starting with the characters `chars` (normalized) whose next syllables start with
   * the pinyin `typed`, in full or by initials (数字 + sfz → 数字身份证).
   */
  completeMixed(chars: string, typed: string, limit: number): Match[] {
    const best = new TopK(limit);
    const { entries } = this;
    const { byText } = this.tables();
    const skip = Array.from(chars).length;
    for (
      let k = this.firstText(chars);
      k < byText.length && entries[byText[k]].text.startsWith(chars);
      k++
    ) {
      const i = byText[k];
      const e = entries[i];
      if (e.py === undefined) continue;
      const syl = e.py.split(' ');
      if (syl.length !== Array.from(e.text).length || syl.length <= skip) continue;
      const rest = syl.slice(skip);
      const full = rest.join('');
      if (
        full.startsWith(typed) ||
        full.replaceAll('v', 'u').startsWith(typed) ||
        rest
          .map((s) => s[0])
          .join('')
          .startsWith(typed)
      )
        best.offer(TIER.aligned, i);
    }
    return best.items;
  }

  /** The first position in text order whose entry's text is not below `text`. */
  private firstText(text: string): number {
    return this.lexicon.firstText(text);
  }

  /** The entry whose text is `text` (normalized), if any. */
  entryOf(text: string): VocabularyEntry | undefined {
    const { entries } = this;
    const { byText } = this.tables();
    const lo = this.firstText(text);
    const e = lo < byText.length ? entries[byText[lo]] : undefined;
    return e?.text === text ? e : undefined;
  }

  /**
   * Entries of Han characters read exactly `full` (pinyin without spaces, ü as v), readings in
   * context first, then in vocabulary order.
   */
  readAs(full: string): number[] {
    const { entries } = this;
    const { blob, offsets, keyEntry, keyReading } = this.tables();
    const out: number[] = [];
    for (
      let k = this.lowerBound(full);
      k < offsets.length - 1 &&
      offsets[k + 1] - 1 - offsets[k] === full.length &&
      blob.startsWith(full, offsets[k]);
      k++
    ) {
      const r = keyReading[k];
      if (r === INITIALS) continue;
      const e = entries[keyEntry[k]];
      const reading = r === 0 ? e.py! : e.pyAlt![r - 1];
      // Not the u-for-ü spelling; Han throughout.
      if (reading.replaceAll(' ', '') !== full || !Array.from(e.text).every(isHan)) continue;
      if (!out.includes(keyEntry[k])) out.push(keyEntry[k]);
    }
    return out;
  }

  /**
   * Toneless readings of a Han character: as the vocabulary reads it, else (a character in no
   * title term) pinyin-pro's, which then loads (~7 MB of heap for its dictionaries).
   */
  readingsOf(c: string): readonly string[] {
    return this.tables().charReadings.get(c) ?? (otherChars ??= new CharReadings()).of(c);
  }

  /**
   * `typed` (letters, apostrophes and spaces) split into the vocabulary's syllables, or null
   * when it is not pinyin throughout. Spaces and apostrophes are syllable bounds.
   */
  syllablesOf(typed: string): string[] | null {
    const out: string[] = [];
    for (const chunk of typed.split(/[\s']+/)) {
      if (chunk === '') continue;
      const s = this.split(chunk);
      if (!s) return null;
      out.push(...s);
    }
    return out.length ? out : null;
  }

  /**
   * Split letters into syllables, preferring fewer, then longer first (xian, not xi an; fang an,
   * not fan gan); `partial`: the last may be only begun. Null when impossible.
   */
  private split(letters: string, partial = false): string[] | null {
    const n = letters.length;
    const best: (string[] | null)[] = new Array(n + 1).fill(null);
    best[0] = [];
    for (let i = 0; i < n; i++) {
      const before = best[i];
      if (!before) continue;
      for (let len = 6; len >= 1; len--) {
        if (i + len > n) continue;
        const s = letters.slice(i, i + len);
        const { syllables, syllablePrefixes } = this.tables();
        const ok = syllables.has(s) || (partial && i + len === n && syllablePrefixes.has(s));
        if (!ok) continue;
        const cand = [...before, s];
        const cur = best[i + len];
        if (
          !cur ||
          cand.length < cur.length ||
          (cand.length === cur.length && longerFirst(cand, cur))
        )
          best[i + len] = cand;
      }
    }
    return best[n];
  }
}

/** Whether `a`'s first syllable of a different length from `b`'s is the longer. */
function longerFirst(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++)
    if (a[i].length !== b[i].length) return a[i].length > b[i].length;
  return false;
}

/** Whether the syllable bounds of `reading` inside the first `length` letters are `bounds`. */
function sameBounds(reading: string, bounds: readonly number[], length: number): boolean {
  let at = 0;
  let b = 0;
  for (let i = 0; i < reading.length; i++) {
    if (reading.charCodeAt(i) !== 32) {
      at++;
      continue;
    }
    if (at >= length) break;
    if (bounds[b] !== at) return false;
    b++;
  }
  return b === bounds.length;
}

/** The best `k` entries by (tier, entry number), each entry once. */
class TopK {
  readonly items: Match[] = [];
  constructor(private readonly k: number) {}

  wouldTake(tier: number, entry: number): boolean {
    const { items, k } = this;
    if (items.length < k) return true;
    const last = items[k - 1];
    return last.tier > tier || (last.tier === tier && last.entry > entry);
  }

  offer(tier: number, entry: number): void {
    const { items, k } = this;
    const worse = (a: Match) => a.tier > tier || (a.tier === tier && a.entry > entry);
    if (items.length === k && !worse(items[k - 1])) return;
    const at = items.findIndex((x) => x.entry === entry);
    if (at >= 0) {
      if (!worse(items[at])) return;
      items.splice(at, 1);
    }
    let pos = items.length;
    while (pos > 0 && worse(items[pos - 1])) pos--;
    items.splice(pos, 0, { tier, entry });
    if (items.length > k) items.pop();
  }
}
