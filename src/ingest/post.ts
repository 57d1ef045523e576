/** One post file (Jekyll front matter + article HTML) → Article. */
import matter from 'gray-matter';
import { IngestError, type Article } from './article.js';
import { htmlToText } from './html.js';

// fatal: reject invalid bytes instead of indexing U+FFFD; a BOM is stripped (ignoreBOM false).
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = () => {
  throw new Error('code front matter (js) is not allowed');
};
// Passing options (even `{}`) keeps gray-matter from caching every file forever (DESIGN.md).
// Its `---js` front matter would eval the post's code: turn that engine off.
const MATTER_OPTIONS = { engines: { js: refuse, javascript: refuse } };

/** The feed archiver's header: `<!--epoch ms-->`, `[title](url)`, `------`. */
const GENERATED_HEADER = /^\s*(?:<!--\s*\d+\s*-->\s*)?\[[^\n]*\]\([^\n]*\)[ \t]*\r?\n-{3,}[ \t]*(?:\r?\n|$)/;

/** A parsed post: the article, plus the page text outside it (indexed, never shown). */
export interface ParsedPost {
  article: Article;
  extra: string;
}

export function parsePost(raw: Buffer, file: string, id: string): Article {
  return readPost(raw, file, id).article;
}

export function readPost(raw: Buffer, file: string, id: string): ParsedPost {
  let str: string;
  try {
    str = utf8.decode(raw);
  } catch {
    throw new IngestError(file, 'not valid UTF-8');
  }
  if (str.trim() === '') throw new IngestError(file, 'empty file');
  if (!str.startsWith('---')) throw new IngestError(file, 'no front matter');

  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(str, MATTER_OPTIONS);
  } catch (err) {
    // js-yaml messages carry a multi-line source excerpt: keep the first line.
    const message = err instanceof Error ? err.message.split('\n')[0].replace(/:\s*$/, '') : String(err);
    throw new IngestError(file, `bad front matter: ${message}`);
  }
  const data: unknown = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new IngestError(file, 'front matter is not a mapping');
  }
  const fields = data as Record<string, unknown>;

  const title = text(fields.title);
  if (title === null) throw new IngestError(file, 'missing title');

  const { text: body, related, extra } = htmlToText(parsed.content.replace(GENERATED_HEADER, ''));
  const article: Article = {
    id,
    title,
    body,
    url: text(fields.from),
    source: text(fields.author),
    date: isoDate(fields.date),
    tags: list(fields.tags),
    categories: list(fields.categories),
    related,
  };
  return { article, extra };
}

/** A trimmed non-empty string (YAML may type `title: 2020` as a number), else null. */
function text(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
  if (typeof value !== 'string') return null;
  const s = value.trim();
  return s === '' ? null : s;
}

/** YAML gives a Date for timestamps, a string for anything else. */
function isoDate(value: unknown): string | null {
  let d: Date;
  if (value instanceof Date) d = value;
  else if (typeof value === 'string' && value.trim() !== '') d = new Date(value.trim());
  else return null;
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of items) {
    const s = text(item);
    if (s !== null) out.push(s);
  }
  return out;
}
