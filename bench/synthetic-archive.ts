/**
 * A deterministic synthetic news archive for the scale benchmark (bench/scale.ts): new posts made
 * by recombining the paragraphs of real posts (../shared/corpus), written as Jekyll posts.
 *
 * - Material: every corpus post read with the project's ingest (readPost), its body split into
 *   paragraphs; identical paragraphs (bylines, boilerplate) kept once.
 * - A new post takes a real post as its template (outlet, tags, categories, paragraph count, so
 *   lengths follow the corpus), a title recombined from two real titles, and paragraphs dealt
 *   from a shuffled deck of all paragraphs: no paragraph repeats until the deck is used up, so
 *   posts do not become near-duplicates by chance. At least two paragraphs a post, for the same
 *   reason once the deck has been dealt more than once (500k posts deal it many times).
 * - Dates: uniform over ten years.
 * - Wire copies: the share of corpus posts that the project's own near-duplicate grouping
 *   (src/index/near-duplicates.ts) finds to copy an earlier one is measured, and that share of
 *   new posts are copies of a recent original, published minutes to hours after it: the same
 *   paragraphs, sometimes with a photo caption in front or a revised title.
 *
 * Everything depends on the seed and the corpus only: the same seed gives the same posts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { listPosts } from '../src/ingest/files.js';
import { readPost } from '../src/ingest/post.js';
import type { Article } from '../src/ingest/article.js';
import { normalizeText } from '../src/analysis/analyzer.js';
import { findNearDuplicates } from '../src/index/near-duplicates.js';

/** What a new post borrows from a real one besides paragraphs. */
interface Template {
  title: string;
  source: string | null;
  tags: string[];
  categories: string[];
  paragraphs: number;
}

export interface Material {
  templates: Template[];
  /** Distinct paragraphs of every post. */
  paragraphs: string[];
  /** Indexes into `paragraphs` of short ones (photo captions for wire copies). */
  captions: number[];
  /** Share of posts that copy an earlier one (near-duplicate group members but the first). */
  copyRate: number;
  /** Posts read, and those the ingest refused. */
  posts: number;
  refused: number;
}

/** Read the posts of `folders` (the first `perFolder` of each) into recombinable material. */
export async function readMaterial(folders: string[], perFolder = Infinity): Promise<Material> {
  const refs = (await Promise.all(folders.map((f) => listPosts(f)))).flatMap((posts) =>
    posts.slice(0, perFolder),
  );
  const templates: Template[] = [];
  const paragraphs: string[] = [];
  const seen = new Set<string>();
  const bodies: Int32Array[] = [];
  const titles: Int32Array[] = [];
  const dates: number[] = [];
  let refused = 0;
  for (const ref of refs) {
    let article: Article;
    try {
      ({ article } = readPost(readFileSync(ref.file), ref.file, ref.id));
    } catch {
      refused++;
      continue;
    }
    const paras = article.body
      .split('\n')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    for (const p of paras) {
      if (seen.has(p)) continue;
      seen.add(p);
      paragraphs.push(p);
    }
    templates.push({
      title: article.title,
      source: article.source,
      tags: article.tags,
      categories: article.categories,
      paragraphs: Math.max(2, paras.length),
    });
    bodies.push(normalizeText(article.body).codePoints);
    titles.push(normalizeText(article.title).codePoints);
    dates.push(article.date ? Date.parse(article.date) : 0);
  }
  const dupOf = findNearDuplicates(bodies, titles, Float64Array.from(dates));
  let copies = 0;
  dupOf.forEach((rep, d) => {
    if (rep !== -1 && rep !== d) copies++;
  });
  const captions: number[] = [];
  paragraphs.forEach((p, i) => {
    if (p.length >= 8 && p.length <= 60) captions.push(i);
  });
  return {
    templates,
    paragraphs,
    captions,
    copyRate: copies / Math.max(1, templates.length),
    posts: templates.length,
    refused,
  };
}

export interface SyntheticPost {
  /** Its number in the archive. */
  n: number;
  /** Path of the post file relative to the archive folder, `/`-separated (its id plus `.md`). */
  path: string;
  title: string;
  /** ISO 8601. */
  date: string;
  source: string | null;
  tags: string[];
  categories: string[];
  url: string;
  paragraphs: string[];
  /** The post number this one is a wire copy of, or -1. */
  copyOf: number;
}

export interface GenerateOptions {
  seed: number;
  /** Override the measured copy rate (tests). */
  copyRate?: number;
  /** First post number: posts for the write benchmarks (another seed) are numbered after the
   * archive's, so their ids and URLs are new. */
  from?: number;
}

const TEN_YEARS_FROM = Date.UTC(2016, 0, 1);
const TEN_YEARS_MS = Date.UTC(2026, 0, 1) - TEN_YEARS_FROM;
/** Originals a copy may come from: the most recent ones generated. */
const RECENT = 256;
const TITLE_BREAK = /[\s：:，,、｜|－—-]/u;
const REVISED = ['（更新）', '[影]', '（圖）', '（完整版）', ' - 快訊'];

/** Where a title splits into a head and a tail: its first break, else its middle. */
function splitTitle(title: string): [string, string] {
  const m = TITLE_BREAK.exec(title.slice(1, -1));
  const at = m ? m.index + 1 : Math.ceil(title.length / 2);
  return [title.slice(0, at), title.slice(at)];
}

