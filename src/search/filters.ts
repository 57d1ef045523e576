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

import type { FacetValue } from '../api.js';
export type { FacetValue };

/** Integer columns of the metadata filters and facets need. */
class Columns {
  readonly sources: string[] = [];
  readonly sourceOf: Int32Array;
  readonly tags: string[] = [];
  readonly tagsOf: Int32Array[];
  readonly months: string[] = [];
  readonly monthOf: Int32Array;
  /** Scratch counters for facetCounts, all zero between calls. */
  readonly counters: Uint32Array[];

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
    this.sourceOf = Int32Array.from(index.docs, (d) =>
      d.source ? ids(this.sources, sourceIds, d.source) : -1,
    );
    this.tagsOf = index.docs.map((d) =>
      Int32Array.from(new Set(d.tags), (t) => ids(this.tags, tagIds, t)),
    );
    this.monthOf = Int32Array.from(index.docs, (d) =>
      d.date ? ids(this.months, monthIds, d.date.slice(0, 7)) : -1,
    );
    this.counters = [
      new Uint32Array(this.sources.length),
      new Uint32Array(this.tags.length),
      new Uint32Array(this.months.length),
    ];
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
    throw new SearchError(
      'bad_request',
      `${name} must be a date like 2020-12-25, got "${value.slice(0, 30)}"`,
    );
  }
  return day && name === 'to' ? t + 86_400_000 - 1 : t;
}

/**
 * Which values of a column a filter value selects: the value itself when some article has
 * exactly it (so facet values filter exactly), else every value containing it (source:中央社
 * finds "(臺)中央社CNA"). Compared after normalization, so either script works.
 */
const normalizedOf = new WeakMap<string[], string[]>();

function selectValues(values: string[], wanted: string, field: string): Set<number> {
  const w = normalize(wanted.trim());
  if (w === '') throw new SearchError('bad_request', `${field} needs a value`);
  // The column's values normalized once per index, not once per query.
  let normalized = normalizedOf.get(values);
  if (!normalized) {
    normalized = values.map((v) => normalize(v));
    normalizedOf.set(values, normalized);
  }
  const exact = normalized.flatMap((v, i) => (v === w ? [i] : []));
  if (exact.length > 0) return new Set(exact);
  return new Set(normalized.flatMap((v, i) => (v.includes(w) ? [i] : [])));
}

/** A predicate over document numbers, or null when nothing is filtered. */
export function compileFilter(index: NewsIndex, spec: FilterSpec): ((d: number) => boolean) | null {
  const c = columns(index);
  const checks: ((d: number) => boolean)[] = [];
  // Several values of one field select any of them (source=A&source=B: from A or from B).
  const anyOf = (values: string[], wanted: string[], field: string) =>
    new Set(wanted.flatMap((w) => [...selectValues(values, w, field)]));
  if (spec.sources.length > 0) {
    const ok = anyOf(c.sources, spec.sources, 'source');
    checks.push((d) => ok.has(c.sourceOf[d]));
  }
  if (spec.tags.length > 0) {
    const ok = anyOf(c.tags, spec.tags, 'tag');
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
export function facetCounts(
  index: NewsIndex,
  docs: Iterable<number>,
  fields: readonly FacetField[],
  limit = 50,
): Partial<Record<FacetField, FacetValue[]>> {
  const c = columns(index);
  const want = new Set(fields);
  // One reusable counter per column; only the values a result set touches are read and reset,
  // so a query pays for its own matches, not for every outlet, tag and month in the archive.
  const counters = c.counters;
  const touched: number[][] = [[], [], []];
  const bump = (k: number, id: number) => {
    if (counters[k][id]++ === 0) touched[k].push(id);
  };
  const source = want.has('source');
  const tag = want.has('tag');
  const month = want.has('month');
  for (const d of docs) {
    if (source && c.sourceOf[d] >= 0) bump(0, c.sourceOf[d]);
    if (tag) for (const t of c.tagsOf[d]) bump(1, t);
    if (month && c.monthOf[d] >= 0) bump(2, c.monthOf[d]);
  }
  const take = (k: number, names: string[]) => {
    const values = touched[k].map((id) => ({ value: names[id], count: counters[k][id] }));
    for (const id of touched[k]) counters[k][id] = 0;
    return values;
  };
  const byCount = (a: FacetValue, b: FacetValue) =>
    b.count - a.count || (a.value < b.value ? -1 : 1);
  const out: Partial<Record<FacetField, FacetValue[]>> = {};
  if (source) out.source = take(0, c.sources).sort(byCount).slice(0, limit);
  if (tag) out.tag = take(1, c.tags).sort(byCount).slice(0, limit);
  if (month) out.month = take(2, c.months).sort((a, b) => (a.value < b.value ? -1 : 1));
  return out;
}
