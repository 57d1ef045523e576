/**
 * The scale benchmark's synthetic archive (bench/synthetic-archive.ts), from a few hundred real
 * posts of ../shared/corpus: the same seed gives the same posts, the posts it writes read back
 * through the project's ingest as generated, and its wire copies are what the project's
 * near-duplicate grouping groups. Skipped, and says so, without ../shared.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generatePosts,
  postFile,
  readMaterial,
  writePosts,
  type Material,
  type SyntheticPost,
} from '../bench/synthetic-archive.js';
import { listPosts } from '../src/ingest/files.js';
import { readPost } from '../src/ingest/post.js';
import { normalizeText } from '../src/analysis/analyzer.js';
import { findNearDuplicates } from '../src/index/near-duplicates.js';
import { SHARED, tempDir } from './helpers.js';

const FOLDERS = ['cna-rti', 'oped'].map((f) => join(SHARED, 'corpus', f));
const skip = FOLDERS.every((f) => existsSync(f))
  ? false
  : `skipped: ${FOLDERS[0]} not found (../shared is not beside the repo)`;

let material: Material;
before(async () => {
  if (!skip) material = await readMaterial(FOLDERS, 150);
});

const generate = (seed: number, copyRate?: number) => [
  ...generatePosts(material, 300, { seed, copyRate }),
];

test('the same seed gives the same posts; another seed other posts', { skip }, () => {
  assert.equal(material.posts + material.refused, 300);
  const a = generate(7).map(postFile);
  assert.deepEqual(generate(7).map(postFile), a);
  const b = generate(8).map(postFile);
  assert.equal(b.length, 300);
  assert.ok(b.filter((text, i) => text === a[i]).length === 0);
});

test('written posts read back through the ingest as generated, dated over ten years', {
  skip,
}, async () => {
  const dir = tempDir('zh-news-synthetic-');
  const posts = generate(11);
  writePosts(dir, posts);
  const refs = await listPosts(dir);
  assert.equal(refs.length, posts.length);
  const byPath = new Map(posts.map((p) => [p.path.replace(/\.md$/, ''), p]));
  const paragraphs = new Set(material.paragraphs);
  const years = new Set<number>();
  for (const ref of refs) {
    const p = byPath.get(ref.id)!;
    assert.ok(p, `unexpected post ${ref.id}`);
    const { article } = readPost(readFileSync(ref.file), ref.file, ref.id);
    assert.equal(article.title, p.title);
    assert.equal(article.date, p.date);
    assert.equal(article.source, p.source);
    assert.deepEqual(article.tags, p.tags);
    assert.equal(article.url, p.url);
    // Every paragraph, escaped in HTML and read back, is a real one (a copy may add a caption).
    assert.deepEqual(article.body.split('\n'), p.paragraphs);
    for (const para of p.paragraphs) assert.ok(paragraphs.has(para));
    assert.ok(p.paragraphs.length >= 2);
    const year = new Date(p.date).getUTCFullYear();
    assert.ok(year >= 2016 && year <= 2026, p.date);
    years.add(year);
  }
  assert.ok(years.size >= 8, `dates spread over ${[...years]}`);
});

test('wire copies are grouped with their original by the near-duplicate detection', {
  skip,
}, () => {
  const posts = generate(5, 0.2);
  const copies = posts.filter((p) => p.copyOf >= 0);
  assert.ok(copies.length >= 30 && copies.length <= 90, `${copies.length} copies`);
  const text = (p: SyntheticPost) => normalizeText(p.paragraphs.join('\n')).codePoints;
  const dupOf = findNearDuplicates(
    posts.map(text),
    posts.map((p) => normalizeText(p.title).codePoints),
    Float64Array.from(posts, (p) => Date.parse(p.date)),
  );
  let checked = 0;
  for (const c of copies) {
    const original = posts[c.copyOf];
    if (original.paragraphs.join('').length < 200) continue; // too short to be grouped at all
    checked++;
    assert.notEqual(dupOf[c.n], -1, `copy ${c.path} not grouped`);
    assert.equal(dupOf[c.n], dupOf[original.n], `copy ${c.path} not with its original`);
  }
  assert.ok(checked >= 20, `${checked} copies checked`);
  // Originals are grouped only with their copies: recombined paragraphs make no near-duplicates.
  const originals = posts.filter((p) => p.copyOf < 0 && !copies.some((c) => c.copyOf === p.n));
  for (const o of originals) assert.equal(dupOf[o.n], -1, `${o.path} grouped by chance`);
});
