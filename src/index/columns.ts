/**
 * Integer columns of the metadata that filters and facets read (outlet, tags, month), built once
 * per segment when it is created, so filtering and counting thousands of hits is a loop over
 * integers. The values' normalized forms (what a filter value is compared with, in either
 * script) are made when a segment is sealed or merged (`prepare`, segments.ts), not on the
 * first filtered query after it; the write buffer's, remade at every write, on first use.
 */
import { normalize } from '../analysis/normalize.js';
import type { StoredDoc } from './news-index.js';

export class Columns {
  readonly sources: string[] = [];
  readonly sourceOf: Int32Array;
  readonly tags: string[] = [];
  readonly tagsOf: Int32Array[];
  readonly months: string[] = [];
  readonly monthOf: Int32Array;
  private normalized: { sources: string[]; tags: string[] } | undefined;
  /** Scratch counters for facet counts, all zero between calls. */
  readonly counters: Uint32Array[];

  constructor(docs: readonly StoredDoc[]) {
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
    this.sourceOf = Int32Array.from(docs, (d) =>
      d.source ? ids(this.sources, sourceIds, d.source) : -1,
    );
    this.tagsOf = docs.map((d) =>
      Int32Array.from(new Set(d.tags), (t) => ids(this.tags, tagIds, t)),
    );
    this.monthOf = Int32Array.from(docs, (d) =>
      d.date ? ids(this.months, monthIds, d.date.slice(0, 7)) : -1,
    );
    this.counters = [
      new Uint32Array(this.sources.length),
      new Uint32Array(this.tags.length),
      new Uint32Array(this.months.length),
    ];
  }

  /** Normalize the values now. */
  prepare(): this {
    this.normalized ??= {
      sources: this.sources.map((v) => normalize(v)),
      tags: this.tags.map((v) => normalize(v)),
    };
    return this;
  }

  /** `sources` normalized, position for position. */
  get normalizedSources(): string[] {
    return this.prepare().normalized!.sources;
  }

  get normalizedTags(): string[] {
    return this.prepare().normalized!.tags;
  }
}
