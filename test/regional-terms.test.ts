/**
 * The review rules of the cross-strait equivalence table (src/analysis/regional-terms.md), run
 * on the data file as it is loaded at start, and the counts the note gives. A rule broken by an
 * edit of regional-terms.tsv fails here with the group named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseTermGroups,
  TERM_GROUPS,
  TERM_KINDS,
  type TermGroup,
} from '../src/analysis/regional-terms.js';
import { normalize } from '../src/analysis/normalize.js';
import { REPO } from './helpers.js';

const NOTE = readFileSync(join(REPO, 'src/analysis/regional-terms.md'), 'utf8');
const shown = (g: TermGroup) => [...g.cn, ...g.tw, ...g.hk].join(' / ');
const formsOf = (g: TermGroup) => [...g.cn, ...g.tw, ...g.hk];

/** A section of the review note, from its heading to the next. */
function section(title: string): string {
  const start = NOTE.indexOf(`## ${title}`);
  assert.ok(start >= 0, `regional-terms.md has a section "${title}"`);
  const end = NOTE.indexOf('\n## ', start + 3);
  return NOTE.slice(start, end < 0 ? undefined : end);
}

/** The number the note gives before or after `label` (e.g. "**689 groups**", "(470 groups)"). */
function noted(pattern: RegExp): number {
  const m = NOTE.match(pattern);
  assert.ok(m, `regional-terms.md states ${pattern}`);
  return Number(m[1]);
}

test('every group has two forms that differ after normalization, even ignoring ·', () => {
  for (const g of TERM_GROUPS) {
    assert.ok(g.cn.length > 0 && g.tw.length > 0, `${shown(g)}: a cn and a tw form`);
    const distinct = new Set(formsOf(g).map((f) => normalize(f).replaceAll('·', '')));
    assert.ok(distinct.size >= 2, `${shown(g)}: the search bridges it already`);
  }
});

test('no normalized form in two groups; forms are words: no spaces, no punctuation but ·', () => {
  const owner = new Map<string, TermGroup>();
  for (const g of TERM_GROUPS) {
    for (const f of new Set(formsOf(g).map(normalize))) {
      const other = owner.get(f);
      if (other && other !== g) assert.fail(`${f} is in ${shown(g)} and in ${shown(other)}`);
      owner.set(f, g);
    }
    for (const f of formsOf(g)) {
      assert.match(f, /^[\p{L}\p{N}·]+$/u, `${shown(g)}: "${f}"`);
      assert.ok([...f].length >= 2, `${shown(g)}: "${f}" is one character`);
    }
  }
});

test('hk lists only Hong Kong forms that differ from cn and tw; cn forms are Simplified', () => {
  for (const g of TERM_GROUPS) {
    const mainland = new Set([...g.cn, ...g.tw].map(normalize));
    for (const f of g.hk) assert.ok(!mainland.has(normalize(f)), `${shown(g)}: hk ${f}`);
    for (const f of g.cn) assert.equal(normalize(f), f.toLowerCase(), `${shown(g)}: cn ${f}`);
  }
});

test('no rejected candidate A ≡ B of the review note is in the table', () => {
  const pairs: [string, string][] = [];
  for (const line of section('Rejected candidates').split('\n')) {
    const cell = line.split('|')[1] ?? '';
    for (const piece of cell.replace(/\([^)]*\)/g, '').split(/[,;]/)) {
      const sides = piece.split('≡');
      if (sides.length !== 2) continue;
      // "single characters 硅", "质量 … alone", "TW 國中": the term is the last Chinese word
      // before ≡ and the first after it.
      const before = sides[0].match(/[\p{Script=Han}·]+(?=\s*$)/u)?.[0];
      const after = sides[1].match(/[\p{Script=Han}·]+/u)?.[0];
      if (before && after) pairs.push([before, after]);
    }
  }
  assert.ok(pairs.length >= 40, `read ${pairs.length} rejected pairs from the note`);
  for (const [a, b] of pairs) {
    const together = TERM_GROUPS.find((g) => {
      const forms = formsOf(g).map(normalize);
      return forms.includes(normalize(a)) && forms.includes(normalize(b));
    });
    assert.equal(
      together,
      undefined,
      `${a} ≡ ${b} was rejected but is the group ${together && shown(together)}`,
    );
  }
});

