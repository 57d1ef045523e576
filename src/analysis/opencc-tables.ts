/**
 * OpenCC's Taiwan Traditional → Simplified conversion (opencc-js `Converter({ from: 'tw', to:
 * 'cn' })`): opencc-js's own config and dictionaries, run by a faster loop.
 *
 * Why: opencc-js looks every character up in a Map per dictionary pass and allocates a match
 * object and an array slot for it; over 16,000 articles that was ~2 s of an indexing worker's
 * CPU, the largest cost of reading a post. Here one typed-array lookup per character and pass
 * answers most positions; a trie is walked only where an entry longer than one character may
 * start (its first two characters begin one). Output is identical: test/opencc.test.ts compares
 * the two on every dictionary entry in context, on edge cases, on the seeds, and on the whole
 * corpus when it is present.
 *
 * The steps are opencc-js's (tw2s config): normalize (one dictionary), split the text at the
 * phrases of a segmentation dictionary, then convert each piece through each dictionary group
 * of the conversion chain in turn. A conversion keeps, at each position, the longest entry that
 * matches; where none does it copies the character, or a whole ideographic description
 * sequence (⿰氵青) untouched.
 */
import { Locale, type DictGroup, type DictLike } from 'opencc-js';

/** A trie node while a table is built: the entry ending here, and the characters continuing. */
interface TrieNode {
  value?: string;
  next?: Map<number, TrieNode>;
}

/**
 * The phrase trie once built, flattened: a Map per node held ~30 MB of heap for s2tw's phrases
 * (opencc-js's own trie, ~40 MB), this a few. Nodes are numbered breadth first, roots (one per
 * first character) first; node n's children are the code points childCp[childStart[n] ..
 * childStart[n + 1]), ascending, and the child through edge e is node `roots.size + e`.
 */
class FlatTrie {
  readonly roots = new Map<number, number>();
  private readonly childStart: Int32Array;
  private readonly childCp: Int32Array;
  /** The entry ending at node n, if any. */
  readonly values: (string | undefined)[] = [];

  constructor(trie: Map<number, TrieNode>) {
    const nodes: TrieNode[] = [];
    for (const [cp, node] of trie) {
      this.roots.set(cp, nodes.length);
      nodes.push(node);
    }
    const starts: number[] = [];
    const cps: number[] = [];
    for (let n = 0; n < nodes.length; n++) {
      const node = nodes[n];
      starts.push(cps.length);
      this.values.push(node.value);
      if (!node.next) continue;
      for (const [cp, child] of [...node.next].sort((a, b) => a[0] - b[0])) {
        cps.push(cp);
        nodes.push(child);
      }
    }
    starts.push(cps.length);
    this.childStart = Int32Array.from(starts);
    this.childCp = Int32Array.from(cps);
  }

  /** Whether node n has children. */
  hasChildren(n: number): boolean {
    return this.childStart[n] < this.childStart[n + 1];
  }

  /** The child of node n through code point cp, or -1. */
  child(n: number, cp: number): number {
    const { childCp } = this;
    let lo = this.childStart[n];
    let hi = this.childStart[n + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (childCp[mid] < cp) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.childStart[n + 1] && childCp[lo] === cp ? this.roots.size + lo : -1;
  }
}

/**
 * One dictionary group, as opencc-js's Trie loads it (loadDictGroup: the first dictionary wins
 * a key), with per-character answers for positions where no longer entry starts.
 */
class Table {
  /** Entries by first character, for characters where an entry longer than one starts. */
  private readonly phrases: FlatTrie;
  /** Per BMP code unit: 1 where an entry longer than one character starts. */
  private readonly phraseStartBmp = new Uint8Array(0x10000);
  private readonly phraseStartAstral = new Set<number>();
  /** Per BMP code unit: its one-character entry as a code unit; 0 none; 0xffff see `singles`. */
  private readonly singleBmp = new Uint16Array(0x10000);
  private readonly singles = new Map<number, string>();
  /**
   * Bit per hash of (first, second character) of entries longer than one character: most
   * positions where such an entry starts are followed by a character none continues with.
   */
  private readonly phrasePairs = new Uint8Array(PAIR_HASH_SIZE >> 3);
  /** The value of the entry match() found last. */
  private matched = '';

