/**
 * Search quality measured in-process, the way ../shared/eval scores it over HTTP: the
 * known-item, substring and sub-word metrics of run_eval.py (size 50, ids compared by their last
 * `/` segment) and the topical nDCG@10 of topical/score.py. In-process, so a ranking variant is
 * scored without serving it (`npm run eval -- --ablation`, `--tune`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NewsIndex } from '../src/index/news-index.js';
import type { IndexReader } from '../src/index/reader.js';
import { search } from '../src/search/searcher.js';
import type { RankingParams } from '../src/search/ranking.js';
import type { EvalQuery } from './shared.js';

export const TOPICAL = (shared: string) => join(shared, 'eval', 'topical');

const idOf = (id: string) => id.split('/').pop()!;

export function hitIds(
  index: NewsIndex | IndexReader,
  q: string,
  size: number,
  ranking: RankingParams,
): string[] {
  return search(index, { q, page: 1, size }, ranking).hits.map((h) => idOf(h.id));
}

/** Per query and script (own = `q`, alt = `q_alt`): its metric values, as run_eval.py takes them. */
export interface QueryOutcome {
  kind: EvalQuery['kind'];
  /** Reciprocal rank of the known item in the top 10 (0 if absent), own and alt. */
  rr?: [number, number];
  /** R-precision and recall@50, own and alt. */
  rprec?: [number, number];
  recall?: [number, number];
  /** Jaccard overlap of the two scripts' top 10 (when q ≠ q_alt). */
  overlap?: number;
}

export function scoreQuery(
  index: NewsIndex | IndexReader,
  q: EvalQuery,
  ranking: RankingParams,
): QueryOutcome {
  const own = hitIds(index, q.q, 50, ranking);
  const alt = q.q_alt === q.q ? own : hitIds(index, q.q_alt, 50, ranking);
  const out: QueryOutcome = { kind: q.kind };
  if (q.q !== q.q_alt) {
    const a = new Set(own.slice(0, 10));
    const b = new Set(alt.slice(0, 10));
    const union = new Set([...a, ...b]).size;
    out.overlap = union ? [...a].filter((x) => b.has(x)).length / union : 0;
  }
  if (q.kind === 'known') {
    const rr = (ids: string[]) => {
      const r = ids.slice(0, 10).indexOf(q.target!);
      return r < 0 ? 0 : 1 / (r + 1);
    };
    out.rr = [rr(own), rr(alt)];
  } else {
    const truth = new Set(q.truth!);
    const found = (ids: string[], n: number) => ids.slice(0, n).filter((x) => truth.has(x)).length;
    out.rprec = [found(own, truth.size) / truth.size, found(alt, truth.size) / truth.size];
    out.recall = [found(own, 50) / truth.size, found(alt, 50) / truth.size];
  }
  return out;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The run_eval.py figures of a set of outcomes (those it prints, less latency). */
export function summarize(outcomes: QueryOutcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  const of = (kind: string) => outcomes.filter((o) => o.kind === kind);
  const known = of('known');
  out.known_own_mrr10 = mean(known.map((o) => o.rr![0]));
  out.known_alt_mrr10 = mean(known.map((o) => o.rr![1]));
  out.known_own_success10 = mean(known.map((o) => (o.rr![0] > 0 ? 1 : 0)));
  out.known_alt_success10 = mean(known.map((o) => (o.rr![1] > 0 ? 1 : 0)));
  for (const kind of ['substring', 'subword']) {
    const os = of(kind);
    out[`${kind}_own_rprec`] = mean(os.map((o) => o.rprec![0]));
    out[`${kind}_alt_rprec`] = mean(os.map((o) => o.rprec![1]));
    out[`${kind}_own_recall50`] = mean(os.map((o) => o.recall![0]));
    out[`${kind}_alt_recall50`] = mean(os.map((o) => o.recall![1]));
  }
  out.cross_script_overlap10 = mean(
    outcomes.filter((o) => o.overlap !== undefined).map((o) => o.overlap!),
  );
  return out;
}

export interface Topic {
  id: string;
  desc: string;
  trad: string;
  simp: string;
}

export function readTopics(dir: string): Topic[] {
  return readFileSync(join(dir, 'topics-train.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Topic);
}

/** Judgments (topic → post id → grade 0/1/2) from every `qrels-train*.tsv` in the folders. */
export function readQrels(dirs: string[]): Map<string, Map<string, number>> {
  const q = new Map<string, Map<string, number>>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!/^qrels-train.*\.tsv$/.test(f)) continue;
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        const parts = line.split('\t');
        if (parts.length !== 3) continue;
        let m = q.get(parts[0]);
        if (!m) q.set(parts[0], (m = new Map()));
        m.set(parts[1], Number(parts[2]));
      }
    }
  }
  return q;
}

/** nDCG@k as score.py computes it (gain 2^grade − 1, unjudged = 0). */
export function ndcg(ids: string[], judged: Map<string, number>, k = 10): number {
  let dcg = 0;
  for (const [i, d] of ids.slice(0, k).entries())
    dcg += (2 ** (judged.get(d) ?? 0) - 1) / Math.log2(i + 2);
  const ideal = [...judged.values()].sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  for (const [i, g] of ideal.entries()) idcg += (2 ** g - 1) / Math.log2(i + 2);
  return idcg ? dcg / idcg : 0;
}

export interface TopicalReport {
  ndcg10_trad: number;
  ndcg10_simp: number;
  judged10_trad: number;
  judged10_simp: number;
  /** Per topic and script: nDCG@10. */
  perTopic: { topic: string; form: 'trad' | 'simp'; ndcg: number }[];
  /** Top-10 hits nobody judged: [topic, post id]. */
  unjudged: [string, string][];
}

export function topical(
  index: NewsIndex | IndexReader,
  topics: Topic[],
  qrels: Map<string, Map<string, number>>,
  ranking: RankingParams,
): TopicalReport {
  const report: TopicalReport = {
    ndcg10_trad: 0,
    ndcg10_simp: 0,
    judged10_trad: 0,
    judged10_simp: 0,
    perTopic: [],
    unjudged: [],
  };
  for (const form of ['trad', 'simp'] as const) {
    const scores: number[] = [];
    const cover: number[] = [];
    for (const t of topics) {
      const judged = qrels.get(t.id);
      if (!judged) continue;
      const ids = hitIds(index, t[form], 20, ranking);
      const s = ndcg(ids, judged);
      scores.push(s);
      report.perTopic.push({ topic: t.id, form, ndcg: s });
      const top = ids.slice(0, 10);
      cover.push(top.filter((d) => judged.has(d)).length / Math.max(1, Math.min(10, ids.length)));
      for (const d of top) if (!judged.has(d)) report.unjudged.push([t.id, d]);
    }
    report[`ndcg10_${form}`] = mean(scores);
    report[`judged10_${form}`] = mean(cover);
  }
  return report;
}