test('each pair the note keeps although sense-restricted is one group with a note', () => {
  const kept = [...section('Kept, but sense-restricted').matchAll(/^(\S+) ≡ (\S+?)[:.]/gmu)];
  assert.ok(kept.length >= 8, `read ${kept.length} kept pairs from the note`);
  for (const [, a, b] of kept) {
    const g = TERM_GROUPS.find((x) => formsOf(x).includes(a) && formsOf(x).includes(b));
    assert.ok(g, `${a} ≡ ${b} is a group`);
    assert.ok(g.note, `${a} ≡ ${b} carries a note`);
  }
});

test('the counts in the review note are the table’s', () => {
  const count = (keep: (g: TermGroup) => boolean) => TERM_GROUPS.filter(keep).length;
  assert.equal(noted(/\*\*(\d+) groups\*\*/), TERM_GROUPS.length, 'groups');
  for (const kind of TERM_KINDS)
    assert.equal(
      noted(new RegExp(`^\\| ${kind}\\b[^|]*\\|\\s*(\\d+)`, 'm')),
      count((g) => g.kind === kind),
      kind,
    );
  assert.equal(
    noted(/(\d+) groups have a Hong Kong form/),
    count((g) => g.hk.length > 0),
  );
  assert.equal(
    noted(/(\d+) carry a `note`/),
    count((g) => g.note !== undefined),
  );
  const from = (s: string) => count((g) => g.source.includes(s));
  assert.equal(noted(/TWPhrasesRev\*\*[^:]*: (\d+) groups/), from('OpenCC TWPhrases'));
  assert.equal(noted(/\*\*Common knowledge\*\*[^(]*\((\d+) groups\)/), from('common knowledge'));
  assert.equal(noted(/in (\d+) groups, a Taiwan form occurs/), from('CNA corpus usage'));
  assert.equal(noted(/tw→cn conversion\*\* \((\d+) groups\)/), from('OpenCC tw→cn gap'));
  assert.equal(
    noted(/The (\d+) groups whose\s+source lacks "CNA corpus usage"/),
    TERM_GROUPS.length - from('CNA corpus usage'),
  );
});

test('the docs give the table’s size', () => {
  for (const doc of ['docs/api.md', 'docs/design.md']) {
    const text = readFileSync(join(REPO, doc), 'utf8');
    const stated = [...text.matchAll(/(\d[\d,]*) groups in `src\/analysis\/regional-terms\.tsv`/g)];
    assert.ok(stated.length > 0, `${doc} gives the number of groups`);
    for (const m of stated) assert.equal(Number(m[1].replace(',', '')), TERM_GROUPS.length, doc);
  }
});

test('the loader names the line of a malformed row and refuses a missing header', () => {
  const header = 'cn\ttw\thk\tkind\tsource\tnote';
  assert.deepEqual(
    parseTermGroups(`# a comment\n${header}\n软件|软体\t軟體\t\ttechnology\tOpenCC TWPhrases\t\n`),
    [
      {
        cn: ['软件', '软体'],
        tw: ['軟體'],
        hk: [],
        kind: 'technology',
        source: 'OpenCC TWPhrases',
        note: undefined,
      },
    ],
  );
  assert.throws(
    () => parseTermGroups(`${header}\n软件\t軟體\t\tsoftware\tOpenCC\n`, 't.tsv'),
    /^Error: t\.tsv:2: kind must be one of/,
  );
  assert.throws(() => parseTermGroups(`${header}\n\t軟體\t\ttechnology\tx\n`), /:2: cn needs/);
  assert.throws(() => parseTermGroups(`${header}\n软件\t軟體\t\ttechnology\t\n`), /source/);
  assert.throws(() => parseTermGroups('软件\t軟體\n'), /:1: the header must be/);
  assert.throws(
    () => parseTermGroups(`${header}\n软件\t軟體\t\ttechnology\tx\ty\tz\n`),
    /7 columns/,
  );
});