  constructor(group: DictGroup) {
    const entries = new Map<string, string>();
    for (const dict of [...group].reverse())
      for (const [from, to] of dictEntries(dict)) entries.set(from, to);
    for (const [from, to] of entries) {
      if (!from) continue; // opencc-js never matches an empty entry
      const first = from.codePointAt(0)!;
      if (String.fromCodePoint(first).length === from.length) {
        this.singles.set(first, to);
        if (first < 0x10000)
          this.singleBmp[first] =
            to.length === 1 && to !== '\0' && to !== '\uffff' ? to.charCodeAt(0) : 0xffff;
      } else if (first < 0x10000) this.phraseStartBmp[first] = 1;
      else this.phraseStartAstral.add(first);
    }
    // The trie holds every entry whose first character starts a longer one (a one-character
    // entry there too: the longest match may be it).
    const trie = new Map<number, TrieNode>();
    for (const [from, to] of entries) {
      const cps = Array.from(from, (c) => c.codePointAt(0)!);
      if (cps.length === 0 || !this.startsPhrase(cps[0])) continue;
      let node = trie.get(cps[0]) ?? trie.set(cps[0], {}).get(cps[0])!;
      for (const cp of cps.slice(1)) {
        node.next ??= new Map();
        node = node.next.get(cp) ?? node.next.set(cp, {}).get(cp)!;
      }
      node.value = to;
      if (cps.length > 1) {
        const h = pairHash(cps[0], cps[1]);
        this.phrasePairs[h >> 3] |= 1 << (h & 7);
      }
    }
    this.phrases = new FlatTrie(trie);
  }

  private startsPhrase(cp: number): boolean {
    return cp < 0x10000 ? this.phraseStartBmp[cp] === 1 : this.phraseStartAstral.has(cp);
  }

  /**
   * Trie.matchPrefix(text, i) where an entry longer than one character starts with `cp`: the
   * end of the longest entry matched (its value in `matched`), or 0.
   */
  private match(text: string, i: number, cp: number): number {
    const trie = this.phrases;
    let at = i + (cp > 0xffff ? 2 : 1);
    let node = trie.roots.get(cp)!;
    let end = 0;
    let value = trie.values[node];
    if (value !== undefined) {
      end = at;
      this.matched = value;
    }
    while (at < text.length && trie.hasChildren(node)) {
      const c = codePointAt(text, at, text.charCodeAt(at));
      node = trie.child(node, c);
      if (node < 0) break;
      at += c > 0xffff ? 2 : 1;
      value = trie.values[node];
      if (value !== undefined) {
        end = at;
        this.matched = value;
      }
    }
    return end;
  }

  /** Whether an entry longer than one character may start at i (whose character is `cp`). */
  private phraseMayStart(text: string, i: number, cp: number): boolean {
    if (cp < 0x10000 ? this.phraseStartBmp[cp] === 0 : !this.phraseStartAstral.has(cp))
      return false;
    const next = i + (cp > 0xffff ? 2 : 1);
    if (next >= text.length) return false;
    const h = pairHash(cp, codePointAt(text, next, text.charCodeAt(next)));
    return (this.phrasePairs[h >> 3] & (1 << (h & 7))) !== 0;
  }

  /** Trie.convert(text). */
  convert(text: string): string {
    const { singleBmp } = this;
    const out = new Output(text);
    for (let i = 0; i < text.length; ) {
      const c = text.charCodeAt(i);
      const cp = c >= 0xd800 && c <= 0xdbff ? codePointAt(text, i, c) : c;
      if (this.phraseMayStart(text, i, cp)) {
        const end = this.match(text, i, cp);
        if (end) {
          out.replace(i, end, this.matched);
          i = end;
          continue;
        }
      } else {
        const unit = cp < 0x10000 ? singleBmp[cp] : this.singles.has(cp) ? 0xffff : 0;
        if (unit !== 0) {
          const width = cp < 0x10000 ? 1 : 2;
          if (unit === 0xffff) out.replace(i, i + width, this.singles.get(cp)!);
          else out.replaceUnit(i, unit);
          i += width;
          continue;
        }
      }
      i += cp < IDS_FIRST ? 1 : cp > IDS_LAST ? (cp > 0xffff ? 2 : 1) : unmatchedWidth(text, i);
    }
    return out.finish();
  }

