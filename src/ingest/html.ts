/**
 * Article HTML → plain text with paragraph structure.
 *
 * Runs once per post on every (re)index, so it streams with htmlparser2's `Parser` (no DOM).
 * htmlparser2 balances events: every open tag gets exactly one close, void elements and
 * unclosed tags get implied closes, stray close tags are dropped. So one frame per open
 * element on our own stack is enough to track what each element started.
 */
import { Parser } from 'htmlparser2';
import type { RelatedLink } from './article.js';

export interface HtmlText {
  text: string;
  related: RelatedLink[];
  /**
   * Text a reader sees on the page outside the article: sidebars, promo boxes, share and
   * comment widgets, inline link boxes. Kept out of the body (and so out of snippets), but
   * searchable with a low weight so a verbatim search finds every page that shows the words.
   * Code, embeds, forms and the 延伸閱讀 block are not part of it.
   */
  extra: string;
}

/** Content of these never reaches the text: code, embeds, forms, widgets. */
const SKIP_TAGS = new Set([
  'script',
  'style',
  'iframe',
  'noscript',
  'template',
  'svg',
  'form',
  'button',
  'input',
  'select',
  'textarea',
  'object',
  'embed',
  'nav',
]);

/** Elements that start and end a paragraph. */
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'br',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'tr',
  'blockquote',
  'figure',
  'figcaption',
  'section',
  'article',
  'table',
  'ul',
  'ol',
  'pre',
  'hr',
  'dl',
  'dt',
  'dd',
  'header',
  'footer',
  'aside',
  'main',
  'address',
  'caption',
  'center',
]);

// Class/id tokens of page leftovers, matched at token start. WordPress puts the post's own
// categories and tags in its class (`category-newsletters`, `tag-social-media`): never those.
const LEFTOVER = new RegExp(
  '(?:^|\\s)(?!category-|tag-)(?:' +
    [
      'adslot',
      'ads_',
      'dfp',
      '[\\w-]*(?:advert|subscri|newsletter|epaper)',
      'code-block(?=\\s|$|-)', // Ad Inserter
      'share-',
      'sharing',
      'sharedaddy',
      'sd-button',
      'sd-like',
      'likes-widget',
      'post-sidebar(?=\\s|$)',
      'card-footer(?=\\s|$)',
      'news-dic-all', // CNA glossary buttons
      'gie-single',
      'medium-feed-link',
      '[\\w-]*paywall',
      'BarrierFailsafe', // embed links, paywalls
      // Comment UI and anonymous (mostly spam) comments only: ChinaFile's "conversations" are
      // the article itself, written as Drupal comments by named contributors.
      'comment(?:-form|-reply|-add|_forbidden|-submitted|-permalink|-time|-by-anonymous)(?=\\s|$)',
      'navigation',
      'breadcrumb',
      'cookie',
      // Blog chrome around the article: repeated title, byline/date/word count, tag lists,
      // visually hidden labels (Drupal `element-invisible` holds image file names).
      '(?:entry-(?:title|meta|footer|author-wrapper)|page-title|post-tags|submitted' +
        '|element-(?:invisible|hidden)|screen-reader-text|author-wrap|column-wrap)(?=\\s|$)',
    ].join('|') +
    ')',
  'i',
);
// `…Banner` ad containers (CNA `bottomArticleBanner`): camel case, so case-sensitive.
const LEFTOVER_BANNER = /(?:^|\s)(?!category-|tag-)[\w-]*[a-z]Banner(?=\s|$)/;
// Related-reading blocks: CNA `moreArticle`, `insertGroup`; WordPress `jp-relatedposts`, ….
const RELATED_CLASS = /(?:^|\s)(?!category-|tag-)(?:[\w-]*(?:moreArticle|related)|insertGroup)/i;
const RELATED_LABELS = new Set([
  '延伸閱讀',
  '延伸阅读',
  '相關新聞',
  '相关新闻',
  '相關閱讀',
  '相关阅读',
  '相關文章',
  '相关文章',
  '推薦閱讀',
  '推荐阅读',
  'Related',
  '今晨最新',
]);

// Frame flags, one number per open element.
const SKIP = 1;
const BLOCK = 2;
const RELATED = 4;
const LINK = 8;
const LABEL = 16; // related block found by its 延伸閱讀 label
const EXTRA = 32; // page chrome: its text goes to `extra`
const HARD = 64; // code, embeds, forms: no text at all

