/**
 * Filters (outlet, tag, date range) and facets over a result set. Per-document metadata is
 * turned into small integer columns once per index, so filtering and counting a result set of
 * thousands of articles is a loop over integers.
 */
import type { NewsIndex } from '../index/news-index.js';
import { normalize } from '../analysis/normalize.js';
import { SearchError } from '../errors.js';

export type FacetField = 'source' | 'tag' | 'month';
export const FACET_FIELDS: readonly FacetField[] = ['source', 'tag', 'month'];

export interface FacetValue {
  value: string;
  count: number;
}

/** Integer columns of the metadata filters and facets need. */
class Columns {
  readonly sources: string[] = [];
  readonly sourceOf: Int32Array;
  readonly tags: string[] = [];
  readonly tagsOf: Int32Array[];
  readonly months: string[] = [];
  readonly monthOf: Int32Array;

  constructor(index: NewsIndex) {
    const ids = (list: string[], map: Map<string, number>, value: string) => {
      let id = map.get(value);
      if (id === undefined) {
        id = list.push(value) - 1;
        map.set(value, id);
      }
      return id;
    };
    const sourceIds = new Map<string, number>();
    const tagIds = new Map<string, number>();
    const monthIds = new Map<string, number>();
    this.sourceOf = Int32Array.from(index.docs, (d) => (d.source ? ids(this.sources, sourceIds, d.source) : -1));
    this.tagsOf = index.docs.map((d) => Int32Array.from(new Set(d.tags), (t) => ids(this.tags, tagIds, t)));
    this.monthOf = Int32Array.from(index.docs, (d) => (d.date ? ids(this.months, monthIds, d.date.slice(0, 7)) : -1));
  }
}

const columnsOf = new WeakMap<NewsIndex, Columns>();
function columns(index: NewsIndex): Columns {
  let c = columnsOf.get(index);
  if (!c) {
    c = new Columns(index);
    columnsOf.set(index, c);
  }
  return c;
}

export interface FilterSpec {
  sources: string[];
  tags: string[];
  /** Inclusive bounds, ms since epoch. */
  from?: number;
  to?: number;
}

/** Parse `YYYY-MM-DD` (or a full ISO time); `to` dates include their whole day (UTC). */
export function parseDateBound(value: string, name: 'from' | 'to'): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(day ? `${value}T00:00:00.000Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new SearchError('bad_request', `${name} must be a date like 2020-12-25, got "${value.slice(0, 30)}"`);
  }
  return day && name === 'to' ? t + 86_400_000 - 1 : t;
}

/**
 * Which values of a column a filter value selects: the value itself when some article has
 * exactly it (so facet values filter exactly), else every value containing it (source:中央社
 * finds "(臺)中央社CNA"). Compared after normalization, so either script works.
 */
function selectValues(values: string[], wanted: string, field: string): Set<number> {
  const w = normalize(wanted.trim());
  if (w === '') throw new SearchError('bad_request', `${field} needs a value`);
  const normalized = values.map((v) => normalize(v));
  const exact = normalized.flatMap((v, i) => (v === w ? [i] : []));
  if (exact.length > 0) return new Set(exact);
  return new Set(normalized.flatMap((v, i) => (v.includes(w) ? [i] : [])));
}

/** A predicate over document numbers, or null when nothing is filtered. */
export function compileFilter(index: NewsIndex, spec: FilterSpec): ((d: number) => boolean) | null {
  const c = columns(index);
  const checks: ((d: number) => boolean)[] = [];
  for (const s of spec.sources) {
    const ok = selectValues(c.sources, s, 'source');
    checks.push((d) => ok.has(c.sourceOf[d]));
  }
  for (const t of spec.tags) {
    const ok = selectValues(c.tags, t, 'tag');
    checks.push((d) => c.tagsOf[d].some((id) => ok.has(id)));
  }
  if (spec.from !== undefined) {
    const from = spec.from;
    checks.push((d) => index.dateMs[d] >= from && index.dateMs[d] !== 0);
  }
  if (spec.to !== undefined) {
    const to = spec.to;
    checks.push((d) => index.dateMs[d] <= to && index.dateMs[d] !== 0);
  }
  if (checks.length === 0) return null;
  return (d) => checks.every((f) => f(d));
}

/** Counts per value over the documents `docs`; months in time order, the rest by count. */
export function facetCounts(index: NewsIndex, docs: Iterable<number>, fields: readonly FacetField[], limit = 50): Partial<Record<FacetField, FacetValue[]>> {
  const c = columns(index);
  const out: Partial<Record<FacetField, FacetValue[]>> = {};
  const want = new Set(fields);
  const sourceCounts = want.has('source') ? new Uint32Array(c.sources.length) : null;
  const tagCounts = want.has('tag') ? new Uint32Array(c.tags.length) : null;
  const monthCounts = want.has('month') ? new Uint32Array(c.months.length) : null;
  for (const d of docs) {
    if (sourceCounts && c.sourceOf[d] >= 0) sourceCounts[c.sourceOf[d]]++;
    if (tagCounts) for (const t of c.tagsOf[d]) tagCounts[t]++;
    if (monthCounts && c.monthOf[d] >= 0) monthCounts[c.monthOf[d]]++;
  }
  const byCount = (names: string[], counts: Uint32Array) =>
    names
      .map((value, i) => ({ value, count: counts[i] }))
      .filter((v) => v.count > 0)
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
      .slice(0, limit);
  if (sourceCounts) out.source = byCount(c.sources, sourceCounts);
  if (tagCounts) out.tag = byCount(c.tags, tagCounts);
  if (monthCounts) {
    out.month = c.months
      .map((value, i) => ({ value, count: monthCounts[i] }))
      .filter((v) => v.count > 0)
      .sort((a, b) => (a.value < b.value ? -1 : 1));
  }
  return out;
}
