/** One news post after ingest: what every later stage (analysis, index, search) sees. */
export interface RelatedLink {
  title: string;
  url: string;
}

export interface Article {
  /**
   * Path relative to the indexed folder, without extension, `/`-separated (the contract is in
   * docs/api.md, "Document ids").
   */
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
  /** SHA-1 of the post file's bytes, for posts read from files: how the folder watch tells a changed file. */
  hash?: string;
}

/** A change to a collection of posts: one put (added or replaced, with its page text) or deleted. */
export type PostChange =
  | {
      op: 'put';
      article: Article;
      extra: string;
      /** Work already done on it further down the line (the index writer skips analysis); never logged. */
      prepared?: unknown;
    }
  | { op: 'delete'; id: string };

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
