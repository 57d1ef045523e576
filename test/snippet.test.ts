/**
 * Snippets and highlighted titles (src/search/snippet.ts) on the seed articles' own text: where
 * a snippet is cut (sentence starts and ends, ellipses), which passage is chosen, how marks are
 * placed and merged, and that the article's HTML-like text comes out escaped, with <mark> the
 * only tag.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, highlight, markedText, snippet, type Span } from '../src/search/snippet.js';
import { textSource } from '../src/index/text-source.js';
import { docNumber } from '../src/search/documents.js';
import { seedsIndex, EXAMPLE_ID } from './helpers.js';

const XSS_ID = '2021-01-14-網站未過濾使用者輸入 資安專家示範跨站腳本攻擊手法';
const LENGTH = 120;

let example: string;
let xss: string;
before(async () => {
  const { index } = await seedsIndex();
  example = index.body(docNumber(index, EXAMPLE_ID)!);
  xss = index.body(docNumber(index, XSS_ID)!);
});

/** Every occurrence of each term in `text`, in code points; term k is terms[k]. */
function spansOf(text: string, terms: string[]): Span[] {
  const chars = Array.from(text);
  const spans: Span[] = [];
  terms.forEach((term, k) => {
    const t = Array.from(term);
    for (let i = 0; i + t.length <= chars.length; i++)
      if (t.every((c, j) => chars[i + j] === c))
        spans.push({ start: i, end: i + t.length, term: k });
  });
  return spans;
}

const plain = (html: string) => markedText(html);

const make = (text: string, terms: string[]) =>
  snippet(textSource(text), spansOf(text, terms), { length: LENGTH });

test('escapeHtml escapes the five characters HTML gives meaning to', () => {
  assert.equal(
    escapeHtml(`<img src=x onerror="alert('1')">&amp;`),
    '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;',
  );
  assert.equal(escapeHtml('數位身分證'), '數位身分證');
  // markedText undoes it exactly, even for text that looks escaped already.
  assert.equal(markedText(escapeHtml(xss)), xss);
  assert.equal(markedText('&amp;lt;<mark>a</mark>', '*'), '&lt;*a*');
});

test('a title: every span marked, overlapping and touching spans merged, offsets in code points', () => {
  const title = '𠮷田說明：數位身分證<試辦>延後';
  assert.equal(
    highlight(title, spansOf(title, ['𠮷田', '數位', '位身分', '身分證'])),
    '<mark>𠮷田</mark>說明：<mark>數位身分證</mark>&lt;試辦&gt;延後',
  );
  // Spans past the end are clipped; no spans: the escaped title.
  assert.equal(highlight('延後', [{ start: 1, end: 9, term: 0 }]), '延<mark>後</mark>');
  assert.equal(highlight('a<b>', []), 'a&lt;b&gt;');
});

test('the article’s HTML-like text is escaped: <mark> is the only tag in a snippet', () => {
  for (const terms of [['script'], ['alert'], ['img', 'onerror'], ['輸入'], ['&lt;']]) {
    const html = make(xss, terms);
    assert.ok(html.includes('<mark>'), `${terms}: something is marked`);
    assert.doesNotMatch(html.replace(/<\/?mark>/g, ''), /[<>]/, `${terms}: ${html}`);
    // Escaping loses nothing: the passage is the article's text.
    assert.ok(xss.replace(/\n/g, ' ').includes(plain(html).replace(/^…|…$/g, '')), html);
  }
  assert.match(make(xss, ['script']), /&lt;<mark>script<\/mark>&gt;alert\(&quot;xss&quot;\)/);
});

test('cut points: from the start of the sentence holding the match, to a sentence end or …', () => {
  // 澎湖縣 is in the third paragraph, which starts after a newline.
  const html = make(example, ['澎湖縣']);
  const text = plain(html);
  assert.ok(text.startsWith('…內政部10月宣布明年1月開始在澎湖縣'), text);
  assert.match(html, /<mark>澎湖縣<\/mark>/);
  // It ends at the first sentence end past most of the length: the paragraph's 。
  assert.ok(text.endsWith('申請換證。…'), text);
  const passage = text.slice(1, -1);
  assert.ok([...passage].length <= LENGTH + 30, `${[...passage].length} characters`);
  assert.ok([...passage].length >= LENGTH * 0.6, `${[...passage].length} characters`);
});

test('the passage holding the most distinct terms wins over one with more of a single term', () => {
  // 試辦 occurs all through the article; 澎湖縣 only once, near 試辦: that passage is chosen.
  const html = make(example, ['試辦', '澎湖縣']);
  assert.match(html, /<mark>澎湖縣<\/mark>/);
  assert.match(html, /<mark>試辦<\/mark>/);
  // Every occurrence in the passage is marked, not only the first.
  const shown = plain(html);
  const count = (s: string, term: string) => s.split(term).length - 1;
  assert.equal(count(html, '<mark>試辦</mark>'), count(shown, '試辦'));
});

test('no match: the opening of the article; newlines become spaces; empty text, empty snippet', () => {
  const html = make(example, []);
  assert.ok(plain(html).startsWith('新竹市政府25日表示'), html);
  assert.ok(html.endsWith('…'));
  assert.doesNotMatch(html, /\n/);
  const twoParagraphs = '第一段提到數位身分證。\n第二段很短。\n';
  assert.equal(make(twoParagraphs, ['數位']), '第一段提到<mark>數位</mark>身分證。 第二段很短。');
  // A match in a later sentence: the snippet starts there, after an ellipsis.
  assert.equal(make('第一段很短。\n第二段提到數位。', ['數位']), '…第二段提到<mark>數位</mark>。');
  assert.equal(make('', ['數位']), '');
});