  /** Trie.segment(text): the pieces between and of the entries matched, as [start, end) pairs. */
  segment(text: string): number[] {
    const { singleBmp } = this;
    const cuts = [0];
    for (let i = 0; i < text.length; ) {
      const c = text.charCodeAt(i);
      const cp = c >= 0xd800 && c <= 0xdbff ? codePointAt(text, i, c) : c;
      const phrase = this.phraseMayStart(text, i, cp);
      const single = !phrase && (cp < 0x10000 ? singleBmp[cp] !== 0 : this.singles.has(cp));
      const end = phrase ? this.match(text, i, cp) : single ? i + (cp < 0x10000 ? 1 : 2) : 0;
      if (end) {
        if (cuts[cuts.length - 1] !== i) cuts.push(i);
        cuts.push(end);
        i = end;
      } else
        i += cp < IDS_FIRST ? 1 : cp > IDS_LAST ? (cp > 0xffff ? 2 : 1) : unmatchedWidth(text, i);
    }
    if (cuts[cuts.length - 1] !== text.length) cuts.push(text.length);
    return cuts;
  }
}

/**
 * Output of a conversion: the input itself until something is replaced; then a copy of the
 * input's code units, replaced in place while replacements keep their length (the common
 * case), else written unit by unit from there on.
 */
class Output {
  private units: Uint16Array | null = null;
  /** Units of output written (or, in place, already correct). */
  private length = 0;
  /** Input before this index is accounted for in `units`. */
  private copied = 0;
  /** Whether units[copied..] still holds the input from `copied` on. */
  private inPlace = true;

  constructor(private readonly text: string) {}

  replaceUnit(at: number, unit: number): void {
    this.copyTo(at, 1);
    this.units![this.length++] = unit;
    this.copied = at + 1;
  }

  replace(at: number, end: number, value: string): void {
    if (value.length !== end - at) this.inPlace = false;
    this.copyTo(at, value.length);
    const units = this.units!;
    let length = this.length;
    for (let k = 0; k < value.length; k++) units[length++] = value.charCodeAt(k);
    this.length = length;
    this.copied = end;
  }

  finish(): string {
    if (!this.units) return this.text;
    this.copyTo(this.text.length, 0);
    return Buffer.from(this.units.buffer, this.units.byteOffset, this.length * 2).toString(
      'utf16le',
    );
  }

  /** Account for input [copied, upTo) and make room for `extra` more units. */
  private copyTo(upTo: number, extra: number): void {
    const { text } = this;
    if (!this.units) {
      const bytes = Buffer.allocUnsafeSlow(2 * (text.length + 16));
      bytes.write(text, 0, 'utf16le');
      this.units = new Uint16Array(bytes.buffer, bytes.byteOffset, text.length + 16);
    }
    if (this.inPlace) {
      this.length += upTo - this.copied;
      this.copied = upTo;
      return;
    }
    const need = this.length + (upTo - this.copied) + extra;
    if (need > this.units.length) {
      const grown = new Uint16Array(Math.max(need, this.units.length * 2));
      grown.set(this.units.subarray(0, this.length));
      this.units = grown;
    }
    const units = this.units;
    let length = this.length;
    for (let k = this.copied; k < upTo; k++) units[length++] = text.charCodeAt(k);
    this.length = length;
    this.copied = upTo;
  }
}

const PAIR_HASH_SIZE = 1 << 18;

function pairHash(a: number, b: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ b) & (PAIR_HASH_SIZE - 1);
}

/** String.prototype.codePointAt(i), given the unit c at i. */
function codePointAt(text: string, i: number, c: number): number {
  if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) return c;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000 : c;
}

