/**
 * Bigram postings: for every pair of adjacent word characters, the positions where it occurs.
 * Built by two stable counting sorts (by the second character, then by the first) over every
 * position, so each bigram's positions come out ascending without a hash map per position.
 *
 * `PostingsWorker` runs the same function in a worker thread: during a full build it is the
 * largest step after analysis (~1 s for 16,000 articles), and the analysis workers are done by
 * then, so the main thread does the rest of the build on the other core meanwhile.
 */
import { Worker } from 'node:worker_threads';

export interface Postings {
  keys: Float64Array;
  keyStarts: Uint32Array;
  positions: Int32Array;
}

/**
 * Postings of the text `ids` (character ids below `charCount`, 0 for non-word characters; the
 * text ends with a 0): keys a * charCount + b ascending, each with its ascending positions.
 * Also used for the text a merge adds (merge.ts).
 */
export function bigramPostings(ids: Int32Array, charCount: number): Postings {
  // Every field ends with a separator (id 0), so a word character always has a next position.
  // Each pass reads its input in order and carries the ids it needs along, so no pass looks a
  // position up at random in `ids` (16 M entries: cache misses dominated an earlier version).
  const n = ids.length;
  let count = 0;
  const secondStart = new Uint32Array(charCount + 1);
  const firstStart = new Uint32Array(charCount + 1);
  for (let p = 0; p < n; p++) {
    const a = ids[p];
    if (a === 0) continue;
    count++;
    secondStart[ids[p + 1]]++;
    firstStart[a]++;
  }
  prefixSums(secondStart);
  prefixSums(firstStart);

  // Pass 1: stable by the second character, carrying the first.
  const bySecond = new Int32Array(count);
  const firstOf = new Int32Array(count);
  const next = secondStart.slice();
  for (let p = 0; p < n; p++) {
    const a = ids[p];
    if (a === 0) continue;
    const j = next[ids[p + 1]]++;
    bySecond[j] = p;
    firstOf[j] = a;
  }
  // Pass 2: stable by the first character, carrying the second.
  const positions = new Int32Array(count);
  const secondOf = new Int32Array(count);
  const at = firstStart.slice();
  for (let b = 0; b < charCount; b++) {
    const end = b + 1 < charCount ? secondStart[b + 1] : count;
    for (let j = secondStart[b]; j < end; j++) {
      const dst = at[firstOf[j]]++;
      positions[dst] = bySecond[j];
      secondOf[dst] = b;
    }
  }
  // Distinct (first, second) runs become the key table.
  const keys: number[] = [];
  const starts: number[] = [];
  for (let a = 1; a < charCount; a++) {
    const end = a + 1 < charCount ? firstStart[a + 1] : count;
    let prev = -1;
    for (let i = firstStart[a]; i < end; i++) {
      if (secondOf[i] !== prev) {
        prev = secondOf[i];
        keys.push(a * charCount + prev);
        starts.push(i);
      }
    }
  }
  starts.push(count);
  return { keys: Float64Array.from(keys), keyStarts: Uint32Array.from(starts), positions };
}

/** Turn counts into start offsets in place. */
function prefixSums(a: Uint32Array): void {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a[i];
    a[i] = sum;
    sum += c;
  }
}

/**
 * A worker thread that computes one set of postings. Start it before laying the text out: its
 * start-up (~40 ms) then overlaps that work.
 */
export class PostingsWorker {
  private readonly worker = new Worker(new URL('./postings-worker.js', import.meta.url));
  private readonly result: Promise<Postings>;

  constructor() {
    this.result = new Promise<Postings>((ok, fail) => {
      this.worker.once('message', ok);
      this.worker.once('error', fail);
      this.worker.once('exit', (code) => fail(new Error(`postings worker exited with code ${code} before answering`)));
    });
    this.result.catch(() => {}); // reported by postings(); a failure before it is asked is not unhandled
  }

  /** bigramPostings(ids, charCount) in the worker. `ids` moves to the worker: it is unusable here afterwards. */
  async postings(ids: Int32Array, charCount: number): Promise<Postings> {
    this.worker.postMessage({ ids, charCount }, [ids.buffer as ArrayBuffer]);
    try {
      return await this.result;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stop the worker without asking (a build that failed before it needed the postings). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
