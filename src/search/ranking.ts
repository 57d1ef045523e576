/**
 * BM25F over verbatim term occurrences, with a proximity bonus.
 *
 * FlexSearch scores by the position of a word in a document; news search wants the classic
 * signal instead: how often a term occurs (saturating), how rare it is across the corpus, and
 * where (a title match outweighs a body match). Occurrences that are whole jieba words count
 * fully; occurrences inside a longer word (处理 in 待处理) count less, so whole words rank first.
 */
export interface RankingParams {
  k1: number;
  titleWeight: number;
  /** Page text outside the article (sidebars, link boxes): found, but far below the article. */
  extraWeight: number;
  /** Extra score per term found in the title, times its idf: known-item searches quote titles. */
  titleMatch: number;
  /** BM25 length normalization of the title and the body (0 = none). */
  titleB: number;
  bodyB: number;
  /**
   * The lead: news is written as an inverted pyramid, so an article about a topic names it in
   * its first lines, while a passing mention sits deep in the body. An occurrence in the first
   * `leadLength` code points of the body counts in the body and, times `leadWeight`, once more
   * in a lead field of fixed length (no length normalization: every lead but a short body's is
   * as long as every other). Weight 0 turns it off.
   */
  leadWeight: number;
  leadLength: number;
  /** Weight of an occurrence that is only part of a jieba word. */
  subwordWeight: number;
  /**
   * Weight of a regional equivalent of what was typed: just under 1, so the form typed wins a
   * tie but either form of a pair (软件 / 軟體) ranks the same articles in nearly the same order.
   */
  equivalentWeight: number;
  /** Weight of a part matched word by word instead of verbatim. */
  looseWeight: number;
  /** Bonus scale for consecutive terms close together (adjacent = full bonus). */
  proximityWeight: number;
  /**
   * Freshness: relevance × (1 + weight × 0.5^(age / half-life)), the age counted back from the
   * newest article matching the query (an archive's "now"). Of two equally relevant articles the
   * newer wins; a clearly more relevant old one still beats a weak new one (the boost is at most
   * `freshnessWeight`). FRESHNESS_HALF_LIFE_DAYS and FRESHNESS_WEIGHT configure it; weight 0
   * turns it off.
   */
  freshnessHalfLifeDays: number;
  freshnessWeight: number;
  /** Near-duplicates: the original (earliest) copy takes the best place any copy reached. */
  promoteOriginals: boolean;
}

export const DEFAULT_RANKING: Readonly<RankingParams> = Object.freeze({
  k1: 1.2,
  titleWeight: 4,
  extraWeight: 0.1,
  titleMatch: 1,
  titleB: 0.3,
  bodyB: 0.75,
  leadWeight: 0,
  leadLength: 200,
  subwordWeight: 0.5,
  equivalentWeight: 0.95,
  looseWeight: 0.5,
  proximityWeight: 1,
  freshnessHalfLifeDays: 30,
  freshnessWeight: 0.05,
  promoteOriginals: true,
});

export function idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

export interface FieldFrequencies {
  title: number;
  body: number;
  /** Occurrences in the body's lead (counted in `body` too). */
  lead: number;
  extra: number;
}

export function bm25f(
  r: RankingParams,
  tf: FieldFrequencies,
  termIdf: number,
  titleLength: number,
  bodyLength: number,
  avgTitle: number,
  avgBody: number,
): number {
  const { k1, titleWeight, titleB, bodyB } = r;
  const nt = 1 - titleB + (titleB * titleLength) / Math.max(1, avgTitle);
  const nb = 1 - bodyB + (bodyB * bodyLength) / Math.max(1, avgBody);
  const w =
    (titleWeight * tf.title) / nt +
    tf.body / nb +
    r.leadWeight * tf.lead +
    r.extraWeight * tf.extra;
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

export function freshnessFactor(r: RankingParams, dateMs: number, newestMs: number): number {
  if (!dateMs || r.freshnessWeight === 0) return 1;
  const ageDays = Math.max(0, (newestMs - dateMs) / DAY_MS);
  return 1 + r.freshnessWeight * 0.5 ** (ageDays / r.freshnessHalfLifeDays);
}

export function proximityBonus(r: RankingParams, gap: number, idfA: number, idfB: number): number {
  if (!Number.isFinite(gap) || r.proximityWeight === 0) return 0;
  return (r.proximityWeight * Math.min(idfA, idfB)) / (1 + gap / 4);
}
