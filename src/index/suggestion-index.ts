/**
 * The prefix lookup behind character suggestions: the entries whose text starts with what was
 * typed, in vocabulary order (frequency order), the first `limit` of them. Part of a
 * vocabulary's lexicon (lexicon.ts).
 *
 * It needs no table of its own: the entries sorted by text (`byText`, which the lexicon keeps
 * for "did you mean" anyway, built in its worker thread) put every entry with a given prefix in
 * one run, found by two binary searches; the `limit` smallest entry numbers of that run are the
 * most frequent. FlexSearch's forward index answered the same, but indexed every prefix of
 * every entry in maps: ~36 MB of heap for the corpus' 50,000 entries, built on the query thread
 * (its maps cannot leave the thread that built them) in 0.25–0.7 s per flush (docs/design.md).
 */
import { partitionPoint } from './bitset.js';

export class PrefixIndex {
  constructor(
    private readonly texts: readonly { text: string }[],
    /** Entry numbers in order of their text (code units). */
    private readonly byText: Int32Array,
  ) {}

  /** Entry numbers of the entries starting with `prefix`, most frequent first, at most `limit`. */
  search(prefix: string, { limit }: { limit: number }): number[] {
    const { texts, byText } = this;
    if (prefix === '' || limit <= 0) return [];
    // Texts starting with `prefix` are one run in code-unit order, from the first not below it.
    const from = partitionPoint(0, byText.length, (m) => texts[byText[m]].text < prefix);
    const to = partitionPoint(from, byText.length, (m) => texts[byText[m]].text.startsWith(prefix));
    // The `limit` smallest entry numbers of the run, ascending (a short prefix's run holds
    // thousands; an insertion into a sorted list of `limit` keeps this one pass).
    const best: number[] = [];
    for (let m = from; m < to; m++) {
      const e = byText[m];
      if (best.length === limit && e >= best[limit - 1]) continue;
      let i = best.length === limit ? limit - 1 : best.length;
      while (i > 0 && best[i - 1] > e) {
        best[i] = best[i - 1];
        i--;
      }
      best[i] = e;
    }
    return best;
  }
}
