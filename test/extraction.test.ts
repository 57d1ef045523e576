/**
 * Visible article text is never lost (src/ingest/html.ts): for every post of ../shared/corpus,
 * what the index keeps — body, page text and related-link titles — against an independent
 * extraction of the same HTML: its DOM text (htmlparser2's DOM, domutils' textContent). The two
 * are compared as multisets of adjacent word-character pairs, so paragraph breaks and order do
 * not matter. A post keeping less than 90% fails unless a listed reason covers what it drops.
 * Skipped, and says so, without ../shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import { getElementsByTagName, removeElement, textContent } from 'domutils';
import type { AnyNode, Element } from 'domhandler';
import { listPosts } from '../src/ingest/files.js';
import { readPost, readPostSource } from '../src/ingest/post.js';
import { SHARED } from './helpers.js';

const CORPUS = ['cna-rti', 'oped'].map((f) => join(SHARED, 'corpus', f));
const skip = CORPUS.every((f) => existsSync(f))
  ? false
  : `skipped: ${CORPUS[0]} not found (../shared is not beside the repo)`;

/** The least share of a post's visible text that must be kept. */
const KEPT = 0.9;

/**
 * What the extractor drops on purpose, removed from the DOM before comparing: each a reason.
 * Nothing else may go missing.
 */
const LISTED_REASONS: { reason: string; drop: (doc: ReturnType<typeof parseDocument>) => void }[] =
  [
    {
      reason: 'not shown: scripts, styles, templates, noscript fallbacks, iframes',
      drop: (doc) => {
        const hidden = new Set(['script', 'style', 'template', 'noscript', 'iframe']);
        for (const el of getElementsByTagName((name) => hidden.has(name), doc, true))
          removeElement(el);
      },
    },
    {
      reason: "a chart embed's fallback link (Infogram), not article text",
      drop: (doc) => {
        for (const a of getElementsByTagName('a', doc, true))
          if (/(?:^|\/\/|\.)infogram\.com/.test(a.attribs.href ?? '')) removeElement(a);
      },
    },
    {
      reason: 'the feed archiver\'s footer ("获取更多RSS：" and its links), not the page',
      drop: (doc) => {
        for (const el of elements(doc))
          if (ownText(el).startsWith('获取更多RSS')) removeElement(el);
      },
    },
    {
      reason: 'the label of a related-reading box (延伸閱讀), whose links are kept',
      drop: (doc) => {
        const labels = new Set(['延伸閱讀', '延伸阅读', '相關新聞', '相关新闻', '今晨最新']);
        for (const el of elements(doc))
          for (const c of [...el.children])
            if (c.type === 'text' && labels.has(c.data.trim())) removeElement(c);
      },
    },
  ];

function elements(doc: AnyNode): Element[] {
  return getElementsByTagName(() => true, doc, true);
}

/** The element's first non-blank text child. */
function ownText(el: Element): string {
  for (const c of el.children) if (c.type === 'text' && c.data.trim()) return c.data.trim();
  return '';
}

const WORD = /[\p{L}\p{N}]/u;

function pairs(text: string): Map<string, number> {
  const chars = Array.from(text).filter((c) => WORD.test(c));
  const m = new Map<string, number>();
  for (let i = 0; i + 1 < chars.length; i++) {
    const k = chars[i] + chars[i + 1];
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Share of `visible`'s character pairs found in `kept` (1 when it has none). */
function keptShare(kept: string, visible: string): number {
  const have = pairs(kept);
  let total = 0;
  let found = 0;
  for (const [k, n] of pairs(visible)) {
    total += n;
    found += Math.min(n, have.get(k) ?? 0);
  }
  return total === 0 ? 1 : found / total;
}

test('every corpus post keeps at least 90% of its visible text', { skip }, async () => {
  const short: string[] = [];
  let posts = 0;
  let digest = -1;
  for (const folder of CORPUS)
    for (const ref of await listPosts(folder)) {
      const raw = readFileSync(ref.file);
      const { article, extra } = readPost(raw, ref.file, ref.id);
      const doc = parseDocument(readPostSource(raw, ref.file).html, { decodeEntities: true });
      for (const { drop } of LISTED_REASONS) drop(doc);
      const kept = [article.body, extra, ...article.related.map((r) => r.title)].join('\n');
      const share = keptShare(kept, textContent(doc));
      if (share < KEPT) short.push(`${ref.id}: ${(share * 100).toFixed(1)}%`);
      if (ref.id.startsWith('2020-10-01-早安世界》中秋連假第2天')) digest = share;
      posts++;
    }
  assert.equal(posts, 16_074);
  assert.ok(digest >= KEPT, `the 2020-10-01 digest keeps ${(digest * 100).toFixed(1)}%`);
  assert.deepEqual(short, []);
});
