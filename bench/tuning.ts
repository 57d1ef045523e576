/**
 * Ranking experiments in-process: the ablation table (each signal switched off).
 */
import type { NewsIndex } from '../src/index/news-index.js';
import { DEFAULT_RANKING, type RankingParams } from '../src/search/ranking.js';
import {
  ADDED_JUDGMENTS_DIR,
  PUBLIC_QUERIES,
  TOPICAL_DIR,
  TRAIN_QUERIES,
  readQueries,
  type EvalQuery,
} from './shared.js';
import { readQrels, readTopics, scoreQuery, summarize, topical, type Topic } from './quality.js';

const f3 = (x: number) => x.toFixed(3);
const f4 = (x: number) => x.toFixed(4);

interface Material {
  train: EvalQuery[];
  public: EvalQuery[];
  topics: Topic[];
  qrels: ReturnType<typeof readQrels>;
}

function material(): Material {
  return {
    train: readQueries(TRAIN_QUERIES),
    public: readQueries(PUBLIC_QUERIES),
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
];

export async function ablation(index: NewsIndex, base = DEFAULT_RANKING): Promise<void> {
  const m = material();
  console.log(
    '| ranking | set | known-item MRR@10 own / alt | substring R-prec own / alt | sub-word R-prec own / alt | topical nDCG@10 Taiwan / Mainland |',
  );
  console.log('|---|---|---|---|---|---|');
  const variants: [string, RankingParams][] = [
    ['all signals', base],
    ...SIGNALS.map(([name, off]): [string, RankingParams] => [`without ${name}`, off(base)]),
  ];
  for (const [name, r] of variants) {
    const t = topical(index, m.topics, m.qrels, r);
    for (const set of ['train', 'public'] as const) {
      const s = summarize(m[set].map((q) => scoreQuery(index, q, r)));
      console.log(
        `| ${name} | ${set} | ${f4(s.known_own_mrr10)} / ${f4(s.known_alt_mrr10)} | ${f4(s.substring_own_rprec)} / ${f4(s.substring_alt_rprec)} | ${f4(s.subword_own_rprec)} / ${f4(s.subword_alt_rprec)} | ${set === 'train' ? `${f3(t.ndcg10_trad)} / ${f3(t.ndcg10_simp)}` : '—'} |`,
      );
    }
  }
}
