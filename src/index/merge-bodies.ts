/** The stored bodies of a merged index (merge.ts), copied by runs of kept documents. */
import type { IndexArrays } from './news-index.js';
import type { AnalyzedArticle } from './builder.js';

/** Bodies of the kept documents (copied by runs of consecutive documents), then the added ones. */
export function mergeBodies(
  src: IndexArrays,
  gone: Uint8Array,
  newNumber: Int32Array,
  n: number,
  added: AnalyzedArticle[],
): Pick<IndexArrays, 'bodyBytes' | 'bodyOffsets' | 'bodyAstral'> {
  const nBase = gone.length;
  const addedBodies = added.map((i) => Buffer.from(i.article.body, 'utf16le'));
  let bytes = 0;
  for (let d = 0; d < nBase; d++)
    if (!gone[d]) bytes += src.bodyOffsets[d + 1] - src.bodyOffsets[d];
  for (const b of addedBodies) bytes += b.byteLength;
  const bodyBytes = new Uint8Array(bytes);
  const bodyOffsets = new Float64Array(n + 1);
  const bodyAstral = new Uint8Array(n);
  let at = 0;
  for (let d = 0; d < nBase; ) {
    if (gone[d]) {
      d++;
      continue;
    }
    let e = d;
    while (e < nBase && !gone[e]) e++;
    const from = src.bodyOffsets[d];
    const to = src.bodyOffsets[e];
    bodyBytes.set(src.bodyBytes.subarray(from, to), at);
    for (let x = d; x < e; x++) {
      const m = newNumber[x];
      bodyOffsets[m] = at + src.bodyOffsets[x] - from;
      bodyAstral[m] = src.bodyAstral[x];
    }
    at += to - from;
    d = e;
  }
  const keptCount = n - added.length;
  addedBodies.forEach((b, i) => {
    bodyOffsets[keptCount + i] = at;
    bodyBytes.set(b, at);
    at += b.byteLength;
    bodyAstral[keptCount + i] = /[\ud800-\udfff]/.test(added[i].article.body) ? 1 : 0;
  });
  bodyOffsets[n] = at;
  return { bodyBytes, bodyOffsets, bodyAstral };
}
