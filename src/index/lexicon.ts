/**
 * The lookup structures over a reader's title vocabulary that `/suggest` and "did you mean"
 * serve from: FlexSearch's prefix index for character prefixes (数字 → 数字身份证,
 * suggestion-index.ts), the entries in text order (characters followed by pinyin: 数字sfz), and
 * every entry under its full pinyin without spaces (shuzishenfenzheng), its initials (szsfz),
 * the same for the other readings of heteronyms, and `u` for `ü` (lv → lu).
 *
 * Building them takes ~0.5 s over 50,000 entries, so they are built when a flush makes a new
 * vocabulary, and the reader keeps serving the previous vocabulary's lexicon until the new one
 * is swapped in (writer.ts): no query waits for them. The pinyin tables are plain strings and
 * typed arrays, built in a worker thread (LexiconWorker) and sent back cheaply; the FlexSearch
 * index cannot leave the thread that built it, so it is built meanwhile on the query thread in
 * slices of a few milliseconds.
 */
import { RequestWorker } from './request-worker.js';
import { isHan } from '../analysis/pinyin.js';
import { partitionPoint } from './bitset.js';
import {
  buildPrefixIndex,
  buildPrefixIndexInSlices,
  type PrefixIndex,
} from './suggestion-index.js';
import { addPinyin, type VocabularyEntry } from './vocabulary.js';

/** Which reading a key was made from: 0 = in context, k = the k-th other one, or INITIALS. */
export const INITIALS = 255;
/** Key tiers: the reading in context, or another reading of a heteronym. */
export const CONTEXT = 0;
export const OTHER = 1;

/**
 * The keys are one string, a key a line (offsets beside it): 170,000 keys as separate strings
 * held ~5 MB more, and a map from full pinyin to entries ~8 MB more, than this one sorted table.
 */
export interface LexiconTables {
  /** Keys in code-unit order, "\n" after each; key k starts at `offsets[k]`. */
  blob: string;
  offsets: Int32Array;
  keyEntry: Int32Array;
  keyTier: Uint8Array;
  keyReading: Uint8Array;
  /** Entry numbers in order of their text (characters followed by pinyin, exact entries). */
  byText: Int32Array;
  /** Every syllable the vocabulary is read with, and their beginnings. */
  syllables: Set<string>;
  syllablePrefixes: Set<string>;
  /** Toneless readings of each Han character of the vocabulary (every reading it is read with). */
  charReadings: Map<string, string[]>;
  maxKeyLength: number;
}

/** What the tables are built from: each entry's text and readings. */
export type LexiconInput = readonly Pick<VocabularyEntry, 'text' | 'py' | 'pyAlt'>[];

export function buildLexiconTables(entries: LexiconInput): LexiconTables {
  const keys: string[] = [];
  const owner: number[] = [];
  const tier: number[] = [];
  const from: number[] = [];
  const syllables = new Set<string>();
  const charSets = new Map<string, Set<string>>();
  let maxKeyLength = 0;
  const add = (key: string, i: number, t: number, reading: number) => {
    keys.push(key);
    owner.push(i);
    tier.push(t);
    from.push(reading);
  };
  entries.forEach((e, i) => {
    if (e.py === undefined) return;
    const seen = new Set<string>();
    const chars = Array.from(e.text);
    [e.py, ...(e.pyAlt ?? [])].forEach((r, k) => {
      const syl = r.split(' ');
      const full = syl.join('');
      const initials = syl.map((x) => x[0]).join('');
      maxKeyLength = Math.max(maxKeyLength, full.length);
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
      // Syllables and character readings from items read off one Han character each (not
      // covid in covid19疫苗).
      if (syl.length !== chars.length) return;
      syl.forEach((x, c) => {
        if (!isHan(chars[c])) return;
        syllables.add(x);
        let set = charSets.get(chars[c]);
        if (!set) charSets.set(chars[c], (set = new Set()));
        set.add(x);
      });
    });
  });
  const order = Int32Array.from(keys, (_, i) => i).sort((a, b) =>
    keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : tier[a] - tier[b] || owner[a] - owner[b],
  );
  const offsets = new Int32Array(order.length + 1);
  let at = 0;
  order.forEach((k, n) => {
    offsets[n] = at;
    at += keys[k].length + 1;
  });
  offsets[order.length] = at;
  const syllablePrefixes = new Set<string>();
  for (const x of syllables)
    for (let n = 1; n <= x.length; n++) syllablePrefixes.add(x.slice(0, n));
  return {
    blob: Array.from(order, (k) => keys[k] + '\n').join(''),
    offsets,
    keyEntry: Int32Array.from(order, (k) => owner[k]),
    keyTier: Uint8Array.from(order, (k) => tier[k]),
    keyReading: Uint8Array.from(order, (k) => from[k]),
    byText: Int32Array.from(entries, (_, i) => i).sort((a, b) =>
      entries[a].text < entries[b].text ? -1 : entries[a].text > entries[b].text ? 1 : 0,
    ),
    syllables,
    syllablePrefixes,
    charReadings: new Map([...charSets].map(([c, set]) => [c, [...set]])),
    maxKeyLength,
  };
}

