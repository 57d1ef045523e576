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
}

/** Content of these never reaches the text: code, embeds, forms, widgets. */
const SKIP_TAGS = new Set([
  'script', 'style', 'iframe', 'noscript', 'template', 'svg', 'math', 'form', 'button',
  'input', 'select', 'textarea', 'object', 'embed', 'nav',
]);

/** Elements that start and end a paragraph. */
const BLOCK_TAGS = new Set([
  'p', 'div', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'li', 'tr', 'blockquote', 'figure',
  'figcaption', 'section', 'article', 'table', 'ul', 'ol', 'pre', 'hr', 'dl', 'dt', 'dd',
  'header', 'footer', 'aside', 'main', 'address', 'caption', 'center',
]);

// Class/id tokens of page leftovers, matched at token start. WordPress puts the post's own
// categories and tags in its class (`category-newsletters`, `tag-social-media`): never those.
const LEFTOVER = new RegExp(
  '(?:^|\\s)(?!category-|tag-)(?:' +
    [
      'adslot', 'ads_', 'dfp', 'advert', '[\\w-]*(?:subscri|newsletter|epaper)',
      'code-block(?=\\s|$|-)', // Ad Inserter
      'share-', 'sharing', 'sharedaddy', 'sd-button', 'sd-like', 'likes-widget',
      'post-sidebar(?=\\s|$)', 'card-footer(?=\\s|$)', 'news-dic-all', // CNA glossary buttons
      'comment(?:s|-[\\w-]*)?(?=\\s|$)', 'navigation', 'breadcrumb', 'cookie',
    ].join('|') +
    ')',
  'i',
);
// `…Banner` ad containers (CNA `bottomArticleBanner`): camel case, so case-sensitive.
const LEFTOVER_BANNER = /(?:^|\s)(?!category-|tag-)[\w-]*[a-z]Banner(?=\s|$)/;
// Related-reading blocks: CNA `moreArticle`, `insertGroup`; WordPress `jp-relatedposts`, ….
const RELATED_CLASS = /(?:^|\s)(?!category-|tag-)(?:[\w-]*(?:moreArticle|related)|insertGroup)/i;
const RELATED_LABELS = new Set(['延伸閱讀', '延伸阅读', '相關新聞', '相关新闻']);

// Frame flags, one number per open element.
const SKIP = 1;
const BLOCK = 2;
const RELATED = 4;
const LINK = 8;
const LABEL = 16; // related block found by its 延伸閱讀 label

const NON_SPACE = /\S/;
const SPACES = /\s+/g;

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

// Anything collapseSpace would change: runs, tabs/newlines/nbsp, edge spaces.
const UNTIDY = /\s\s|[^\S ]|^ | $/;

const isListLike = (name: string) => name === 'ul' || name === 'ol' || name === 'div';

function collapseSpace(s: string): string {
  if (!UNTIDY.test(s)) return s;
  return s
    .replace(SPACES, (ws: string, at: number, all: string) =>
      ws.includes('\n') && isWide(all.charCodeAt(at - 1)) && isWide(all.charCodeAt(at + ws.length))
        ? ''
        : ' ',
    )
    .trim();
}

export function htmlToText(html: string): HtmlText {
  const paragraphs: string[] = [];
  const related: RelatedLink[] = [];
  const frames: number[] = [];
  const textMarks: number[] = []; // textCount when each frame opened
  let current = '';
  let skipDepth = 0;
  let relatedDepth = 0;
  let textCount = 0; // non-blank text runs emitted so far
  let link: RelatedLink | null = null;
  let relatedAtLabel = 0;
  let pendingRelated = false; // a lone 延伸閱讀 heading: its next sibling list holds the links

  const flush = () => {
    if (current === '') return;
    const p = collapseSpace(current);
    if (p !== '') paragraphs.push(p);
    current = '';
  };

  // A 延伸閱讀 label that is the first text of open elements: the outermost of those (not
  // the whole document) is the related block.
  const markLabelBlock = () => {
    let i = 0;
    while (i < frames.length && textMarks[i] !== textCount) i++;
    if (i === 0 && frames.length > 1) i = 1;
    if (i >= frames.length) return false;
    frames[i] |= RELATED | LABEL;
    relatedDepth++;
    relatedAtLabel = related.length;
    return true;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        pendingRelated &&= skipDepth === 0 && isListLike(name);
        frames.push(0);
        textMarks.push(textCount);
        if (skipDepth > 0) return; // inside dropped content: only keep the stack balanced
        let flags = 0;
        const verdict =
          (attribs.class === undefined ? 0 : classify(attribs.class)) |
          (attribs.id === undefined ? 0 : classify(attribs.id));
        if (SKIP_TAGS.has(name) || verdict & IS_LEFTOVER) {
          flags = SKIP;
          skipDepth++;
        } else {
          if (BLOCK_TAGS.has(name)) {
            flags = BLOCK;
            flush();
          }
          if (
            relatedDepth === 0 &&
            (verdict & IS_RELATED || pendingRelated)
          ) {
            flags |= RELATED;
            relatedDepth++;
          }
          if (relatedDepth > 0 && name === 'a' && link === null && attribs.href) {
            flags |= LINK;
            link = { title: '', url: attribs.href.trim() };
          }
        }
        pendingRelated = false;
        frames[frames.length - 1] = flags;
      },

      ontext(data) {
        if (skipDepth > 0) return;
        if (link !== null) {
          link.title += data;
          return;
        }
        if (relatedDepth > 0) return;
        if (!NON_SPACE.test(data)) {
          current += data;
          return;
        }
        if (data.length <= 16 && RELATED_LABELS.has(data.trim()) && markLabelBlock()) return;
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
        textMarks.pop();
        if (flags === 0) {
          if (skipDepth === 0 && (name === 'td' || name === 'th')) current += ' ';
          return;
        }
        if (flags & SKIP) {
          skipDepth--;
          return;
        }
        if (flags & LINK && link !== null) {
          const title = collapseSpace(link.title);
          if (title !== '' && link.url !== '') related.push({ title, url: link.url });
          link = null;
        }
        if (flags & RELATED) {
          relatedDepth--;
          if (flags & LABEL && related.length === relatedAtLabel) pendingRelated = true;
        }
        if (flags & BLOCK) flush();
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  flush();
  return { text: paragraphs.join('\n'), related };
}
