/**
 * Ranking experiments in-process: the ablation table (each signal switched off).
 */
import type { NewsIndex } from '../src/index/news-index.js';
import type { IndexReader } from '../src/index/reader.js';
import { DEFAULT_RANKING, type RankingParams } from '../src/search/ranking.js';
import {
  ADDED_JUDGMENTS_DIR,
  PUBLIC_QUERIES,
  REGIONAL_QUERIES,
  TOPICAL_DIR,
  TRAIN_QUERIES,
  readQueries,
  type EvalQuery,
} from './shared.js';
import {
  hitIds,
  readQrels,
  readTopics,
  scoreQuery,
  summarize,
  topical,
  type Topic,
} from './quality.js';

const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);

interface Material {
  train: EvalQuery[];
  public: EvalQuery[];
  regional: EvalQuery[];
  topics: Topic[];
  qrels: ReturnType<typeof readQrels>;
}

function material(): Material {
  return {
    train: readQueries(TRAIN_QUERIES),
    public: readQueries(PUBLIC_QUERIES),
    regional: readQueries(REGIONAL_QUERIES),
    topics: readTopics(TOPICAL_DIR),
    qrels: readQrels([TOPICAL_DIR, ADDED_JUDGMENTS_DIR]),
  };
}

/** Each signal switched off in turn (a ranking parameter set to its neutral value). */
export const SIGNALS: [name: string, off: (r: RankingParams) => RankingParams][] = [
  ['freshness', (r) => ({ ...r, freshnessWeight: 0 })],
  ['title bonus', (r) => ({ ...r, titleMatch: 0 })],
  ['proximity', (r) => ({ ...r, proximityWeight: 0 })],
  ['length normalization', (r) => ({ ...r, titleB: 0, bodyB: 0 })],
  ['near-duplicate promotion', (r) => ({ ...r, promoteOriginals: false })],
  // Equivalents still match, but rank below every article holding the form typed.
  ['regional equivalents in the score', (r) => ({ ...r, equivalentWeight: 0 })],
];

/**
 * Signals measured but off by default, switched on in turn: the lead field at the point the
 * lead grid fits best on the whole training set (`--tune=lead`; benchmarks.md).
 */
export const TRIED: [name: string, on: (r: RankingParams) => RankingParams][] = [
  [
    'lead field (weight 0.75, 200 code points)',
    (r) => ({ ...r, leadWeight: 0.75, leadLength: 200 }),
  ],
];

/** Mean top-10 overlap (Jaccard) of a Mainland term and its Taiwan equivalent, as run_eval.py. */
function regionalOverlap(
  index: NewsIndex | IndexReader,
  qs: EvalQuery[],
  r: RankingParams,
): number {
  const overlaps = qs.map((q) => {
    const a = new Set(hitIds(index, q.q, 10, r));
    const b = new Set(hitIds(index, q.q_alt, 10, r));
    const union = new Set([...a, ...b]).size;
    return union ? [...a].filter((x) => b.has(x)).length / union : 0;
  });
  return overlaps.reduce((x, y) => x + y, 0) / overlaps.length;
}

export async function ablation(
  index: NewsIndex | IndexReader,
  base = DEFAULT_RANKING,
): Promise<void> {
  const m = material();
  console.log(
    '| ranking | set | known-item MRR@10 own / alt | substring R-prec own / alt | sub-word R-prec own / alt | topical nDCG@10 Taiwan / Mainland | regional overlap@10 |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const variants: [string, RankingParams][] = [
    ['all signals', base],
    ...SIGNALS.map(([name, off]): [string, RankingParams] => [`without ${name}`, off(base)]),
    ...TRIED.map(([name, on]): [string, RankingParams] => [`with ${name}`, on(base)]),
  ];
  for (const [name, r] of variants) {
    const t = topical(index, m.topics, m.qrels, r);
    const regional = f3(regionalOverlap(index, m.regional, r));
    for (const set of ['train', 'public'] as const) {
      const s = summarize(m[set].map((q) => scoreQuery(index, q, r)));
      console.log(
        `| ${name} | ${set} | ${f4(s.known_own_mrr10)} / ${f4(s.known_alt_mrr10)} | ${f4(s.substring_own_rprec)} / ${f4(s.substring_alt_rprec)} | ${f4(s.subword_own_rprec)} / ${f4(s.subword_alt_rprec)} | ${set === 'train' ? `${f3(t.ndcg10_trad)} / ${f3(t.ndcg10_simp)}` : '—'} | ${set === 'public' ? regional : '—'} |`,
      );
    }
  }
}

/** The grid searched by --tune: every combination of these values over DEFAULT_RANKING. */
export const GRID: { [K in keyof RankingParams]?: RankingParams[K][] } = {
  freshnessWeight: [0, 0.02, 0.05],
  freshnessHalfLifeDays: [30, 120],
  proximityWeight: [0.5, 1, 1.5],
  titleB: [0.3, 0.6],
  bodyB: [0.5, 0.75],
  k1: [1.2, 2],
};

/**
 * The lead field's grid (`--tune=lead`): its weight and length, the other parameters at their
 * defaults. Weight 0 (off) is one point whatever the length.
 */
export const LEAD_GRID: Grid = {
  leadWeight: [0, 0.25, 0.5, 0.75, 1],
  leadLength: [100, 150, 200, 300],
};

