/**
 * Bigram postings: for every pair of adjacent word characters, the positions where it occurs.
 * Built by two stable counting sorts (by the second character, then by the first) over every
 * position, so each bigram's positions come out ascending without a hash map per position; the
 * second sort also finds where each pair's run starts, and a counting sort of those runs gives
 * the key table.
 *
 * `PostingsWorker` runs the same function in a worker thread: during a full build it is the
 * largest step after analysis (~0.65 s for 16,000 articles), and the analysis workers are done
 * by then, so the main thread does the rest of the build on the other core meanwhile.
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

  // Pass 1: stable by the second character, carrying the first (in 16 bits when ids fit: half
  // the memory to fill and read back).
  const bySecond = new Int32Array(count);
  const firstOf = charCount <= 0x10000 ? new Uint16Array(count) : new Int32Array(count);
  const next = secondStart.slice();
  for (let p = 0; p < n; p++) {
    const a = ids[p];
    if (a === 0) continue;
    const j = next[ids[p + 1]]++;
    bySecond[j] = p;
    firstOf[j] = a;
  }
  // Pass 2: stable by the first character. Second characters come in ascending order, so the
  // first entry of a first character under a new second one starts the run of that pair: the
  // keys are found here (second-major) instead of by scanning every position again.
  const positions = new Int32Array(count);
  const at = firstStart.slice();
  const lastSecond = new Int32Array(charCount).fill(-1);
  const found = new KeyRuns(Math.max(16, count >> 4));
  for (let b = 0; b < charCount; b++) {
    const end = b + 1 < charCount ? secondStart[b + 1] : count;
    for (let j = secondStart[b]; j < end; j++) {
      const a = firstOf[j];
      const dst = at[a]++;
      positions[dst] = bySecond[j];
      if (lastSecond[a] !== b) {
        lastSecond[a] = b;
        found.push(a, b, dst);
      }
    }
  }
  // First-major key order: a stable counting sort of the runs by first character.
  const k = found.length;
  const slot = new Uint32Array(charCount + 1);
  for (let r = 0; r < k; r++) slot[found.first[r]]++;
  prefixSums(slot);
  const keys = new Float64Array(k);
  const keyStarts = new Uint32Array(k + 1);
  for (let r = 0; r < k; r++) {
    const i = slot[found.first[r]]++;
    keys[i] = found.first[r] * charCount + found.second[r];
    keyStarts[i] = found.start[r];
  }
  keyStarts[k] = count;
  return { keys, keyStarts, positions };
}

/** Runs of (first, second) character pairs as found, in growable arrays. */
class KeyRuns {
  first: Int32Array;
  second: Int32Array;
  start: Uint32Array;
  length = 0;

  constructor(capacity: number) {
    this.first = new Int32Array(capacity);
    this.second = new Int32Array(capacity);
    this.start = new Uint32Array(capacity);
  }

  push(a: number, b: number, at: number): void {
    if (this.length === this.first.length) {
      const grow = <T extends Int32Array | Uint32Array>(old: T, fresh: T): T => {
        fresh.set(old);
        return fresh;
      };
      const size = 2 * this.length;
      this.first = grow(this.first, new Int32Array(size));
      this.second = grow(this.second, new Int32Array(size));
      this.start = grow(this.start, new Uint32Array(size));
    }
    this.first[this.length] = a;
    this.second[this.length] = b;
    this.start[this.length++] = at;
  }
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
      this.worker.once('exit', (code) =>
        fail(new Error(`postings worker exited with code ${code} before answering`)),
      );
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
