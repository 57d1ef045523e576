/**
 * Filters (outlet, tag, date range) and facets over a result set, on the integer columns each
 * segment builds when it is created (index/columns.ts). Facets of a result set spread over
 * segments are counted per segment and added up by value.
 */
import type { Columns } from '../index/columns.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { NewsIndex } from '../index/news-index.js';
import { normalize } from '../analysis/normalize.js';
import { SearchError } from '../errors.js';

export type FacetField = 'source' | 'tag' | 'month';
export const FACET_FIELDS: readonly FacetField[] = ['source', 'tag', 'month'];

import type { FacetValue } from '../api.js';
export type { FacetValue };

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

function wantedValue(wanted: string, field: string): string {
  const w = normalize(wanted.trim());
  if (w === '') throw new SearchError('bad_request', `${field} needs a value`);
  return w;
}

/**
 * Which values of a column a filter value selects: the value itself when some article has
 * exactly it (so facet values filter exactly), else every value containing it (source:中央社
 * finds "(臺)中央社CNA"). Compared after normalization, so either script works: these are the
 * ids of a segment's column values (normalized when the segment was made) that `w` selects.
 */
function selectValues(normalized: string[], w: string, exact: boolean): Set<number> {
  return new Set(normalized.flatMap((v, i) => ((exact ? v === w : v.includes(w)) ? [i] : [])));
}

/**
 * Per segment (by its position in the reader), a predicate over its document numbers, or null
 * when nothing is filtered. Whether a value selects exactly is decided over all segments, so a
 * filter selects the same articles however they are segmented.
 */
export function compileSegmentFilters(
  reader: IndexReader,
  spec: FilterSpec,
): (slot: number) => ((d: number) => boolean) | null {
  const columns = reader.segments.map((s) => s.core.columns);
  const exactly = (pick: (c: Columns) => string[], w: string) =>
    columns.some((c) => pick(c).includes(w));
  const sources = spec.sources.map((v) => {
    const w = wantedValue(v, 'source');
    return { w, exact: exactly((c) => c.normalizedSources, w) };
  });
  const tags = spec.tags.map((v) => {
    const w = wantedValue(v, 'tag');
    return { w, exact: exactly((c) => c.normalizedTags, w) };
  });
  return (slot) => {
    const c = columns[slot];
    const dateMs = reader.segments[slot].index.dateMs;
    const checks: ((d: number) => boolean)[] = [];
    // Several values of one field select any of them (source=A&source=B: from A or from B).
    const anyOf = (values: string[], wanted: { w: string; exact: boolean }[]) =>
      new Set(wanted.flatMap(({ w, exact }) => [...selectValues(values, w, exact)]));
    if (sources.length > 0) {
      const ok = anyOf(c.normalizedSources, sources);
      checks.push((d) => ok.has(c.sourceOf[d]));
    }
    if (tags.length > 0) {
      const ok = anyOf(c.normalizedTags, tags);
      checks.push((d) => c.tagsOf[d].some((id) => ok.has(id)));
    }
    if (spec.from !== undefined) {
      const from = spec.from;
      checks.push((d) => dateMs[d] >= from && dateMs[d] !== 0);
    }
    if (spec.to !== undefined) {
      const to = spec.to;
      checks.push((d) => dateMs[d] <= to && dateMs[d] !== 0);
    }
    if (checks.length === 0) return null;
    return (d) => checks.every((f) => f(d));
  };
}

/** A predicate over global document numbers, or null when nothing is filtered. */
export function compileFilter(
  index: NewsIndex | IndexReader,
  spec: FilterSpec,
): ((d: number) => boolean) | null {
  const reader = readerOf(index);
  const perSegment = compileSegmentFilters(reader, spec);
  const preds = reader.segments.map((_, s) => perSegment(s));
  if (preds.every((p) => p === null)) return null;
  return (g) => {
    const s = reader.segmentOf(g);
    return preds[s]!(g - reader.bases[s]);
  };
}

/** Counts per value over the documents `docs` (global numbers); months in time order, the rest by count. */
export function facetCounts(
  index: NewsIndex | IndexReader,
  docs: ArrayLike<number>,
  fields: readonly FacetField[],
  limit = 50,
): Partial<Record<FacetField, FacetValue[]>> {
  return readerFacetCounts(readerOf(index), docs, fields, limit);
}

/** Counts per value over the documents `docs` (global numbers of `reader`). */
export function readerFacetCounts(
  reader: IndexReader,
  docs: ArrayLike<number>,
  fields: readonly FacetField[],
  limit = 50,
): Partial<Record<FacetField, FacetValue[]>> {
  // Group by segment (documents of one segment are mostly together in a result list).
  const bySegment = new Map<number, number[]>();
  for (let i = 0; i < docs.length; i++) {
    const g = docs[i];
    const s = reader.segmentOf(g);
    let list = bySegment.get(s);
    if (!list) bySegment.set(s, (list = []));
    list.push(g - reader.bases[s]);
  }
  const totals: Map<string, number>[] = [new Map(), new Map(), new Map()];
  const want = new Set(fields);
  for (const [s, locals] of bySegment) {
    const counted = segmentFacetCounts(reader.segments[s].core.columns, locals, want);
    counted.forEach((values, k) => {
      for (const [value, count] of values)
        totals[k].set(value, (totals[k].get(value) ?? 0) + count);
    });
  }
  const list = (k: number): FacetValue[] =>
    Array.from(totals[k], ([value, count]) => ({ value, count }));
  const byCount = (a: FacetValue, b: FacetValue) =>
    b.count - a.count || (a.value < b.value ? -1 : 1);
  const out: Partial<Record<FacetField, FacetValue[]>> = {};
  if (want.has('source')) out.source = list(0).sort(byCount).slice(0, limit);
  if (want.has('tag')) out.tag = list(1).sort(byCount).slice(0, limit);
  if (want.has('month')) out.month = list(2).sort((a, b) => (a.value < b.value ? -1 : 1));
  return out;
}

/** Counts per value (source, tag, month) over documents of one segment. */
function segmentFacetCounts(
  c: Columns,
  docs: number[],
  want: Set<FacetField>,
): [string, number][][] {
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
  const take = (k: number, names: string[]): [string, number][] => {
    const values = touched[k].map((id): [string, number] => [names[id], counters[k][id]]);
    for (const id of touched[k]) counters[k][id] = 0;
    return values;
  };
  return [take(0, c.sources), take(1, c.tags), take(2, c.months)];
}