/** A float in [0, 1). */
const unit = (rng: RandomGenerator) => uniformInt(rng, 0, 2 ** 30 - 1) / 2 ** 30;

/** `count` posts with this seed, numbered from `from` (0 by default). */
export function* generatePosts(
  material: Material,
  count: number,
  options: GenerateOptions,
): Generator<SyntheticPost> {
  const rng = xoroshiro128plus(options.seed);
  const copyRate = options.copyRate ?? material.copyRate;
  const deck = Int32Array.from(material.paragraphs, (_, i) => i);
  let dealt = deck.length;
  const deal = (): string => {
    if (dealt === deck.length) {
      for (let i = deck.length - 1; i > 0; i--) {
        const j = uniformInt(rng, 0, i);
        const t = deck[i];
        deck[i] = deck[j];
        deck[j] = t;
      }
      dealt = 0;
    }
    return material.paragraphs[deck[dealt++]];
  };
  const pick = <T>(xs: T[]): T => xs[uniformInt(rng, 0, xs.length - 1)];
  const recent: SyntheticPost[] = [];
  const from = options.from ?? 0;
  for (let n = from; n < from + count; n++) {
    let post: SyntheticPost;
    const original = recent.length > 0 && unit(rng) < copyRate ? pick(recent) : null;
    if (original) {
      // A wire copy: republished 5 minutes to 12 hours later, sometimes with a caption or a new title.
      const date = Date.parse(original.date) + uniformInt(rng, 5 * 60_000, 12 * 3_600_000);
      const paragraphs = [...original.paragraphs];
      const length = paragraphs.reduce((s, p) => s + p.length, 0);
      if (length >= 400 && unit(rng) < 0.5)
        paragraphs.unshift(material.paragraphs[pick(material.captions)]);
      const title = unit(rng) < 0.5 ? original.title + pick(REVISED) : original.title;
      post = { ...original, n, title, paragraphs, ...naming(n, title, date), copyOf: original.n };
    } else {
      const t = pick(material.templates);
      const [head] = splitTitle(t.title);
      const [, tail] = splitTitle(pick(material.templates).title);
      const title = (head + tail).trim() || t.title;
      const date = TEN_YEARS_FROM + Math.floor(unit(rng) * TEN_YEARS_MS);
      const paragraphs = Array.from({ length: t.paragraphs }, deal);
      post = {
        n,
        title,
        source: t.source,
        tags: t.tags,
        categories: t.categories,
        paragraphs,
        ...naming(n, title, date),
        copyOf: -1,
      };
      recent.push(post);
      if (recent.length > RECENT) recent.shift();
    }
    yield post;
  }
}

/** Jekyll naming: a folder per year, `YYYY-MM-DD-<number>-<title>.md`. */
function naming(
  n: number,
  title: string,
  date: number,
): Pick<SyntheticPost, 'path' | 'date' | 'url'> {
  const iso = new Date(date).toISOString();
  const slug = title.replace(/[\\/:*?"<>|\s#%]+/g, '-').slice(0, 24);
  return {
    path: `${iso.slice(0, 4)}/${iso.slice(0, 10)}-${String(n).padStart(7, '0')}-${slug}.md`,
    date: iso,
    url: `https://news.example/scale/${n}`,
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The post's body as article HTML. */
export function postHtml(p: SyntheticPost): string {
  return `<div>\n${p.paragraphs.map((x) => `<p>${escapeHtml(x)}</p>`).join('\n')}\n</div>\n`;
}

/** The post file: front matter (JSON strings and lists are valid YAML) and the feed header, as the corpus has. */
export function postFile(p: SyntheticPost): string {
  return [
    '---',
    'layout: post',
    `title: ${JSON.stringify(p.title)}`,
    `date: ${p.date}`,
    ...(p.source ? [`author: ${JSON.stringify(p.source)}`] : []),
    `from: ${p.url}`,
    `tags: ${JSON.stringify(p.tags)}`,
    `categories: ${JSON.stringify(p.categories)}`,
    '---',
    `<!--${Date.parse(p.date)}-->`,
    `[${p.title.replace(/[[\]\n]/g, ' ')}](${p.url})`,
    '------',
    '',
    postHtml(p),
  ].join('\n');
}

/** The post as a JSON article for `PUT /documents/:id`. */
export function postJson(p: SyntheticPost): string {
  return JSON.stringify({
    title: p.title,
    body: postHtml(p),
    date: p.date,
    source: p.source,
    url: p.url,
    tags: p.tags,
    categories: p.categories,
  });
}

/** Write `[path, text]` files under `dir` (folders made as needed); returns the bytes written. */
export function writeFiles(dir: string, files: Iterable<[string, string]>): number {
  let bytes = 0;
  const made = new Set<string>();
  for (const [path, text] of files) {
    const file = join(dir, path);
    const folder = dirname(file);
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}

/** Write posts under `dir` as post files; returns the bytes written. */
export function writePosts(dir: string, posts: Iterable<SyntheticPost>): number {
  return writeFiles(
    dir,
    Array.from(posts, (p): [string, string] => [p.path, postFile(p)]),
  );
}
