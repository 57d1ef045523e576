/**
 * Cross-strait vocabulary at query time: a query word found in the equivalence table
 * (src/analysis/regional-terms.tsv) also matches its Mainland / Taiwan / Hong Kong equivalents.
 * OpenCC converts characters, not words; this bridges 身份证 ≡ 身分證, 软件 ≡ 軟體,
 * 特朗普 ≡ 川普.
 *
 * Only table entries expand, longest first, so a sense-restricted word is expanded only inside
 * a listed compound (数字身份证 ≡ 數位身分證; 数字 alone never becomes 數位). Equivalents match as
 * whole words (a start and an end of jieba words), never inside another word (布什 in 公布什么).
 */
import { TERM_GROUPS } from '../analysis/regional-terms.js';
import { normalize } from '../analysis/normalize.js';
import { isWordCodePoint, type QueryPart } from '../analysis/analyzer.js';

export interface Equivalent {
  /** The whole part with equivalents substituted (normalized). */
  text: string;
  codePoints: number[];
  /** What was bridged, e.g. "身份证 ≡ 身分證". */
  via: string[];
  /** Whether table entries cover the whole part (软件), not just some of it (软件公司). */
  whole: boolean;
}

interface Group {
  forms: string[];
  /** A written form for each normalized form (for `matched_via`). */
  shown: Map<string, string>;
}

const MAX_VARIANTS = 12;

class Expander {
  private readonly groupOf = new Map<string, Group>();
  private readonly maxLength: number;

  constructor() {
    let max = 0;
    for (const g of TERM_GROUPS) {
      const shown = new Map<string, string>();
      for (const written of [...g.cn, ...g.tw, ...g.hk]) {
        // A name with an interpunct (比尔·盖茨) is one query part only when typed without it;
        // typed with it, its parts are matched (and 盖茨 expanded) on their own.
        const word = written.replaceAll('·', '');
        if (!Array.from(word).every((c) => isWordCodePoint(c.codePointAt(0)!))) continue;
        const n = normalize(word);
        if (!shown.has(n)) shown.set(n, written);
      }
      if (shown.size < 2) continue;
      const group: Group = { forms: [...shown.keys()], shown };
      for (const f of group.forms) {
        this.groupOf.set(f, group);
        max = Math.max(max, Array.from(f).length);
      }
    }
    this.maxLength = max;
  }

  get size(): number {
    return this.groupOf.size;
  }

  /** Equivalent spellings of a query part (the part itself excluded). */
  expand(part: QueryPart): Equivalent[] {
    const chars = Array.from(part.text);
    // Greedy longest match from the left: segments of the part that are table entries.
    const segments: { from: number; to: number; group: Group; form: string }[] = [];
    for (let i = 0; i < chars.length; ) {
      let found = false;
      for (let len = Math.min(this.maxLength, chars.length - i); len >= 2; len--) {
        const form = chars.slice(i, i + len).join('');
        const group = this.groupOf.get(form);
        if (group) {
          segments.push({ from: i, to: i + len, group, form });
          i += len;
          found = true;
          break;
        }
      }
      if (!found) i++;
    }
    if (segments.length === 0) return [];
    let variants: { text: string; via: string[] }[] = [{ text: '', via: [] }];
    let at = 0;
    for (const s of segments) {
      const before = chars.slice(at, s.from).join('');
      const next: { text: string; via: string[] }[] = [];
      for (const v of variants) {
        for (const f of s.group.forms) {
          next.push({
            text: v.text + before + f,
            via:
              f === s.form
                ? v.via
                : [...v.via, `${s.group.shown.get(s.form)} ≡ ${s.group.shown.get(f)}`],
          });
          if (next.length >= MAX_VARIANTS * 2) break;
        }
      }
      variants = next;
      at = s.to;
    }
    const rest = chars.slice(at).join('');
    const whole = segments.reduce((n, s) => n + s.to - s.from, 0) === chars.length;
    return variants
      .filter((v) => v.via.length > 0)
      .slice(0, MAX_VARIANTS)
      .map((v) => {
        const text = v.text + rest;
        return { text, codePoints: Array.from(text, (c) => c.codePointAt(0)!), via: v.via, whole };
      });
  }
}

let expander: Expander | undefined;
export function equivalents(part: QueryPart): Equivalent[] {
  expander ??= new Expander();
  return expander.expand(part);
}
