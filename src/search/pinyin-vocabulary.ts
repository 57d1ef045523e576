/**
 * The suggestion vocabulary by pinyin, for completing what readers type before picking
 * characters and for "did you mean": every entry under its full pinyin without spaces
 * (shuzishenfenzheng), its initials (szsfz), the same for the other readings of heteronyms, and
 * `u` for `ü` (lv → lu). Built from the readings stored in the index (vocabulary.ts), once per
 * index.
 */
import type { NewsIndex } from '../index/news-index.js';
import { addPinyin, type VocabularyEntry } from '../index/vocabulary.js';
import { isHan } from '../analysis/pinyin.js';

/**
 * Tiers of a match, best first: the reading in context, with the syllables typed (spaces,
 * apostrophes, or the longest syllables read off the letters) on the term's syllable bounds
 * (hang → 航空 before 韩国); then across them; then another reading of a heteronym; initials
 * of text typed as whole syllables last.
 */
export const TIER = { aligned: 0, across: 1, otherReading: 2, otherAcross: 3 } as const;
const CONTEXT = 0;
const OTHER = 1;
const INITIALS = 255;

export interface Match {
  entry: number;
  tier: number;
}

/** The completion keys, sorted: built on the first completion (corrections do not need them). */
interface PrefixKeys {
  /** Keys in code-unit order, with the entry and tier each belongs to. */
  keys: string[];
  keyEntry: Int32Array;
  keyTier: Uint8Array;
  /** Which reading a key was made from (0 = in context), or INITIALS. */
  keyReading: Uint8Array;
  /** Entry numbers in order of their text, for a prefix of characters. */
  byText: Int32Array;
}

export class PinyinVocabulary {
  private prefixKeys: PrefixKeys | undefined;
  /** Entry numbers by text. */
  private readonly byTextMap = new Map<string, number>();
  /** Full pinyin (no spaces) → entries read so, in vocabulary order (context readings first). */
  private readonly exact = new Map<string, number[]>();
  /** Every syllable the vocabulary is read with. */
  readonly syllables = new Set<string>();
  private readonly syllablePrefixes = new Set<string>();
  readonly maxKeyLength: number;

  constructor(readonly entries: readonly VocabularyEntry[]) {
    // Indexes saved before pinyin was stored get their readings now.
    if (entries.some((e) => e.py === undefined)) addPinyin(entries as VocabularyEntry[]);
    const otherExact: [string, number][] = [];
    let maxKey = 0;
    entries.forEach((e, i) => {
      this.byTextMap.set(e.text, i);
      if (e.py === undefined) return;
      const chars = Array.from(e.text);
      [e.py, ...(e.pyAlt ?? [])].forEach((r, k) => {
        const syl = r.split(' ');
        const full = syl.join('');
        maxKey = Math.max(maxKey, full.length);
        // Only terms of Han characters throughout are read as homophones, and give syllables
        // (not covid in covid19疫苗).
        if (syl.length !== chars.length || !chars.every(isHan)) return;
        for (const s of syl) this.syllables.add(s);
        if (k === 0) {
          const list = this.exact.get(full);
          if (list) list.push(i);
          else this.exact.set(full, [i]);
        } else otherExact.push([full, i]);
      });
    });
    // Other readings after every reading in context.
    for (const [full, i] of otherExact) {
      const list = this.exact.get(full);
      if (!list) this.exact.set(full, [i]);
      else if (!list.includes(i)) list.push(i);
    }
    this.maxKeyLength = maxKey;
    for (const syl of this.syllables)
      for (let n = 1; n <= syl.length; n++) this.syllablePrefixes.add(syl.slice(0, n));
  }

  /** Build the completion keys now rather than on the first completion. */
  warm(): void {
    this.completionKeys();
  }

  /** Every entry under its full pinyin, initials, u for ü, and the same for other readings. */
  private completionKeys(): PrefixKeys {
    if (this.prefixKeys) return this.prefixKeys;
    const keys: string[] = [];
    const owner: number[] = [];
    const tier: number[] = [];
    const from: number[] = [];
    const add = (key: string, i: number, t: number, reading: number) => {
      keys.push(key);
      owner.push(i);
      tier.push(t);
      from.push(reading);
    };
    this.entries.forEach((e, i) => {
      if (e.py === undefined) return;
      const seen = new Set<string>();
      [e.py, ...(e.pyAlt ?? [])].forEach((r, k) => {
        const syl = r.split(' ');
        const full = syl.join('');
        const initials = syl.map((s) => s[0]).join('');
        const t = k === 0 ? CONTEXT : OTHER;
        for (const key of full.includes('v') ? [full, full.replaceAll('v', 'u')] : [full]) {
          if (seen.has(key)) continue;
          seen.add(key);
          add(key, i, t, k);
        }
        if (!seen.has(initials)) {
          seen.add(initials);
          add(initials, i, t, INITIALS);
        }
      });
    });
    const order = Int32Array.from(keys, (_, i) => i).sort((a, b) =>
      keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : tier[a] - tier[b] || owner[a] - owner[b],
    );
    const { entries } = this;
    this.prefixKeys = {
      byText: Int32Array.from(entries, (_, i) => i).sort((a, b) =>
        entries[a].text < entries[b].text ? -1 : entries[a].text > entries[b].text ? 1 : 0,
      ),
      keys: Array.from(order, (k) => keys[k]),
      keyEntry: Int32Array.from(order, (k) => owner[k]),
      keyTier: Uint8Array.from(order, (k) => tier[k]),
      keyReading: Uint8Array.from(order, (k) => from[k]),
    };
    return this.prefixKeys;
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
    const { keys, keyEntry, keyTier, keyReading } = this.completionKeys();
    for (let k = lowerBound(keys, letters); k < keys.length && keys[k].startsWith(letters); k++) {
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
    const { byText } = this.completionKeys();
    const skip = Array.from(chars).length;
    let lo = 0;
    let hi = byText.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[byText[mid]].text < chars) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < byText.length && entries[byText[k]].text.startsWith(chars); k++) {
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

  /** The entry whose text is `text` (normalized), if any. */
  entryOf(text: string): VocabularyEntry | undefined {
    const i = this.byTextMap.get(text);
    return i === undefined ? undefined : this.entries[i];
  }

  /** Entries of Han characters read exactly `full` (no spaces), readings in context first. */
  readAs(full: string): readonly number[] {
    return this.exact.get(full) ?? [];
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
        const ok =
          this.syllables.has(s) || (partial && i + len === n && this.syllablePrefixes.has(s));
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

/** The first position whose key is not below `prefix`. */
function lowerBound(keys: readonly string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

const built = new WeakMap<NewsIndex, PinyinVocabulary>();

/** The pinyin vocabulary of `index`, built on first use. */
export function pinyinVocabulary(index: NewsIndex): PinyinVocabulary {
  let p = built.get(index);
  if (!p) {
    p = new PinyinVocabulary(index.vocabulary);
    built.set(index, p);
  }
  return p;
}
