/**
 * The prefix index behind suggestions: FlexSearch's forward tokenizer over a reader's title
 * vocabulary (every prefix of each entry indexed), returning entries in insertion order, which
 * is frequency order. One per vocabulary: a reader's vocabulary changes only when a flush, merge
 * or load makes a new one, which builds this at once (warm); readers made by writes in between
 * share it.
 */
import { createRequire } from 'node:module';
import type { VocabularyEntry } from './vocabulary.js';

// flexsearch 0.8 ships CommonJS with types that do not match its ESM build: load it by require.
const require = createRequire(import.meta.url);
const { Index } = require('flexsearch') as {
  Index: new (
    options: object,
  ) => {
    add(id: number, text: string): void;
    search(q: string, options: { limit: number }): number[];
  };
};

export type PrefixIndex = InstanceType<typeof Index>;

const indexes = new WeakMap<readonly VocabularyEntry[], PrefixIndex>();

export function prefixIndex(vocabulary: readonly VocabularyEntry[]): PrefixIndex {
  let flex = indexes.get(vocabulary);
  if (!flex) {
    // Entries are normalized already; each is one token, and every prefix of it is indexed.
    flex = new Index({ tokenize: 'forward', encode: (s: string) => [s], resolution: 1 });
    vocabulary.forEach((e, i) => {
      flex!.add(i, e.text);
    });
    indexes.set(vocabulary, flex);
  }
  return flex;
}
