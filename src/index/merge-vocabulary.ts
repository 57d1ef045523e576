/**
 * The vocabulary of a merged index or a flushed reader: title-term counts adjusted by the added
 * and removed titles, in VocabularyTally's order and limit (a term the base had dropped past the
 * limit restarts from the added titles); new entries get their pinyin readings.
 */
import {
  MAX_VOCABULARY_ENTRIES,
  isSimplifiedForm,
  mostFrequent,
  vocabularyOrder,
  addPinyin,
  type VocabularyEntry,
} from './vocabulary.js';
import { partitionPoint } from './bitset.js';

interface TermTally {
  df: number;
  tw: Map<string, number>;
  cn: Map<string, number>;
}

/**
 * The base vocabulary with the removed titles' terms counted out and the added ones' in: the
 * changed entries taken out of the base (which is in vocabularyOrder) and put back where they
 * now sort, cut to the limit as VocabularyTally does. Entries keep their surface forms; a form an entry lacked, and
 * the forms of new entries, come from the added titles.
 */
export function mergeVocabulary(
  base: readonly VocabularyEntry[],
  removedTitles: [string, string][][],
  addedTitles: [string, string][][],
): VocabularyEntry[] {
  const delta = new Map<string, TermTally>();
  const tally = (text: string): TermTally => {
    let t = delta.get(text);
    if (!t) delta.set(text, (t = { df: 0, tw: new Map(), cn: new Map() }));
    return t;
  };
  for (const terms of removedTitles) for (const [text] of terms) tally(text).df--;
  for (const terms of addedTitles) {
    for (const [text, surface] of terms) {
      const t = tally(text);
      t.df++;
      const forms = isSimplifiedForm(surface, text) ? t.cn : t.tw;
      forms.set(surface, (forms.get(surface) ?? 0) + 1);
    }
  }
  if (delta.size === 0) return base.slice();
  // The base is in vocabularyOrder (as VocabularyTally and this function leave it): take out the
  // entries that change, then put the changed ones back where they sort.
  const order = (a: VocabularyEntry, b: VocabularyEntry) =>
    vocabularyOrder(a.text, a.df, b.text, b.df);
  const changed: VocabularyEntry[] = [];
  const taken: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const e = base[i];
    const t = delta.get(e.text);
    if (!t) continue;
    taken.push(i);
    delta.delete(e.text);
    const df = e.df + t.df;
    if (df <= 0) continue;
    const entry: VocabularyEntry = { text: e.text, df };
    if (e.py !== undefined) entry.py = e.py;
    if (e.pyAlt) entry.pyAlt = e.pyAlt;
    const tw = e.tw ?? mostFrequent(t.tw);
    const cn = e.cn ?? mostFrequent(t.cn);
    if (tw) entry.tw = tw;
    if (cn) entry.cn = cn;
    changed.push(entry);
  }
  for (const [text, t] of delta) {
    if (t.df <= 0) continue;
    const entry: VocabularyEntry = { text, df: t.df };
    const tw = mostFrequent(t.tw);
    const cn = mostFrequent(t.cn);
    if (tw) entry.tw = tw;
    if (cn) entry.cn = cn;
    changed.push(entry);
  }
  changed.sort(order);
  const out: VocabularyEntry[] = [];
  let i = 0; // next base entry
  let x = 0; // next taken index
  const copyTo = (end: number) => {
    while (i < end) {
      const stop = x < taken.length && taken[x] < end ? taken[x] : end;
      for (; i < stop; i++) out.push(base[i]);
      if (i === stop && stop < end) {
        i++; // taken out
        x++;
      }
    }
  };
  for (const c of changed) {
    // Base entries that sort before c.
    copyTo(partitionPoint(i, base.length, (m) => order(base[m], c) < 0));
    out.push(c);
    if (out.length >= MAX_VOCABULARY_ENTRIES) break;
  }
  copyTo(base.length);
  const merged = out.length > MAX_VOCABULARY_ENTRIES ? out.slice(0, MAX_VOCABULARY_ENTRIES) : out;
  addPinyin(merged); // the new entries' (the others keep theirs)
  return merged;
}
