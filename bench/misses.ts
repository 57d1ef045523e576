/**
 * `npm run eval -- --misses`: why the ranking misses, counted on the training material (the
 * classification in docs/benchmarks.md). Known-item queries whose target is not first: what
 * ranks above it. Topics: the judged non-relevant posts in the top 10, and the posts judged
 * "mainly about" the topic that a post judged lower keeps out of it.
 */
import type { NewsIndex } from '../src/index/news-index.js';
import { readerOf, type IndexReader } from '../src/index/reader.js';
import { normalize } from '../src/analysis/normalize.js';
import { search } from '../src/search/searcher.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import { ADDED_JUDGMENTS_DIR, TOPICAL_DIR, TRAIN_QUERIES, readQueries } from './shared.js';
import { readQrels, readTopics } from './quality.js';

const idOf = (id: string) => id.split('/').pop()!;
const key = (s: string) => normalize(s).replace(/\s+/g, '');
/** Multi-story digests: CNA's morning digest and RTI's daily roundup. */
const DIGEST = /早安世界|最新情[報报]/;

function count(tally: Map<string, number>, what: string): void {
  tally.set(what, (tally.get(what) ?? 0) + 1);
}

function print(title: string, tally: Map<string, number>, examples: string[]): void {
  console.log(`${title}:`);
  for (const [k, n] of [...tally].sort((a, b) => b[1] - a[1])) console.log(`  ${n}\t${k}`);
  for (const e of examples) console.log(`    e.g. ${e}`);
}

export function misses(target: NewsIndex | IndexReader): void {
  const reader = readerOf(target);
  const numberOf = new Map<string, number>();
  for (let g = 0; g < reader.maxDoc; g++)
    if (reader.isLive(g)) numberOf.set(idOf(reader.doc(g).id), g);
  const groupOf = (id: string) => {
    const g = numberOf.get(id)!;
    const rep = reader.dupOf(g);
    return rep < 0 ? g : rep;
  };

  // Known items: each post ranked above the target, by what it has that the target has too.
  const known = readQueries(TRAIN_QUERIES).filter((q) => q.kind === 'known');
  const above = new Map<string, number>();
  const examples: string[] = [];
  let missed = 0;
  for (const q of known) {
    const r = search(reader, { q: q.q, page: 1, size: 10, explain: true }, DEFAULT_RANKING);
    const ids = r.hits.map((h) => idOf(h.id));
    const rank = ids.indexOf(q.target!);
    if (rank === 0) continue;
    missed++;
    const parts = q.q.split(/\s+/).map(key);
    const t = rank >= 0 ? r.hits[rank] : undefined;
    for (const h of r.hits.slice(0, rank < 0 ? 10 : rank)) {
      const title = key(h.title);
      let why: string;
      if (groupOf(idOf(h.id)) === groupOf(q.target!) || (t && title === key(t.title)))
        why = 'a near-duplicate copy of the target';
      else if (t && h.explain!.relevance < t.explain!.relevance)
        why = 'less relevant, placed above by freshness or near-duplicate promotion';
      else if (parts.every((p) => title.includes(p)))
        why = 'every query word in its title too (a series, follow-up or daily report)';
      else why = 'not every query word in its title';
      count(above, why);
      if (why.startsWith('less') || why.startsWith('not'))
        examples.push(`${q.q}: ${h.title} above ${t?.title ?? '(target not in top 10)'}`);
    }
  }
  print(
    `known-item queries whose target is not first: ${missed} of ${known.length}; the posts ranked above`,
    above,
    examples,
  );

  // Topics.
  const qrels = readQrels([TOPICAL_DIR, ADDED_JUDGMENTS_DIR]);
  const wrong = new Map<string, number>();
  const lost = new Map<string, number>();
  const lostExamples = new Map<string, string>();
  for (const topic of readTopics(TOPICAL_DIR)) {
    const judged = qrels.get(topic.id);
    if (!judged) continue;
    for (const form of ['trad', 'simp'] as const) {
      const q = topic[form];
      const parts = q.split(/\s+/).map(key);
      const r = search(reader, { q, page: 1, size: 200 }, DEFAULT_RANKING);
      const ids = r.hits.map((h) => idOf(h.id));
      for (const h of r.hits.slice(0, 10)) {
        if (judged.get(idOf(h.id)) !== 0) continue;
        const title = key(h.title);
        const inTitle = parts.filter((p) => title.includes(p)).length;
        count(
          wrong,
          DIGEST.test(h.title)
            ? 'a multi-story digest'
            : inTitle === parts.length
              ? 'every query word in its title'
              : inTitle > 0
                ? 'some query words in its title, the rest in passing'
                : 'query words only in its text (a passing mention)',
        );
      }
      // Posts "mainly about" the topic that a post judged lower keeps out of the top 10: as
      // many as the top 10 holds posts below grade 2, best ranked first.
      const lower = ids.slice(0, 10).filter((d) => (judged.get(d) ?? 0) < 2).length;
      const out = [...judged]
        .filter(([id, grade]) => grade === 2 && !ids.slice(0, 10).includes(id))
        .map(([id]) => ({ id, rank: ids.indexOf(id) }))
        .sort((a, b) => (a.rank < 0 ? 1e9 : a.rank) - (b.rank < 0 ? 1e9 : b.rank))
        .slice(0, lower);
      for (const { id, rank } of out) {
        const g = numberOf.get(id);
        let why: string;
        if (rank >= 0) {
          const title = key(reader.doc(g!).title);
          const inTitle = parts.filter((p) => title.includes(p)).length;
          why = `ranked below 10; ${inTitle === parts.length ? 'every' : inTitle > 0 ? 'some' : 'no'} query word in its title`;
        } else {
          why = 'not matched: the topic in other words';
          if (!lostExamples.has(q)) {
            const text = g === undefined ? '' : key(reader.doc(g).title + reader.body(g));
            const absent = parts.filter((p) => !text.includes(p));
            lostExamples.set(q, `${q}: ${absent.join(' ')} not in ${id}`);
          }
        }
        count(lost, `${form === 'trad' ? 'Taiwan' : 'Mainland'} query: ${why}`);
      }
    }
  }
  print('judged non-relevant posts in a top 10 (both queries of 16 topics)', wrong, []);
  print('posts judged "mainly about" a topic kept out of its top 10 by a post judged lower', lost, [
    ...lostExamples.values(),
  ]);
}