const NON_SPACE = /\S/;
const WORD_CHARS = /[\p{L}\p{N}]/gu;

/**
 * A related block with this many characters of text outside its links, and more than twice its
 * link text, is article text: an unclosed quote in a link (`href="…aspx>`, seen in CNA's
 * digests) swallows the markup that closes the box, and the rest of the article lands inside
 * it. From there on it is read as article (its text so far kept, its links inline).
 */
const ARTICLE_IN_RELATED_CHARS = 200;

function wordChars(s: string): number {
  return s.match(WORD_CHARS)?.length ?? 0;
}
const INVISIBLE = /^[\u200b-\u200d\u2060\ufeff]+$/; // a paragraph of zero-width characters

// Class values repeat across posts ("paragraph", "moreArticle-link"): remember each verdict
// instead of running the regexes on every element. Bounded so odd input cannot grow it.
const verdicts = new Map<string, number>();
const IS_LEFTOVER = 1;
const IS_RELATED = 2;

function classify(value: string): number {
  let v = verdicts.get(value);
  if (v === undefined) {
    v =
      (LEFTOVER.test(value) || LEFTOVER_BANNER.test(value) ? IS_LEFTOVER : 0) |
      (RELATED_CLASS.test(value) ? IS_RELATED : 0);
    if (verdicts.size >= 20000) verdicts.clear();
    verdicts.set(value, v);
  }
  return v;
}

/** JavaScript's `\s` set (includes nbsp and the ideographic space U+3000). */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    (c > 127 &&
      (c === 0xa0 ||
        c === 0x3000 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0xfeff))
  );
}

/**
 * Characters written without spaces between them (CJK, full-width forms, and the curly quotes
 * and dashes Chinese text uses): a line break between two of them is source formatting, not a
 * space (CSS Text 3 segment-break rule). Pretty-printed pages break lines mid-sentence.
 */
function isWide(c: number): boolean {
  return (
    (c >= 0x2e80 && c <= 0x9fff) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xffef) ||
    (c >= 0x2018 && c <= 0x201d) ||
    c === 0x2014 ||
    c === 0x2026
  );
}

/**
 * Whitespace runs → one space, none at the ends, none for a line break between wide
 * characters. A hand loop: regexes with a lookbehind or a callback cost 3× as much here.
 */
