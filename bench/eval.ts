/**
 * `npm run eval`: index ../shared/corpus (cna-rti + oped), serve it on a free port, and score it
 * with ../shared/eval's scorers: run_eval.py on the public, training and regional queries,
 * topical/score.py on the judged topics; then the topical figure computed in-process with the
 * judgments added in bench/topical/ (score.py reads only its own folder).
 *   --rebuild            re-index
 *   --per-query=PREFIX   keep every query's outcome (PREFIX.public.jsonl, …)
 *   --ablation           in-process: each ranking signal switched off, on both query sets
 *   --tune               in-process: 2-fold cross-validated fit on the training set
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import {
  corpusIndex,
  sharedAvailable,
  PUBLIC_QUERIES,
  TRAIN_QUERIES,
  REGIONAL_QUERIES,
  RUN_EVAL,
  SCORE_TOPICAL,
  TOPICAL_DIR,
  ADDED_JUDGMENTS_DIR,
} from './shared.js';
import { readQrels, readTopics, topical } from './quality.js';
import { ablation, tune } from './tuning.js';

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const rebuild = process.argv.includes('--rebuild');
  const { index, report } = await corpusIndex(rebuild);
  if (report)
    console.log(
      `indexed ${report.posts} posts, ${report.errors.length} errors, ${report.seconds.toFixed(2)} s`,
    );
  if (process.argv.includes('--ablation')) return ablation(index);
  if (process.argv.includes('--tune')) return tune(index);
  const app = createApp({ index }, createLogger('warn'), { ranking: DEFAULT_RANKING });
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