type Grid = { [K in keyof RankingParams]?: RankingParams[K][] };

function gridPoints(base: RankingParams, grid: Grid): RankingParams[] {
  let points: RankingParams[] = [base];
  for (const [key, values] of Object.entries(grid) as [keyof RankingParams, unknown[]][])
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  // Points that differ only where a weight of 0 makes the difference moot are one point.
  const seen = new Set<string>();
  return points.map(canonical).filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const canonical = (p: RankingParams): RankingParams =>
  p.leadWeight === 0 ? { ...p, leadLength: DEFAULT_RANKING.leadLength } : p;

/** What a configuration scores on each training item, so folds are means over subsets. */
interface Scores {
  ranking: RankingParams;
  /** Per known-item query: reciprocal rank, the mean of both scripts. */
  known: number[];
  /** Per topic: nDCG@10, the mean of both scripts. */
  topics: number[];
}

/** Training items in two halves, alternating in file order (fold 0 and 1). */
const foldOf = (i: number) => i % 2;

function objective(s: Scores, fold: number | null): { mrr: number; ndcg: number; total: number } {
  const pick = (xs: number[]) => xs.filter((_, i) => fold === null || foldOf(i) === fold);
  const mrr = mean(pick(s.known));
  const ndcg = mean(pick(s.topics));
  // Known-item MRR and topical nDCG@10 count alike.
  return { mrr, ndcg, total: mrr + ndcg };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const describeIn = (r: RankingParams, grid: Grid) =>
  Object.keys(grid)
    .map((k) => `${k} ${r[k as keyof RankingParams]}`)
    .join(', ');

/**
 * 2-fold cross-validation on the training set: for each half, the grid point that scores best
 * on it, scored on the other half; then the grid point best on the whole training set, scored
 * on the public queries (never used to choose).
 */
export async function tune(index: NewsIndex | IndexReader, grid: Grid = GRID): Promise<void> {
  const m = material();
  const known = m.train.filter((q) => q.kind === 'known');
  const topics = m.topics.filter((t) => m.qrels.has(t.id));
  const points = gridPoints(DEFAULT_RANKING, grid);
  const describe = (r: RankingParams) => describeIn(r, grid);
  console.log(
    `grid: ${points.length} points (${describe(DEFAULT_RANKING)} is the default); ${known.length} known-item queries and ${topics.length} topics, in two alternating halves`,
  );
  const scores: Scores[] = points.map((ranking) => {
    const t = topical(index, topics, m.qrels, ranking);
    const byTopic = topics.map((tp) =>
      mean(t.perTopic.filter((p) => p.topic === tp.id).map((p) => p.ndcg)),
    );
    return {
      ranking,
      known: known.map((q) => mean(scoreQuery(index, q, ranking).rr!)),
      topics: byTopic,
    };
  });
  if (points.length <= 20)
    for (const s of scores) {
      const all = objective(s, null);
      console.log(
        `  ${describe(s.ranking)}: training known-item MRR@10 ${f4(all.mrr)}, topical nDCG@10 ${f4(all.ndcg)}; half 0 ${f4(objective(s, 0).mrr)} / ${f4(objective(s, 0).ndcg)}, half 1 ${f4(objective(s, 1).mrr)} / ${f4(objective(s, 1).ndcg)}`,
      );
    }
  const best = (fold: number | null) =>
    scores.reduce((a, b) => (objective(b, fold).total > objective(a, fold).total ? b : a));
  let heldMrr = 0;
  let heldNdcg = 0;
  for (const fold of [0, 1]) {
    const fit = best(fold);
    const held = objective(fit, 1 - fold);
    heldMrr += held.mrr / 2;
    heldNdcg += held.ndcg / 2;
    console.log(
      `fit on half ${fold}: ${describe(fit.ranking)} → on half ${1 - fold}: known-item MRR@10 ${f4(held.mrr)}, topical nDCG@10 ${f4(held.ndcg)}`,
    );
  }
  console.log(
    `cross-validated on the training set: known-item MRR@10 ${f4(heldMrr)}, topical nDCG@10 ${f4(heldNdcg)}`,
  );
  const base = objective(
    scores[points.indexOf(points.find((p) => sameAs(p, canonical(DEFAULT_RANKING), grid))!)],
    null,
  );
  const chosen = best(null);
  const all = objective(chosen, null);
  console.log(
    `default on the whole training set: MRR ${f4(base.mrr)}, nDCG ${f4(base.ndcg)}; best: ${describe(chosen.ranking)}: MRR ${f4(all.mrr)}, nDCG ${f4(all.ndcg)}`,
  );
  const pub = summarize(m.public.map((q) => scoreQuery(index, q, chosen.ranking)));
  console.log(
    `public set with it: known-item MRR@10 ${f4(pub.known_own_mrr10)} / ${f4(pub.known_alt_mrr10)}, substring R-prec ${f4(pub.substring_own_rprec)}, sub-word R-prec ${f4(pub.subword_own_rprec)}`,
  );
}

function sameAs(a: RankingParams, b: RankingParams, grid: Grid): boolean {
  return (Object.keys(grid) as (keyof RankingParams)[]).every((k) => a[k] === b[k]);
}