function charWidth(text: string, i: number): number {
  return (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
}

/** Ideographic description characters: an unmatched one is skipped with its operands. */
const IDS_FIRST = 0x2ff0;
const IDS_LAST = 0x2fff;

/** Operands of an ideographic description character (U+2FF0–U+2FFF); 0 for other characters. */
function idsArity(cp: number): number {
  if (cp >= 0x2ff0 && cp <= 0x2ff1) return 2;
  if (cp >= 0x2ff2 && cp <= 0x2ff3) return 3;
  if (cp >= 0x2ff4 && cp <= 0x2fff) return 2;
  return 0;
}

/** End of the ideographic description sequence starting at i, or 0 if none (or cut short). */
function idsEnd(text: string, i: number): number {
  const arity = idsArity(text.codePointAt(i) ?? 0);
  if (arity === 0) return 0;
  let at = i + charWidth(text, i);
  for (let k = 0; k < arity; k++) {
    if (at >= text.length) return 0;
    at = idsEnd(text, at) || at + charWidth(text, at);
  }
  return at;
}

/** How far opencc-js moves past an unmatched position: a character, or a whole sequence. */
function unmatchedWidth(text: string, i: number): number {
  const end = idsEnd(text, i);
  return end > i ? end - i : charWidth(text, i);
}

function dictEntries(dict: DictLike): [string, string][] {
  if (typeof dict !== 'string')
    return (dict as readonly (readonly [string, string])[]).map((pair) => [pair[0], pair[1]]);
  return dict.split('|').map((entry) => {
    const [from, to] = entry.split(' ');
    return [from, to];
  });
}

interface ConverterConfig {
  normalizationChain?: readonly DictGroup[];
  segmentation?: DictLike | DictGroup;
  conversionChain: readonly DictGroup[];
}

/** The opencc-js configs this module runs: Taiwan Traditional ↔ Simplified, and s2t's tables. */
export type OpenccConfig = 'tw2s' | 's2tw' | 's2t';

function localeConfig(name: OpenccConfig): ConverterConfig {
  const config = (Locale.configs as Record<string, ConverterConfig> | undefined)?.[name];
  if (!config || (name !== 's2t' && !config.segmentation))
    throw new Error(`opencc-js no longer has a ${name} config: update opencc-tables.ts`);
  return config;
}

/**
 * opencc-js's converter for a config (what `Converter({ from, to })` runs: tw → cn is tw2s,
 * cn → tw is s2tw), faster, and in a fraction of the memory: opencc-js's tries hold a Map per
 * node, ~40 MB for s2tw.
 */
export function openccConverter(name: 'tw2s' | 's2tw'): (text: string) => string {
  const config = localeConfig(name);
  if (!config.segmentation) throw new Error(`unreachable: ${name} has a segmentation dictionary`);
  const normalization = (config.normalizationChain ?? []).map((g) => new Table(g));
  const segmentation = new Table(
    isGroup(config.segmentation) ? config.segmentation : [config.segmentation],
  );
  const chain = config.conversionChain.map((g) => new Table(g));
  return (text) => {
    for (const t of normalization) text = t.convert(text);
    const cuts = segmentation.segment(text);
    if (cuts.length === 2) return chain.reduce((s, t) => t.convert(s), text);
    let out = '';
    for (let k = 0; k + 1 < cuts.length; k++)
      out += chain.reduce((s, t) => t.convert(s), text.slice(cuts[k], cuts[k + 1]));
    return out;
  };
}

/** opencc-js's `tw` → `cn` converter, faster. */
export function taiwanToSimplified(): (text: string) => string {
  return openccConverter('tw2s');
}

/** As opencc-js decides: an array of strings is a group of dictionaries, anything else one dictionary. */
function isGroup(d: DictLike | DictGroup): d is DictGroup {
  return Array.isArray(d) && d.every((x) => typeof x === 'string');
}

/**
 * Characters that are valid Simplified and that `tw → cn` converts by context, each mapped to one
 * match key for its group (著 and 着 → 着; 瞭 and 了 → 了; 乾 and 干 → 干).
 *
 * Why: `tw → cn` keeps 著 inside 顯著 (→ 显著) but turns a lone 著 into 着, so Simplified 显著
 * (no phrase there) becomes 显着 while Traditional 顯著 becomes 显著, and neither finds the
 * other; likewise a substring of a phrase converts apart from it. Folding each group to one key
 * after conversion makes the result the same whatever the context.
 *
 * Derived from opencc-js's own dictionaries, so it follows them: over every phrase entry of the
 * tw2s dictionaries, a character is grouped with what it becomes there and alone when it is
 * kept in some context (瞭 in 瞭望, 了 in 瞭解), and a character a phrase keeps is grouped with
 * what it becomes alone (著 in 顯著; 着 alone). A character no context keeps (畫 → 画 or 划) is
 * not valid Simplified and needs no key: its outputs stay apart. The key of a group is the
 * member most used in opencc-js's Simplified phrases (s2t), i.e. the everyday form jieba
 * knows best (着, 了, 干, 坏 — not 坯).
 */
export function contextualFolds(convert = taiwanToSimplified()): Map<string, string> {
  const config = localeConfig('tw2s');
  const dicts = [
    ...(config.segmentation === undefined
      ? []
      : isGroup(config.segmentation)
        ? config.segmentation
        : [config.segmentation]),
    ...config.conversionChain.flat(),
  ];
  // Converted in one call each, joined by newlines: no dictionary entry holds one, so no match
  // crosses it (a call per entry allocated its way to 0.2 s).
  const convertAll = (texts: string[]) => convert(texts.join('\n')).split('\n');
  const phrases = [
    ...new Set(dicts.flatMap((d) => dictEntries(d).map(([from]) => from ?? ''))),
  ].filter((from) => codePointLength(from) > 1 && !from.includes('\n'));
  const converted = convertAll(phrases);
  const chars = [...new Set([...phrases, ...converted].flatMap((p) => Array.from(p)))];
  const aloneOf = new Map<string, string>();
  for (const [i, r] of convertAll(chars).entries())
    aloneOf.set(chars[i], codePointLength(r) === 1 ? r : chars[i]);
  const alone = (c: string): string => aloneOf.get(c) ?? c;
  /** What each source character becomes, per context (alone included). */
  const outputs = new Map<string, Set<string>>();
  /** Characters some phrase outputs. */
  const produced = new Set<string>();
  phrases.forEach((from, k) => {
    const source = Array.from(from);
    const out = Array.from(converted[k]);
    if (out.length !== source.length) return; // length-changing: normalize() goes per character
    source.forEach((c, i) => {
      let set = outputs.get(c);
      if (!set) outputs.set(c, (set = new Set([alone(c)])));
      set.add(out[i]);
      produced.add(out[i]);
    });
  });
  const groups = new UnionFind();
  for (const [c, outs] of outputs)
    if (outs.size > 1 && outs.has(c)) for (const o of outs) groups.union(c, o);
  for (const p of produced) if (alone(p) !== p) groups.union(p, alone(p));
  const all = groups.groups();
  const uses = phraseUses(new Set(all.flat()));
  const folds = new Map<string, string>();
  for (const members of all) {
    const key = members.reduce((best, m) => {
      const d = (uses.get(m) ?? 0) - (uses.get(best) ?? 0);
      if (d !== 0) return d > 0 ? m : best;
      // a tie: what tw → cn makes of the others, then the lower code point
      const mTarget = members.some((o) => o !== m && alone(o) === m);
      const bestTarget = members.some((o) => o !== best && alone(o) === best);
      if (mTarget !== bestTarget) return mTarget ? m : best;
      return m.codePointAt(0)! < best.codePointAt(0)! ? m : best;
    });
    for (const m of members) if (m !== key) folds.set(m, key);
  }
  return folds;
}

/**
 * How often each of `chars` occurs in the Simplified phrases (keys longer than one character)
 * of opencc-js's s2t dictionaries. Scans the dictionary strings in place: they hold 50,000
 * entries, and splitting them costs more than the rest of contextualFolds.
 */
function phraseUses(chars: Set<string>): Map<string, number> {
  const wanted = new Uint8Array(0x10000);
  for (const c of chars) if (c.length === 1) wanted[c.charCodeAt(0)] = 1;
  const counts = new Map<number, number>();
  const countUnits = (s: string, from: number, to: number) => {
    for (let k = from; k < to; k++) {
      const u = s.charCodeAt(k);
      if (wanted[u] === 1) counts.set(u, (counts.get(u) ?? 0) + 1);
    }
  };
  for (const dict of localeConfig('s2t').conversionChain.flat()) {
    if (typeof dict !== 'string') {
      for (const [from] of dictEntries(dict))
        if (codePointLength(from) > 1) countUnits(from, 0, from.length);
      continue;
    }
    let keyStart = 0;
    let inKey = true;
    for (let i = 0; i < dict.length; i++) {
      const c = dict.charCodeAt(i);
      if (c === 0x7c /* | */) {
        keyStart = i + 1;
        inKey = true;
      } else if (c === 0x20 && inKey) {
        inKey = false;
        const units = i - keyStart;
        const oneAstral = units === 2 && (dict.charCodeAt(keyStart) & 0xfc00) === 0xd800;
        if (units > 1 && !oneAstral) countUnits(dict, keyStart, i);
      }
    }
  }
  return new Map([...counts].map(([u, n]) => [String.fromCharCode(u), n]));
}

/** A converter replacing single characters by the map's values (a one-pass Table). */
export function characterMap(map: Map<string, string>): (text: string) => string {
  const table = new Table([[...map].map(([from, to]) => `${from} ${to}`).join('|')]);
  return (text) => table.convert(text);
}

/** Groups of characters, joined pairwise. */
class UnionFind {
  private readonly parent = new Map<string, string>();

  private find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    this.parent.set(x, root);
    return root;
  }

  union(a: string, b: string): void {
    if (a === b) return;
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }

  groups(): string[][] {
    const out = new Map<string, string[]>();
    for (const x of this.parent.keys()) {
      const r = this.find(x);
      const group = out.get(r);
      if (group) group.push(x);
      else out.set(r, [x]);
    }
    return [...out.values()].filter((g) => g.length > 1).map((g) => g.sort());
  }
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