/** A vocabulary with its tables. Immutable, like the vocabulary: a flush makes a new one. */
export class Lexicon {
  constructor(
    readonly vocabulary: readonly VocabularyEntry[],
    readonly tables: LexiconTables,
    /** Character prefixes: entry numbers, most frequent first. */
    readonly prefixes: PrefixIndex,
  ) {}

  /** Built at once, in this thread (a reader loaded or built without a writer). */
  static build(vocabulary: readonly VocabularyEntry[]): Lexicon {
    withReadings(vocabulary);
    return new Lexicon(vocabulary, buildLexiconTables(vocabulary), buildPrefixIndex(vocabulary));
  }

  /** The first position in text order whose entry's text is not below `text`. */
  firstText(text: string): number {
    const { vocabulary } = this;
    const { byText } = this.tables;
    return partitionPoint(0, byText.length, (m) => vocabulary[byText[m]].text < text);
  }
}

/** Indexes saved before pinyin was stored get their readings now. */
function withReadings(vocabulary: readonly VocabularyEntry[]): void {
  if (vocabulary.some((e) => e.py === undefined && /\p{Script=Han}/u.test(e.text)))
    addPinyin(vocabulary as VocabularyEntry[]);
}

/**
 * The entries' text and readings as one string, a line each (text, reading, other readings, by
 * tabs; terms are word characters, never tabs or newlines): copied to the worker in ~1/3 of
 * the time the entries as objects take on this thread.
 */
export function packEntries(entries: readonly VocabularyEntry[]): string {
  let out = '';
  for (const e of entries) {
    out += e.text;
    if (e.py !== undefined) out += '\t' + e.py;
    if (e.pyAlt) out += '\t' + e.pyAlt.join('\t');
    out += '\n';
  }
  return out;
}

export function unpackEntries(packed: string): LexiconInput {
  const lines = packed.split('\n');
  lines.pop();
  return lines.map((line) => {
    const [text, py, ...pyAlt] = line.split('\t');
    return py === undefined ? { text } : pyAlt.length ? { text, py, pyAlt } : { text, py };
  });
}

/**
 * One worker thread that builds lexicons, one at a time, in the order asked. A build still
 * waiting when a newer one is asked for is skipped (null): a burst of flushes builds the first
 * and the last vocabulary, not every one between.
 */
export class LexiconWorker {
  private readonly worker = new RequestWorker<string, LexiconTables>(
    new URL('./lexicon-worker.js', import.meta.url),
  );
  private queue: Promise<unknown> = Promise.resolve();
  private latest: readonly VocabularyEntry[] | null = null;

  build(vocabulary: readonly VocabularyEntry[]): Promise<Lexicon | null> {
    this.latest = vocabulary;
    const run = this.queue.then(() => (this.latest === vocabulary ? this.run(vocabulary) : null));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(vocabulary: readonly VocabularyEntry[]): Promise<Lexicon> {
    withReadings(vocabulary);
    // The prefix index in slices here while the worker builds the tables.
    const [tables, prefixes] = await Promise.all([
      this.tables(vocabulary),
      buildPrefixIndexInSlices(vocabulary),
    ]);
    return new Lexicon(vocabulary, tables, prefixes);
  }

  private tables(vocabulary: readonly VocabularyEntry[]): Promise<LexiconTables> {
    return this.worker.request(packEntries(vocabulary));
  }

  async close(): Promise<void> {
    await this.queue;
    await this.worker.close();
  }
}
