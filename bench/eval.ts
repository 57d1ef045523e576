/**
 * `npm run eval`: index ../shared/corpus (cna-rti + oped), serve it on a free port, and score it
 * with ../shared/eval's scorers: run_eval.py on the public, training and regional queries,
 * topical/score.py on the judged topics; then the topical figure computed in-process with the
 * judgments added in bench/topical/ (score.py reads only its own folder).
 *   --rebuild            re-index
 *   --per-query=PREFIX   keep every query's outcome (PREFIX.public.jsonl, …)
 *   --ablation           in-process: each ranking signal switched off, on both query sets
 *   --tune               in-process: 2-fold cross-validated fit on the training set
 *   --tune=lead          the same over the lead field's weight and length only
 *   --misses             in-process: why the ranking misses on the training material
 * Before the relevance scores it prints pinyin suggestions, "did you mean" and false corrections,
 * scored in process on generated sets (pinyin-sets.ts) and the public + training queries.
 *   --sets-out=DIR       write the generated sets
 *   --no-relevance       stop after those
 *   --postgres           the scorers against the PostgreSQL backend instead (a private cluster
 *                        loaded with the corpus; needs PostgreSQL 15 + RUM, see operations.md)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type ServerState } from '../src/server/app.js';
import { buildIndex } from '../src/index/build.js';
import type { AnalyzedArticle } from '../src/index/builder.js';
import { PostgresBackend } from '../src/backend/postgres.js';
import { startCluster } from './pg-cluster.js';
import { createLogger } from '../src/log.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import {
  corpusIndex,
  CORPUS_FOLDERS,
  sharedAvailable,
  PUBLIC_QUERIES,
  REGIONAL_QUERIES,
  RUN_EVAL,
  SCORE_TOPICAL,
  TOPICAL_DIR,
  ADDED_JUDGMENTS_DIR,
  TRAIN_QUERIES,
  percentile,
  readQueries,
} from './shared.js';
import { readQrels, readTopics, topical } from './quality.js';
import { ablation, LEAD_GRID, tune } from './tuning.js';
import { misses } from './misses.js';
import type { NewsIndex } from '../src/index/news-index.js';
import type { IndexReader } from '../src/index/reader.js';
import { normalize } from '../src/analysis/normalize.js';
import { suggest, warmSuggestions } from '../src/search/suggest.js';
import { searchOrCorrect, warmCorrections } from '../src/search/did-you-mean.js';
import { pinyinCases, typoCases } from './pinyin-sets.js';

const rate = (n: number, of: number) => `${(n / of).toFixed(3)} (${n}/${of})`;

/** Pinyin suggestions, "did you mean" and false corrections: the figures of issue 17. */
function inputMethodEval(index: NewsIndex | IndexReader): void {
  const setsOut = process.argv.find((a) => a.startsWith('--sets-out='))?.slice(11);
  warmSuggestions(index);
  warmCorrections(index);
  const cases = pinyinCases(index);
  const typos = typoCases(index);
  if (setsOut) {
    mkdirSync(setsOut, { recursive: true });
    const lines = (xs: object[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
    writeFileSync(join(setsOut, 'pinyin-terms.jsonl'), lines(cases));
    writeFileSync(join(setsOut, 'homophone-typos.jsonl'), lines(typos));
  }
  const lat: number[] = [];
  const rank = (input: string, term: string): number => {
    const t = performance.now();
    const r = suggest(index, input, 10);
    lat.push(performance.now() - t);
    return r.suggestions.findIndex((s) => normalize(s.text) === term);
  };
  let full5 = 0;
  let initials10 = 0;
  let prefix10 = 0;
  for (const c of cases) {
    const f = rank(c.full, c.term);
    if (f >= 0 && f < 5) full5++;
    if (rank(c.initials, c.term) >= 0) initials10++;
    if (rank(c.prefix2, c.term) >= 0) prefix10++;
  }
  lat.sort((a, b) => a - b);
  console.log(
    `pinyin suggest (${cases.length} frequent title terms): full pinyin in top 5 ${rate(full5, cases.length)}, ` +
      `initials in top 10 ${rate(initials10, cases.length)}, 2-syllable prefix in top 10 ${rate(prefix10, cases.length)}`,
  );
  console.log(
    `suggest latency in process (${lat.length} pinyin inputs, size 10): p50 ${percentile(lat, 0.5).toFixed(3)} ms, p95 ${percentile(lat, 0.95).toFixed(3)} ms, max ${lat[lat.length - 1].toFixed(3)} ms`,
  );
  let top1 = 0;
  const dymLat: number[] = [];
  for (const t of typos) {
    const s = performance.now();
    const r = searchOrCorrect(index, { q: t.typo, page: 1, size: 10 });
    dymLat.push(performance.now() - s);
    if (r.did_you_mean !== undefined && normalize(r.did_you_mean) === t.term) top1++;
  }
  dymLat.sort((a, b) => a - b);
  console.log(
    `did you mean (${typos.length} homophone typos): the original term at top 1 ${rate(top1, typos.length)}; ` +
      `/search with the correction p50 ${percentile(dymLat, 0.5).toFixed(2)} ms, p95 ${percentile(dymLat, 0.95).toFixed(2)} ms`,
  );
  const queries = [...readQueries(PUBLIC_QUERIES), ...readQueries(TRAIN_QUERIES)].flatMap((q) =>
    q.q === q.q_alt ? [q.q] : [q.q, q.q_alt],
  );
  const corrected = queries.filter((q) => {
    const r = searchOrCorrect(index, { q, page: 1, size: 10 });
    return r.did_you_mean !== undefined || r.interpreted_as !== undefined;
  });
  console.log(
    `false corrections (public + training queries, both scripts): ${rate(corrected.length, queries.length)}` +
      (corrected.length ? `: ${corrected.slice(0, 10).join(' / ')}` : ''),
  );
}

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  if (process.argv.includes('--postgres')) return postgresEval();
  const rebuild = process.argv.includes('--rebuild');
  const { index, report } = await corpusIndex(rebuild);
  if (report)
    console.log(
      `indexed ${report.posts} posts, ${report.errors.length} errors, ${report.seconds.toFixed(2)} s`,
    );
  if (process.argv.includes('--ablation')) return ablation(index);
  if (process.argv.includes('--tune')) return tune(index);
  if (process.argv.includes('--tune=lead')) return tune(index, LEAD_GRID);
  if (process.argv.includes('--misses')) return misses(index);
  inputMethodEval(index);
  if (process.argv.includes('--no-relevance')) return;
  await httpEval({ index });
  const qrels = readQrels([TOPICAL_DIR, ADDED_JUDGMENTS_DIR]);
  const t = topical(index, readTopics(TOPICAL_DIR), qrels, DEFAULT_RANKING);
  const judged = [...qrels.values()].reduce((n, m) => n + m.size, 0);
  console.log(
    `topical (in-process, ${judged} judgments with bench/topical/): ${JSON.stringify({
      ndcg10_trad: round(t.ndcg10_trad),
      judged10_trad: round(t.judged10_trad),
      ndcg10_simp: round(t.ndcg10_simp),
      judged10_simp: round(t.judged10_simp),
    })}`,
  );
  if (t.unjudged.length)
    console.log(`unjudged top-10 hits: ${t.unjudged.map(([tp, d]) => `${tp}\t${d}`).join('\n')}`);
}

/** The scorers over HTTP: public, train and regional queries, and the topical set. */
async function httpEval(state: ServerState): Promise<void> {
  const app = createApp(state, createLogger('warn'), { ranking: DEFAULT_RANKING });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const [name, file] of [
      ['public', PUBLIC_QUERIES],
      ['train', TRAIN_QUERIES],
      ['regional', REGIONAL_QUERIES],
    ]) {
      const args = [RUN_EVAL, file, '--url', url];
      const perQuery = process.argv.find((a) => a.startsWith('--per-query='));
      if (perQuery)
        args.push('--per-query', `${perQuery.slice('--per-query='.length)}.${name}.jsonl`);
      // The scorers are synchronous HTTP; the server must keep answering, so run them async.
      console.log(`${name}: ${(await runPython(args)).trim()}`);
    }
    console.log(`topical (score.py): ${(await runPython([SCORE_TOPICAL, '--url', url])).trim()}`);
  } finally {
    server.close();
  }
}

/**
 * --postgres: the same scorers against the PostgreSQL backend, on a private cluster loaded with
 * the corpus (the in-process parts, which read the embedded index directly, are left out).
 */
async function postgresEval(): Promise<void> {
  const articles: AnalyzedArticle[] = [];
  const { index, report } = await buildIndex(CORPUS_FOLDERS, {
    onArticle: (a) => articles.push(a),
  });
  console.log(`analyzed ${report.posts} posts in ${report.seconds.toFixed(2)} s`);
  const cluster = await startCluster();
  try {
    const backend = await PostgresBackend.open(cluster.url);
    const started = performance.now();
    await backend.load(articles, index.arrays.dupOf, index.vocabulary);
    console.log(`loaded PostgreSQL in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    articles.length = 0;
    await httpEval({ index: null, backend });
    await backend.close();
  } finally {
    cluster.stop();
  }
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

function runPython(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', fail);
    p.on('close', (code) =>
      code === 0 ? ok(out) : fail(new Error(`${args[0]} exited with ${code}`)),
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
