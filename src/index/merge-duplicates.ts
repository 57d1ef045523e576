/**
 * Near-duplicates of a merged index (merge.ts): the band hashes of the kept documents, then of
 * the added ones; base groups stay (renumbered; a group whose representative was removed gets its
 * earliest remaining member), and added documents are compared with each other and with the
 * base documents published within the detection window of one of them.
 */
import { normalizeText } from '../analysis/analyzer.js';
import type { NewsIndex, IndexArrays, StoredDoc } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';
import {
  DUP_BANDS,
  findNearDuplicates,
  nearDuplicateBands,
  NEAR_DUPLICATE_DEFAULTS,
  unionFind,
} from './near-duplicates.js';
import { lowerBound } from './bitset.js';

/** Near-duplicate band hashes of the kept documents, then of the added ones. */
export function mergeBands(
  src: IndexArrays,
  gone: Uint8Array,
  newNumber: Int32Array,
  n: number,
  added: AnalyzedArticle[],
): Pick<IndexArrays, 'dupBands' | 'dupSigned'> {
  const dupBands = new Uint32Array(n * DUP_BANDS);
  const dupSigned = new Uint8Array(n);
  for (let d = 0; d < gone.length; d++) {
    if (gone[d]) continue;
    const m = newNumber[d];
    dupBands.set(src.dupBands.subarray(d * DUP_BANDS, (d + 1) * DUP_BANDS), m * DUP_BANDS);
    dupSigned[m] = src.dupSigned[d];
  }
  const fresh = nearDuplicateBands(
    added.map((i) => i.body.codePoints),
    added.map((i) => i.title.codePoints),
  );
  const keptCount = n - added.length;
  dupBands.set(fresh.bands, keptCount * DUP_BANDS);
  dupSigned.set(fresh.signed, keptCount);
  return { dupBands, dupSigned };
}

/**
 * Normalized code points of the documents last compared for near-duplicates (the added ones and
 * their candidates), by document: a kept document keeps its StoredDoc object from index to
 * index, so the next batch of writes, usually published close to this one, need not normalize
 * its candidates again (OpenCC is most of that cost). Bounded: least recently used dropped.
 */
const NORMALIZED_CACHE_SIZE = 1024;
const normalizedCache = new Map<StoredDoc, { body: Int32Array; title: Int32Array }>();

function remember(doc: StoredDoc, cps: { body: Int32Array; title: Int32Array }): void {
  normalizedCache.delete(doc);
  normalizedCache.set(doc, cps);
  if (normalizedCache.size > NORMALIZED_CACHE_SIZE)
    normalizedCache.delete(normalizedCache.keys().next().value!);
}

/** When a document counts as published for choosing a representative: unknown dates last. */
function when(ms: number): number {
  return ms > 0 || ms < 0 ? ms : Infinity;
}

/**
 * Near-duplicate representatives of the merged index: base groups kept (renumbered; a removed
 * representative replaced by the earliest remaining member, a group left with one member
 * dissolved), and each added document grouped with the documents it duplicates among the other
 * added ones and the base documents published within the window of an added one.
 */
export function mergeDuplicates(
  base: NewsIndex,
  gone: Uint8Array,
  newNumber: Int32Array,
  docs: StoredDoc[],
  added: AnalyzedArticle[],
): Int32Array {
  const nBase = gone.length;
  const n = docs.length;
  const keptCount = n - added.length;
  const baseDup = base.arrays.dupOf;
  const dates = new Float64Array(n);
  for (let d = 0; d < nBase; d++) if (!gone[d]) dates[newNumber[d]] = base.dateMs[d];
  added.forEach((item, i) => {
    dates[keptCount + i] = item.article.date ? Date.parse(item.article.date) || 0 : 0;
  });
  const earlier = (x: number, y: number) =>
    when(dates[x]) < when(dates[y]) || (when(dates[x]) === when(dates[y]) && x < y);

  const dupOf = new Int32Array(n).fill(-1);
  const orphans = new Map<number, number[]>(); // removed representative → remaining members
  for (let d = 0; d < nBase; d++) {
    const r = baseDup[d];
    if (gone[d] || r < 0) continue;
    if (!gone[r]) dupOf[newNumber[d]] = newNumber[r];
    else {
      let members = orphans.get(r);
      if (!members) orphans.set(r, (members = []));
      members.push(newNumber[d]);
    }
  }
  for (const members of orphans.values()) {
    if (members.length < 2) continue;
    let rep = members[0];
    for (const m of members) if (earlier(m, rep)) rep = m;
    for (const m of members) dupOf[m] = rep;
  }
  if (added.length === 0) return dupOf;

  // Base documents within the window of an added one (both dated), as findNearDuplicates requires for grouping below distantThreshold.
  const windowMs = NEAR_DUPLICATE_DEFAULTS.windowHours * 3_600_000;
  const addedDates = Array.from(dates.subarray(keptCount))
    .filter((t) => t !== 0 && !Number.isNaN(t))
    .sort((x, y) => x - y);
  const near = (t: number): boolean => {
    if (t === 0 || Number.isNaN(t) || addedDates.length === 0) return false;
    // The first added date ≥ t - window must be ≤ t + window.
    const lo = lowerBound(addedDates, t - windowMs);
    return lo < addedDates.length && addedDates[lo] <= t + windowMs;
  };
  const candidates: number[] = []; // new numbers, then the added documents
  for (let d = 0; d < nBase; d++)
    if (!gone[d] && near(base.dateMs[d])) candidates.push(newNumber[d]);
  const oldNumber = new Int32Array(keptCount);
  for (let d = 0; d < nBase; d++) if (!gone[d]) oldNumber[newNumber[d]] = d;
  const bodies: Int32Array[] = [];
  const titles: Int32Array[] = [];
  for (const m of candidates) {
    const d = oldNumber[m];
    const doc = base.docs[d];
    // Code points as the builder had them (normalized; word starts play no part here).
    const cps = normalizedCache.get(doc) ?? {
      body: normalizeText(base.body(d)).codePoints,
      title: normalizeText(doc.title).codePoints,
    };
    remember(doc, cps);
    bodies.push(cps.body);
    titles.push(cps.title);
  }
  added.forEach((item, i) => {
    candidates.push(keptCount + i);
    bodies.push(item.body.codePoints);
    titles.push(item.title.codePoints);
    remember(docs[keptCount + i], { body: item.body.codePoints, title: item.title.codePoints });
  });
  const local = findNearDuplicates(
    bodies,
    titles,
    Float64Array.from(candidates, (m) => dates[m]),
  );

  // Union the base groups with the new links; groups reached by an added document get the
  // earliest member as representative, the others stay as they are.
  const { find, union } = unionFind(n);
  for (let d = 0; d < keptCount; d++) if (dupOf[d] >= 0) union(d, dupOf[d]);
  let linked = false;
  local.forEach((r, x) => {
    if (r >= 0 && r !== x) {
      union(candidates[x], candidates[r]);
      linked = true;
    }
  });
  if (!linked) return dupOf;
  const touched = new Set<number>();
  for (let d = keptCount; d < n; d++) touched.add(find(d));
  const members = new Map<number, number[]>();
  for (let d = 0; d < n; d++) {
    const root = find(d);
    if (!touched.has(root)) continue;
    let list = members.get(root);
    if (!list) members.set(root, (list = []));
    list.push(d);
  }
  for (const list of members.values()) {
    if (list.length < 2) continue;
    let rep = list[0];
    for (const m of list) if (earlier(m, rep)) rep = m;
    for (const m of list) dupOf[m] = rep;
  }
  return dupOf;
}
