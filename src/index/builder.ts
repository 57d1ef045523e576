/**
 * Builds a NewsIndex from analyzed articles: lays their text out as character ids, then
 * postings (postings.ts), stored bodies, near-duplicates and the title vocabulary.
 */
import type { Article } from '../ingest/article.js';
import { isWordCodePoint, type AnalyzedText } from '../analysis/analyzer.js';
import { NewsIndex, type IndexArrays } from './news-index.js';
import { VocabularyTally, type VocabularyEntry } from './vocabulary.js';
import { findNearDuplicates, nearDuplicateBands } from './near-duplicates.js';
import { bigramPostings, PostingsWorker, type Postings } from './postings.js';
import { newBits, setBit } from './bitset.js';

export interface AnalyzedArticle {
  article: Article;
  title: AnalyzedText;
  body: AnalyzedText;
  /** Page text outside the article (HtmlText.extra): searchable with a low weight, never shown. */
  extra: AnalyzedText;
}

/** The articles' text laid out for postings (layout() in IndexBuilder). */
interface LaidOutText {
  /** Character ids, one per position; 0 where not a word character. */
  ids: Int32Array;
  chars: Int32Array;
  wordStarts: Uint8Array;
  nonWord: Uint8Array;
  docStarts: Int32Array;
  bodyStarts: Int32Array;
  extraStarts: Int32Array;
  titleTotal: number;
  bodyTotal: number;
}

/** What the build computes beside the postings (IndexBuilder.withoutPostings). */
interface BesidePostings {
  stored: Pick<
    IndexArrays,
    'dupOf' | 'dupBands' | 'dupSigned' | 'bodyBytes' | 'bodyOffsets' | 'bodyAstral'
  >;
  vocabulary: VocabularyEntry[];
}

export class IndexBuilder {
  private readonly items: AnalyzedArticle[] = [];
  private totalLength = 0;
  private readonly vocabulary: VocabularyTally;

  /** Entries are left to the tally's owner (a build in segments: build.ts); the index has none. */
  private readonly sharedVocabulary: boolean;

  /**
   * `pinyin: false` leaves the vocabulary without readings (bench: what they cost). `vocabulary`:
   * count titles into this tally, shared by several builders, instead of one of its own.
   */
  constructor(options: { pinyin?: boolean; vocabulary?: VocabularyTally } = {}) {
    this.vocabulary = options.vocabulary ?? new VocabularyTally(options.pinyin ?? true);
    this.sharedVocabulary = options.vocabulary !== undefined;
  }

  /** Articles in index order (the vocabulary tally breaks ties by first appearance). */
  add(item: AnalyzedArticle): void {
    this.items.push(item);
    this.totalLength +=
      item.title.codePoints.length + item.body.codePoints.length + item.extra.codePoints.length + 3;
    this.vocabulary.addTitle(item.article.title, item.title);
  }

  /** Seconds the vocabulary's pinyin readings took (on this thread, beside the postings). */
  get pinyinSeconds(): number {
    return this.vocabulary.pinyinSeconds;
  }

  get count(): number {
    return this.items.length;
  }

  /** The index, postings computed in this thread. */
  build(fingerprint: string): NewsIndex {
    const text = this.layout();
    const postings = bigramPostings(text.ids, text.chars.length);
    return this.assemble(text, postings, this.withoutPostings(), fingerprint);
  }

  /**
   * The same index, its postings computed in a worker thread while this one stores bodies,
   * finds near-duplicates and sorts the vocabulary (for a large build, whose analysis workers
   * are idle by then: over 16,000 articles each side takes ~0.65-0.7 s).
   */
  async buildInParallel(fingerprint: string): Promise<NewsIndex> {
    const worker = new PostingsWorker();
    let text: LaidOutText;
    try {
      text = this.layout();
    } catch (e) {
      await worker.close();
      throw e;
    }
    const postings = worker.postings(text.ids, text.chars.length);
    postings.catch(() => {}); // awaited below, after the work done meanwhile
    const rest = this.withoutPostings();
    return this.assemble(text, await postings, rest, fingerprint);
  }