function collapseSpace(s: string): string {
  const n = s.length;
  let out = '';
  let from = 0; // start of the text not yet copied to `out`
  let i = 0;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  from = i;
  while (i < n) {
    if (!isSpace(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    let lineBreak = false;
    for (let c = s.charCodeAt(j); j < n && isSpace(c); c = s.charCodeAt(++j)) {
      if (c === 10 || c === 13) lineBreak = true;
    }
    if (j === n) {
      // trailing run
      out += s.slice(from, i);
      return out;
    }
    if (lineBreak && isWide(s.charCodeAt(i - 1)) && isWide(s.charCodeAt(j))) {
      out += s.slice(from, i);
      from = j;
    } else if (j - i > 1 || s.charCodeAt(i) !== 32) {
      out += s.slice(from, i) + ' ';
      from = j;
    } // else: already a single space, copy it with the text around it
    i = j;
  }
  return from === 0 ? s : out + s.slice(from);
}

/**
 * Deepest element nesting accepted. htmlparser2 keeps its open-element stack with
 * `unshift`/`shift`, so each tag costs time in proportion to the depth: 100,000 nested `<div>`
 * take over 10 s. Real articles nest about 20 deep (at most 20 in the 16,074-post corpus), so a
 * deeper document is an HTML bomb and is refused at once.
 */
export const MAX_HTML_DEPTH = 512;

/** HTML that cannot be turned into text (an HTML bomb). */
export class HtmlError extends Error {
  override name = 'HtmlError';
}

const isListLike = (name: string) => name === 'ul' || name === 'ol' || name === 'div';
/** Links to a Mailchimp sign-up: the paragraph around them is a newsletter plug. */
const SUBSCRIBE_HREF = /list-manage\.com\//;
const NOT_A_PAGE = /^\s*(?:javascript:|#)/i;
/** Chart-embed fallback links ("chart title", "Infogram"). */
const EMBED_HREF = /^(?:https?:)?\/\/(?:[\w-]+\.)*infogram\.com(?:[/?#]|$)/;

/** Throws HtmlError for nesting deeper than MAX_HTML_DEPTH. */
export function htmlToText(html: string): HtmlText {
  const paragraphs: string[] = [];
  const related: RelatedLink[] = [];
  // One entry per open element in each of these.
  const frames: number[] = [];
  const names: string[] = [];
  const textMarks: number[] = []; // textCount when the element opened
  let current = ''; // the paragraph being built
  const extra: string[] = [];
  let extraCurrent = '';
  let extraDepth = 0; // open EXTRA elements
  let hardDepth = 0; // open HARD elements
  let relatedShown = false; // the open related block's link titles also go to `extra`
  let skipDepth = 0;
  let relatedDepth = 0;
  let textCount = 0; // non-blank text runs kept so far
  let link: RelatedLink | null = null;
  // The open related block: its frame, what it has added so far (undone when it closes, kept
  // if it turns out to be article text), its text outside links, its link titles to show.
  let relatedFrame = -1;
  let relatedFrom = { paragraphs: 0, related: 0 };
  let relatedLoose = '';
  let relatedLooseChars = 0;
  let relatedLinkChars = 0;
  let relatedTitles: string[] = [];
  let relatedAtLabel = 0;
  let pendingRelated = false; // a lone 延伸閱讀 heading: the list right after it holds the links

  const flush = () => {
    if (relatedDepth > 0) relatedLoose += '\n';
    if (current === '') return;
    const p = collapseSpace(current);
    if (p !== '' && !INVISIBLE.test(p)) paragraphs.push(p);
    current = '';
  };

  // A related block collects its text as paragraphs too (links inline), to keep if it turns out
  // to be article text (ARTICLE_IN_RELATED_CHARS).
  const openRelated = (frame: number) => {
    flush();
    relatedDepth++;
    relatedFrame = frame;
    relatedFrom = { paragraphs: paragraphs.length, related: related.length };
    relatedLoose = '';
    relatedLooseChars = 0;
    relatedLinkChars = 0;
    relatedTitles = [];
  };
  // Related reading: its links, and what it shows besides them as page text.
  const closeRelated = () => {
    flush();
    relatedDepth--;
    paragraphs.length = relatedFrom.paragraphs;
    for (const title of relatedTitles) extraCurrent += '\n' + title;
    if (NON_SPACE.test(relatedLoose)) extraCurrent += '\n' + relatedLoose;
  };
  const looseInRelated = (data: string) => {
    if (data.length <= 24 && RELATED_LABELS.has(data.trim())) return;
    relatedLoose += data;
    relatedLooseChars += wordChars(data);
    if (relatedLooseChars < ARTICLE_IN_RELATED_CHARS || relatedLooseChars <= 2 * relatedLinkChars)
      return;
    // Article text after all: keep what was read, read on as article.
    frames[relatedFrame] &= ~(RELATED | LABEL);
    relatedDepth--;
    related.length = relatedFrom.related;
  };

  // Label text (延伸閱讀, 获取更多RSS：) marks a block: the label's parent when the label is
  // its first text (a titled box), else the label's own element (a lone heading; the list
  // after it is then taken by `pendingRelated`). Never further out: a wrapper opened before
  // the label may hold the whole article.
  const markLabelled = (flag: number) => {
    const top = frames.length - 1;
    if (top < 0) return false;
    const i = top >= 2 && textMarks[top - 1] === textCount ? top - 1 : top;
    frames[i] |= flag;
    if (flag & SKIP) {
      skipDepth++;
      current = '';
    } else {
      openRelated(i);
      relatedAtLabel = related.length;
      relatedShown = true;
    }
    return true;
  };

  // Drop the paragraph being built: its `p`/`li` as a whole, else the text so far.
  const dropParagraph = () => {
    current = '';
    for (let i = frames.length - 2; i >= 0; i--) {
      if (!(frames[i] & BLOCK)) continue;
      if (names[i] === 'p' || names[i] === 'li') {
        frames[i] |= SKIP;
        skipDepth++;
      }
      return;
    }
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const afterLabel = pendingRelated;
        pendingRelated = false;
        if (frames.length >= MAX_HTML_DEPTH) {
          throw new HtmlError(`HTML nested too deeply (more than ${MAX_HTML_DEPTH} levels)`);
        }
        frames.push(0);
        names.push(name);
        textMarks.push(textCount);
        if (skipDepth > 0) {
          // Inside dropped content: keep the stack balanced; page chrome keeps its text.
          if (SKIP_TAGS.has(name)) {
            frames[frames.length - 1] = SKIP | HARD;
            skipDepth++;
            hardDepth++;
          } else if (extraDepth > 0 && BLOCK_TAGS.has(name)) extraCurrent += '\n';
          return;
        }

        const verdict =
          (attribs.class === undefined ? 0 : classify(attribs.class)) |
          (attribs.id === undefined ? 0 : classify(attribs.id));
        if (
          SKIP_TAGS.has(name) ||
          (name === 'a' && attribs.href !== undefined && EMBED_HREF.test(attribs.href))
        ) {
          frames[frames.length - 1] = SKIP | HARD;
          skipDepth++;
          hardDepth++;
          return;
        }
        if (verdict & IS_LEFTOVER) {
          frames[frames.length - 1] = SKIP | EXTRA;
          skipDepth++;
          extraDepth++;
          extraCurrent += '\n';
          return;
        }
        let flags = 0;
        if (BLOCK_TAGS.has(name)) {
          flags = BLOCK;
          flush();
        }
        if (relatedDepth === 0 && (verdict & IS_RELATED || (afterLabel && isListLike(name)))) {
          flags |= RELATED;
          openRelated(frames.length - 1);
          // CNA's 延伸閱讀 box is the page's own related reading; other link lists show as page text.
          relatedShown = !/moreArticle/i.test(attribs.class ?? '');
        }
        if (name === 'a' && attribs.href) {
          if (relatedDepth > 0 && link === null && !NOT_A_PAGE.test(attribs.href)) {
            flags |= LINK;
            link = { title: '', url: attribs.href.trim() };
          } else if (relatedDepth === 0 && SUBSCRIBE_HREF.test(attribs.href)) {
            flags |= SKIP;
            skipDepth++;
            dropParagraph();
          }
        }
        frames[frames.length - 1] = flags;
      },

      ontext(data) {
        if (skipDepth > 0) {
          if (hardDepth === 0 && extraDepth > 0) extraCurrent += data;
          return;
        }
        if (link !== null) {
          link.title += data;
          current += data;
          return;
        }
        if (relatedDepth > 0) {
          current += data;
          looseInRelated(data);
          return;
        }
        if (!NON_SPACE.test(data)) {
          current += data;
          return;
        }
        if (data.length <= 24) {
          const t = data.trim();
          if (RELATED_LABELS.has(t) && markLabelled(RELATED | LABEL)) return;
          if (t.startsWith('获取更多RSS') && markLabelled(SKIP)) return; // feed archiver's footer
        }
        pendingRelated = false;
        textCount++;
        // Markdown outside any element: a blank line separates paragraphs.
        if (frames.length === 0 && data.includes('\n')) {
          const parts = data.split(/\n[ \t]*\n/);
          for (let i = 0; i < parts.length; i++) {
            if (i > 0) flush();
            current += parts[i];
          }
          return;
        }
        current += data;
      },

      onclosetag(name) {
        const flags = frames.pop() ?? 0;
        names.pop();
        textMarks.pop();
        if (flags === 0) {
          if (skipDepth === 0 && (name === 'td' || name === 'th')) current += ' ';
          return;
        }
        if (flags & SKIP) {
          skipDepth--;
          if (flags & HARD) hardDepth--;
          if (flags & EXTRA) extraDepth--;
          return;
        }
        if (flags & LINK && link !== null) {
          const title = collapseSpace(link.title);
          if (title !== '' && link.url !== '') related.push({ title, url: link.url });
          if (title !== '' && relatedShown) relatedTitles.push(title);
          relatedLinkChars += wordChars(title);
          link = null;
        }
        if (flags & RELATED) {
          closeRelated();
          if (flags & LABEL && related.length === relatedAtLabel) pendingRelated = true;
        }
        if (flags & BLOCK) flush();
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  flush();
  for (const line of extraCurrent.split('\n')) {
    const t = collapseSpace(line);
    if (t !== '' && !INVISIBLE.test(t)) extra.push(t);
  }
  return { text: paragraphs.join('\n'), related, extra: extra.join('\n') };
}
