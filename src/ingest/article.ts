/** One news post after ingest: what every later stage (analysis, index, search) sees. */
export interface RelatedLink {
  title: string;
  url: string;
}

export interface Article {
  /** Path relative to the indexed folder, without extension, `/`-separated (DESIGN.md contract). */
  id: string;
  title: string;
  /** Plain text of the body: paragraphs separated by "\n", page leftovers removed. */
  body: string;
  /** Original article URL (front matter `from`). */
  url: string | null;
  /** Outlet (front matter `author`). */
  source: string | null;
  /** ISO 8601 string, or null when the post has no usable date. */
  date: string | null;
  tags: string[];
  categories: string[];
  /** The 延伸閱讀 (related reading) block, kept out of the body. */
  related: RelatedLink[];
}

/** A post that could not be read: reported by file name, never fatal for the rest. */
export class IngestError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'IngestError';
  }
}
