/**
 * BM25F over verbatim term occurrences, with a proximity bonus.
 *
 * FlexSearch scores by the position of a word in a document; news search wants the classic
 * signal instead: how often a term occurs (saturating), how rare it is across the corpus, and
 * where (a title match outweighs a body match). Occurrences that are whole jieba words count
 * fully; occurrences inside a longer word (处理 in 待处理) count less, so whole words rank first.
 */
export const RANKING = {
  k1: 1.2,
  titleWeight: 4,
  /** Page text outside the article (sidebars, link boxes): found, but far below the article. */
  extraWeight: 0.1,
  /** Extra score per term found in the title, times its idf: known-item searches quote titles. */
  titleMatch: 1,
  titleB: 0.3,
  bodyB: 0.75,
  /** Weight of an occurrence that is only part of a jieba word. */
  subwordWeight: 0.5,
  /**
   * Weight of a regional equivalent of what was typed: just under 1, so the form typed wins a
   * tie but either form of a pair (软件 / 軟體) ranks the same articles in nearly the same order.
   */
  equivalentWeight: 0.95,
  /** Weight of a part matched word by word instead of verbatim. */
  looseWeight: 0.5,
  /** Bonus scale for consecutive terms close together (adjacent = full bonus). */
  proximityWeight: 1,
  /**
   * Freshness: relevance × (1 + weight × 0.5^(age / half-life)), the age counted back from the
   * newest article matching the query (an archive's "now"). Of two equally relevant articles the newer
   * wins; a clearly more relevant old one still beats a weak new one (the boost is at most
   * `freshnessWeight`). FRESHNESS_HALF_LIFE_DAYS and FRESHNESS_WEIGHT configure it; weight 0
   * turns it off.
   */
  freshnessHalfLifeDays: 30,
  freshnessWeight: 0.05,
};

export function idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

export interface FieldFrequencies {
  title: number;
  body: number;
  extra: number;
}

export function bm25f(
  tf: FieldFrequencies,
  termIdf: number,
  titleLength: number,
  bodyLength: number,
  avgTitle: number,
  avgBody: number,
): number {
  const { k1, titleWeight, titleB, bodyB } = RANKING;
  const nt = 1 - titleB + (titleB * titleLength) / Math.max(1, avgTitle);
  const nb = 1 - bodyB + (bodyB * bodyLength) / Math.max(1, avgBody);
  const w = (titleWeight * tf.title) / nt + tf.body / nb + RANKING.extraWeight * tf.extra;
  return (termIdf * (w * (k1 + 1))) / (w + k1);
}

/**
 * Smallest gap in characters between an occurrence of a (length la) and one of b (length lb),
 * both ascending global positions; 0 when adjacent or overlapping. Infinity if either is empty.
 * `fieldOf` keeps title and body apart.
 */
export function minGap(
  a: Int32Array,
  la: number,
  b: Int32Array,
  lb: number,
  fieldOf: (p: number) => number,
): number {
  let best = Infinity;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const pa = a[i];
    const pb = b[j];
    if (fieldOf(pa) === fieldOf(pb)) {
      const gap = pb >= pa ? pb - (pa + la) : pa - (pb + lb);
      if (gap <= 0) return 0;
      if (gap < best) best = gap;
    }
    if (pa < pb) i++;
    else j++;
  }
  return best;
}

const DAY_MS = 86_400_000;

export function freshnessFactor(dateMs: number, newestMs: number): number {
  if (!dateMs || RANKING.freshnessWeight === 0) return 1;
  const ageDays = Math.max(0, (newestMs - dateMs) / DAY_MS);
  return 1 + RANKING.freshnessWeight * 0.5 ** (ageDays / RANKING.freshnessHalfLifeDays);
}

export function proximityBonus(gap: number, idfA: number, idfB: number): number {
  if (!Number.isFinite(gap)) return 0;
  return (RANKING.proximityWeight * Math.min(idfA, idfB)) / (1 + gap / 4);
}