  /** Every article's text, one after another, as character ids, with its bit arrays. */
  private layout(): LaidOutText {
    const n = this.totalLength;
    const ids = new Int32Array(n);
    const wordStarts = newBits(n); // a bit per position (and one past the end)
    const nonWord = newBits(n); // a bit per position: space, punctuation, separator
    const docStarts = new Int32Array(this.items.length + 1);
    const bodyStarts = new Int32Array(this.items.length);
    const extraStarts = new Int32Array(this.items.length);
    // charId[cp]: 0 unseen, -1 non-word, else the character's id.
    const charId = new Int32Array(0x110000);
    const chars: number[] = [0];
    let titleTotal = 0;
    let bodyTotal = 0;
    const place = (text: AnalyzedText, at: number): number => {
      const cps = text.codePoints;
      const flags = text.wordStarts;
      for (let i = 0; i < cps.length; i++) {
        const cp = cps[i];
        let id = charId[cp];
        if (id === 0) {
          id = isWordCodePoint(cp) ? chars.push(cp) - 1 : -1;
          charId[cp] = id;
        }
        const p = at + i;
        if (id > 0)
          ids[p] = id; // ids starts zeroed: 0 is "not a word character"
        else setBit(nonWord, p);
        if (flags[i]) setBit(wordStarts, p);
      }
      // The separator after the field: not a word character, always a boundary.
      const end = at + cps.length;
      setBit(nonWord, end);
      setBit(wordStarts, end);
      return end + 1;
    };

    let at = 0;
    this.items.forEach((item, d) => {
      docStarts[d] = at;
      at = place(item.title, at);
      bodyStarts[d] = at;
      at = place(item.body, at);
      extraStarts[d] = at;
      at = place(item.extra, at);
      titleTotal += item.title.codePoints.length;
      bodyTotal += item.body.codePoints.length;
    });
    docStarts[this.items.length] = at;
    setBit(wordStarts, n);

    return {
      ids,
      chars: Int32Array.from(chars),
      wordStarts,
      nonWord,
      docStarts,
      bodyStarts,
      extraStarts,
      titleTotal,
      bodyTotal,
    };
  }

  /** Everything but the postings: stored bodies, near-duplicates, the vocabulary. */
  private withoutPostings(): BesidePostings {
    // Bodies are stored as UTF-16LE, written straight into one array (a buffer per body, then
    // concatenating and copying them, made ~200 MB of garbage for 16,000 articles).
    const bodyAstral = Uint8Array.from(this.items, (i) =>
      /[\ud800-\udfff]/.test(i.article.body) ? 1 : 0,
    );
    const bodyOffsets = new Float64Array(this.items.length + 1);
    this.items.forEach((i, d) => {
      bodyOffsets[d + 1] = bodyOffsets[d] + 2 * i.article.body.length;
    });
    const bodyBytes = new Uint8Array(bodyOffsets[this.items.length]);
    const bodyWriter = Buffer.from(bodyBytes.buffer, bodyBytes.byteOffset, bodyBytes.byteLength);
    this.items.forEach((i, d) => {
      bodyWriter.write(i.article.body, bodyOffsets[d], 'utf16le');
    });
    const dates = Float64Array.from(this.items, (i) =>
      i.article.date ? Date.parse(i.article.date) || 0 : 0,
    );
    const bodies = this.items.map((i) => i.body.codePoints);
    const titles = this.items.map((i) => i.title.codePoints);
    const bands = nearDuplicateBands(bodies, titles);
    const dupOf = findNearDuplicates(bodies, titles, dates, undefined, bands);
    return {
      stored: {
        dupOf,
        dupBands: bands.bands,
        dupSigned: bands.signed,
        bodyBytes,
        bodyOffsets,
        bodyAstral,
      },
      vocabulary: this.sharedVocabulary ? [] : this.vocabulary.entries(),
    };
  }

  private assemble(
    text: LaidOutText,
    postings: Postings,
    { stored, vocabulary }: BesidePostings,
    fingerprint: string,
  ): NewsIndex {
    const {
      chars,
      wordStarts,
      nonWord,
      docStarts,
      bodyStarts,
      extraStarts,
      titleTotal,
      bodyTotal,
    } = text;
    const docCount = Math.max(1, this.items.length);
    return new NewsIndex(
      this.items.map(({ article: { body: _body, ...doc } }) => doc),
      { ...stored, chars, wordStarts, nonWord, docStarts, bodyStarts, extraStarts, ...postings },
      { avgTitleLength: titleTotal / docCount, avgBodyLength: bodyTotal / docCount },
      fingerprint,
      vocabulary,
    );
  }
}
