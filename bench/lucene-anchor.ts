/**
 * The Lucene reference run beside ours (bench/scale.ts): ../shared/anchors/lucene with CJK
 * bigrams and offsets in the postings (its README's same-run recipe), on posts and queries
 * converted Traditional → Simplified with Debian's OpenCC CLI first (not timed, as there).
 * Needs `apt-get install -y liblucene8-java opencc` and a JDK (docs/benchmarks.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from './shared.js';
import { childEnv, runMeasured, type MeasuredRun } from './child-process.js';

const HARNESS = join(SHARED, 'anchors', 'lucene', 'run.sh');
const ENV = { ANALYZER: 'cjk', OFFSETS: '1' };
/** Between texts converted in one OpenCC call; ASCII, so the conversion leaves it as it is. */
const BOUNDARY = '\n@@@ZH-NEWS-SCALE-BOUNDARY@@@\n';

/** Why the Lucene run cannot happen here, or null when it can. */
export function luceneMissing(): string | null {
  if (!existsSync(HARNESS)) return `no harness at ${HARNESS}`;
  for (const tool of ['opencc', 'javac', 'java']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} not installed (apt-get install -y liblucene8-java opencc)`;
  }
  // Compiles the harness when needed, and checks the Lucene jars are there.
  const probe = spawnSync(HARNESS, ['tokens', '测试'], {
    encoding: 'utf8',
    env: childEnv(ENV),
  });
  return probe.status === 0 ? null : `harness failed: ${probe.stderr.trim().split('\n').pop()}`;
}

/** Texts converted Taiwan Traditional → Simplified (`opencc -c tw2s.json`), in one call. */
export function toSimplified(texts: string[]): string[] {
  if (texts.length === 0) return [];
  const r = spawnSync('opencc', ['-c', 'tw2s.json'], {
    input: texts.join(BOUNDARY),
    encoding: 'utf8',
    maxBuffer: 2 ** 31 - 1,
  });
  if (r.status !== 0) throw new Error(`opencc failed: ${r.stderr}`);
  const out = r.stdout.split(BOUNDARY);
  if (out.length !== texts.length) throw new Error('opencc changed the boundaries between texts');
  return out;
}

export interface LuceneIndexRun {
  run: MeasuredRun;
  /** The harness's JSON line (docs, seconds, docs_per_s, index_bytes, segments, …). */
  report: Record<string, number | string | boolean>;
}

export async function luceneIndex(corpus: string, index: string): Promise<LuceneIndexRun> {
  const run = await runMeasured(HARNESS, ['index', corpus, index], { env: ENV });
  if (run.code !== 0) throw new Error(`Lucene index failed: ${run.stderr.slice(-2000)}`);
  return { run, report: JSON.parse(run.stdout.trim().split('\n').pop()!) };
}

export interface LuceneSearchRun {
  /** Per-query took_ms (median of its timed passes), sorted. */
  sorted: number[];
  report: Record<string, number | string>;
  /** Serving process peak RSS (bytes, sampled). */
  peakRss: number;
}

/** Every query of `queriesFile` (one a line), top 10 with snippets, exact totals. */
export async function luceneSearch(
  index: string,
  queriesFile: string,
  outFile: string,
): Promise<LuceneSearchRun> {
  const run = await runMeasured(HARNESS, ['search', index, queriesFile, outFile], { env: ENV });
  if (run.code !== 0) throw new Error(`Lucene search failed: ${run.stderr.slice(-2000)}`);
  const took = readFileSync(outFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { took_ms: number }).took_ms)
    .sort((a, b) => a - b);
  return {
    sorted: took,
    report: JSON.parse(run.stdout.trim().split('\n').pop()!),
    peakRss: run.peakRss,
  };
}
