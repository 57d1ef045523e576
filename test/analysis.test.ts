import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize, codePointLength } from '../src/analysis/normalize.js';
import { analyzeText, analyzeQuery, analyzerFingerprint } from '../src/analysis/analyzer.js';

/** Words jieba found, read back from the word-start flags over the normalized text. */
function words(text: string): string[] {
  const a = analyzeText(text);
  const norm = String.fromCodePoint(...a.codePoints);
  const chars = Array.from(norm);
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i <= chars.length; i++) {
    if (a.wordStarts[i]) {
      out.push(chars.slice(start, i).join(''));
      start = i;
    }
  }
  return out;
}

test('Traditional and Simplified normalize to the same text', () => {
  assert.equal(normalize('數位身分證'), normalize('数位身分证'));
  assert.equal(normalize('臺灣軟體'), normalize('台湾软体'));
  assert.equal(normalize('新竹市政府'), '新竹市政府');
});

test('normalization keeps the code-point count (Traditional, Simplified, astral, mixed)', () => {
  for (const s of [
    '內政部原規劃明年1月起在新竹市試辦數位身分證申請換發',
    '内政部原规划明年1月起在新竹市试办数字身份证',
    '𠮷田健一說：ｉＰｈｏｎｅ １２帶動5G換機潮，成長100％',
    'COVID-19疫情下，Apple與Google合作推出API',
    '什麼、什么、幺、麼',
  ]) {
    assert.equal(codePointLength(normalize(s)), codePointLength(s), s);
  }
});

test('full-width Latin and digits fold to half-width lower case', () => {
  assert.equal(normalize('ｉＰｈｏｎｅ　１２'), 'iphone 12');
  assert.equal(normalize('COVID-19'), 'covid-19');
});

test('word starts come from jieba on the normalized text and map onto the original', () => {
  // jieba cannot split 待處理 or 新竹市 apart: the index must find 處理 and 市政 anyway.
  assert.deepEqual(words('新竹市政府待處理'), ['新竹市', '政府', '待处理']);
  const original = '新竹市政府待處理';
  const a = analyzeText(original);
  assert.equal(a.codePoints.length, Array.from(original).length);
  assert.equal(a.wordStarts.length, a.codePoints.length + 1);
});

test('astral characters count as one position', () => {
  const a = analyzeText('𠮷田健一說');
  assert.equal(a.codePoints.length, 5);
  assert.equal(a.codePoints[0], 0x20bb7);
  assert.equal(String.fromCodePoint(a.codePoints[4]), '说');
});

test('mixed Latin and digits stay whole words (HMM on)', () => {
  const w = words('iPhone 12 Pro在台灣開賣');
  assert.ok(w.includes('iphone'), w.join('|'));
  assert.ok(w.includes('12'), w.join('|'));
  assert.ok(w.includes('pro'), w.join('|'));
});

test('queries split into parts at spaces and punctuation, each with its jieba words', () => {
  const parts = analyzeQuery('數位身分證 試辦！');
  assert.deepEqual(
    parts.map((p) => p.text),
    ['数位身分证', '试办'],
  );
  assert.ok(parts[0].words.length >= 2, parts[0].words.join('|'));
  assert.equal(parts[0].words.join(''), '数位身分证');
  assert.deepEqual(analyzeQuery('，。！？…😀'), []);
});

test('the analyzer fingerprint is stable within a process', () => {
  assert.match(analyzerFingerprint(), /^[0-9a-f]{16}$/);
  assert.equal(analyzerFingerprint(), analyzerFingerprint());
});
