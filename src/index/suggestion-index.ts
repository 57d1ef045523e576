/**
 * The prefix index behind character suggestions: FlexSearch's forward tokenizer over a
 * vocabulary (every prefix of each entry indexed), returning entries in insertion order, which
 * is frequency order. Built with the rest of a vocabulary's lexicon (lexicon.ts).
 *
 * A FlexSearch index lives in the thread that built it (its maps cannot be transferred, and its
 * worker mode answers only asynchronously), and adding 50,000 entries takes 0.25–0.7 s. So
 * after a flush it is built on the query thread in slices of a few milliseconds, one per
 * macrotask (setImmediate), while the previous lexicon serves: a query waits at most one slice.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

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

/** How long one slice of a sliced build may hold the query thread. */
const SLICE_MS = 3;
/** Entries added between looks at the clock. */
const STEP = 64;

// Entries are normalized already; each is one token, and every prefix of it is indexed.
const newIndex = (): PrefixIndex =>
  new Index({ tokenize: 'forward', encode: (s: string) => [s], resolution: 1 });

/** Built at once, in this thread (a reader without a writer to build it in slices). */
export function buildPrefixIndex(texts: readonly { text: string }[]): PrefixIndex {
  const flex = newIndex();
  texts.forEach((e, i) => {
    flex.add(i, e.text);
  });
  return flex;
}

/** Built in slices of at most ~SLICE_MS, each its own macrotask, so queries run between them. */
export async function buildPrefixIndexInSlices(
  texts: readonly { text: string }[],
): Promise<PrefixIndex> {
  const flex = newIndex();
  let i = 0;
  while (i < texts.length) {
    await new Promise<void>((ok) => setImmediate(ok));
    const until = performance.now() + SLICE_MS;
    do {
      for (const end = Math.min(i + STEP, texts.length); i < end; i++) flex.add(i, texts[i].text);
    } while (i < texts.length && performance.now() < until);
  }
  return flex;
}
