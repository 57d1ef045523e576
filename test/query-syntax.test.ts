/**
 * The query language of `q` (src/search/query-syntax.ts), parsed with the real analyzer
 * (normalization to Simplified, jieba words): words, phrases, OR, exclusions, field filters, and
 * how malformed input is read or refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, allParts, type ParsedQuery } from '../src/search/query-syntax.js';
import { SearchError } from '../src/errors.js';

/** The clauses as text: one array per clause, one string per alternative ("P:" for a phrase). */
const shape = (p: ParsedQuery) =>
  p.clauses.map((clause) =>
    clause.map((alt) => (alt.phrase ? 'P:' : '') + alt.parts.map((x) => x.text).join('+')),
  );

test('words are AND: each word a clause, normalized to Simplified, with its jieba words', () => {
  const p = parseQuery('數位身分證 試辦');
  assert.deepEqual(shape(p), [['数位身分证'], ['试办']]);
  assert.deepEqual(p.clauses[0][0].parts[0].words, ['数位', '身分证']);
  assert.deepEqual(
    p.clauses[0][0].parts[0].codePoints,
    Array.from('数位身分证', (c) => c.codePointAt(0)),
  );
  // Punctuation inside a word splits it into parts that must each match.
  assert.deepEqual(shape(parseQuery('新竹市：數位')), [['新竹市'], ['数位']]);
  assert.deepEqual(shape(parseQuery('COVID-19 疫苗')), [['covid'], ['19'], ['疫苗']]);
  // Full-width Latin folds to ASCII lower case.
  assert.deepEqual(shape(parseQuery('ｉＰｈｏｎｅ')), [['iphone']]);
});

test('quotes make a phrase of their words; a quoted single word is a plain word', () => {
  assert.deepEqual(shape(parseQuery('"數位身分證 試辦"')), [['P:数位身分证+试办']]);
  assert.deepEqual(shape(parseQuery('「數位 身分證」 新竹')), [['P:数位+身分证'], ['新竹']]);
  assert.deepEqual(shape(parseQuery('“資安 專家”')), [['P:资安+专家']]);
  assert.deepEqual(shape(parseQuery('"數位"')), [['数位']]);
  // An unbalanced quote runs to the end of the query.
  assert.deepEqual(shape(parseQuery('"數位身分證 試辦')), [['P:数位身分证+试办']]);
});

test('OR and | join alternatives into one clause; a dangling or doubled OR is ignored', () => {
  for (const q of ['川普 OR 拜登', '川普|拜登', '川普 | 拜登', 'OR 川普 OR OR 拜登 OR'])
    assert.deepEqual(shape(parseQuery(q)), [['川普', '拜登']], q);
  assert.deepEqual(shape(parseQuery('川普 OR 拜登 選舉')), [['川普', '拜登'], ['选举']]);
  // Only upper-case OR is the operator: "or" is a word.
  assert.deepEqual(shape(parseQuery('or 疫苗')), [['or'], ['疫苗']]);
});

test('-word excludes (in either script); a lone hyphen is not an operator', () => {
  const p = parseQuery('-國民黨 疫苗 -"民進 黨"');
  assert.deepEqual(shape(p), [['疫苗']]);
  assert.deepEqual(
    p.exclude.map((e) => e.map((x) => x.text)),
    [['国民党'], ['民进', '党']],
  );
  assert.deepEqual(shape(parseQuery('- 疫苗')), [['疫苗']]);
  assert.deepEqual(parseQuery('- 疫苗').exclude, []);
});

test('source: and tag: are filters, quoted values may hold spaces; an empty one is refused', () => {
  const p = parseQuery('source:中央社 tag:疫情 疫苗 SOURCE:"範例 新聞網"');
  assert.deepEqual(p.sources, ['中央社', '範例 新聞網']);
  assert.deepEqual(p.tags, ['疫情']);
  assert.deepEqual(shape(p), [['疫苗']]);
  for (const q of ['source: 疫苗', 'tag:', '疫苗 source:|拜登', 'tag:""']) {
    assert.throws(
      () => parseQuery(q),
      (e: unknown) =>
        e instanceof SearchError && e.code === 'invalid_query' && /needs a value/.test(e.message),
      q,
    );
  }
  // A negated field is an exclusion of the words, not a filter.
  assert.deepEqual(parseQuery('-source:中央社 疫苗').sources, []);
});

test('punctuation or emoji only gives no clauses; allParts lists each distinct part once', () => {
  for (const q of ['！？。', '🙂', '"" OR ||', '   ']) {
    const p = parseQuery(q);
    assert.deepEqual([p.clauses, p.exclude], [[], []], q);
  }
  const parts = allParts(parseQuery('數位 OR 数位 "數位 身分證" 身分證'));
  assert.deepEqual(
    parts.map((x) => x.text),
    ['数位', '身分证'],
  );
});
