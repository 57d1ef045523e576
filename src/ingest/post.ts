/**
 * One post file → Article. Dialects accepted: Jekyll front matter with key variants (see the
 * fields below), an HTML or a Markdown body (`isMarkdownBody`), CRLF line endings, and the
 * encodings `decodePost` reads (UTF-8 with or without BOM, UTF-16 with BOM, Big5, GBK/GB18030).
 */
import { createHash } from 'node:crypto';
import matter from 'gray-matter';
import { IngestError, type Article } from './article.js';
import { decodePost } from './decode.js';
import { HtmlError, htmlToText } from './html.js';
import { isMarkdownBody, markdownToHtml } from './markdown.js';

const refuse = () => {
  throw new Error('code front matter (js) is not allowed');
};
// Called without options, gray-matter caches every input string it parses, forever: passing
// options (even `{}`) turns that cache off, so a folder of posts is not kept in memory.
// Its `---js` front matter would eval the post's code: turn that engine off.
const MATTER_OPTIONS = { engines: { js: refuse, javascript: refuse } };

/** The feed archiver's header: `<!--epoch ms-->`, `[title](url)`, `------`. */
const GENERATED_HEADER =
  /^\s*(?:<!--\s*\d+\s*-->\s*)?\[[^\n]*\]\([^\n]*\)[ \t]*\r?\n-{3,}[ \t]*(?:\r?\n|$)/;

/** A parsed post: the article, plus the page text outside it (indexed, never shown). */
export interface ParsedPost {
  article: Article;
  extra: string;
}

export function parsePost(raw: Buffer, file: string, id: string): Article {
  return readPost(raw, file, id).article;
}

/** SHA-1 of a post file's bytes (Article.hash). */
export function fileHash(raw: Buffer): string {
  return createHash('sha1').update(raw).digest('hex');
}

/**
 * gray-matter's front matter data and content of `str` (LF line endings). gray-matter looks its
 * input up in its cache, keyed by the whole text, even when told not to cache: that hashed every
 * post's body (0.8 s over the corpus). So it gets the front matter block only, and the content
 * is cut where gray-matter cuts it: after the first `\n---` past the opening one, less one
 * newline. Throws what gray-matter throws on bad YAML.
 */
export function splitFrontMatter(str: string): { data: unknown; content: string } {
  const close = str.startsWith('---') && str[3] !== '-' ? str.indexOf('\n---', 3) : -1;
  if (close < 0) {
    // No block, or none gray-matter would see (`----`): nothing long is saved, ask it directly.
    const parsed = matter(str, MATTER_OPTIONS);
    return { data: parsed.data, content: parsed.content };
  }
  const headEnd = close + 4;
  const { data } = matter(str.slice(0, headEnd), MATTER_OPTIONS);
  return { data, content: str.slice(str.charCodeAt(headEnd) === 10 ? headEnd + 1 : headEnd) };
}

export function readPost(raw: Buffer, file: string, id: string): ParsedPost {
  // CRLF (and lone CR) → LF, so front matter delimiters and Markdown blank lines are found.
  let str = decodePost(raw, file);
  if (str.includes('\r')) str = str.replace(/\r\n?/g, '\n');
  if (str.trim() === '') throw new IngestError(file, 'empty file');
  if (!str.startsWith('---')) throw new IngestError(file, 'no front matter');

  let parsed: { data: unknown; content: string };
  try {
    parsed = splitFrontMatter(str);
  } catch (err) {
    // js-yaml messages carry a multi-line source excerpt: keep the first line.
    const message =
      err instanceof Error ? err.message.split('\n')[0].replace(/:\s*$/, '') : String(err);
    throw new IngestError(file, `bad front matter: ${message}`);
  }
  const data: unknown = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new IngestError(file, 'front matter is not a mapping');
  }
  const fields = data as Record<string, unknown>;

  const title = text(fields.title);
  if (title === null) throw new IngestError(file, 'missing title');

  const content = parsed.content.replace(GENERATED_HEADER, '');
  let converted: ReturnType<typeof htmlToText>;
  try {
    converted = htmlToText(isMarkdownBody(content) ? markdownToHtml(content) : content);
  } catch (err) {
    if (err instanceof HtmlError) throw new IngestError(file, err.message);
    throw err;
  }
  const { text: body, related, extra } = converted;
  const article: Article = {
    id,
    title,
    body,
    // The first key present of each group: archives name the same field differently.
    url: first(fields, ['from', 'url', 'link', 'original_url'], text),
    source: first(fields, ['author', 'source', 'outlet'], text),
    date: isoDate(fields.date),
    tags: list(fields.tags),
    categories:
      first(fields, ['categories', 'category'], (v) => (list(v).length > 0 ? list(v) : null)) ?? [],
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

/** The value of the first of `keys` that gives one. */
function first<T>(
  fields: Record<string, unknown>,
  keys: string[],
  read: (value: unknown) => T | null,
): T | null {
  for (const key of keys) {
    const v = read(fields[key]);
    if (v !== null) return v;
  }
  return null;
}

/**
 * Epoch numbers below this are seconds, above it milliseconds: 1e11 s is the year 5138,
 * 1e11 ms is March 1973 — no news archive dates fall on the wrong side of either.
 */
const EPOCH_MS_FROM = 1e11;
const EPOCH_DIGITS = /^\d{9,13}$/;

/**
 * YAML gives a Date for timestamps, a number for `date: 1608883020`, a string for anything
 * else (a string of 9–13 digits is an epoch number too).
 */
function isoDate(value: unknown): string | null {
  let d: Date;
  if (typeof value === 'string' && EPOCH_DIGITS.test(value.trim())) value = Number(value.trim());
  if (value instanceof Date) d = value;
  else if (typeof value === 'number' && Number.isFinite(value))
    d = new Date(Math.abs(value) < EPOCH_MS_FROM ? value * 1000 : value);
  else if (typeof value === 'string' && value.trim() !== '') d = new Date(value.trim());
  else return null;
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** A YAML list, or a string of comma-separated items (ASCII `,` or full-width `，`). */
function list(value: unknown): string[] {
  const items = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(/[,，]/)
      : [value];
  const out: string[] = [];
  for (const item of items) {
    const s = text(item);
    if (s !== null) out.push(s);
  }
  return out;
}
