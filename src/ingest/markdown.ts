/**
 * Markdown post bodies → HTML for `htmlToText`, so both body dialects share one text extractor
 * (paragraphs, 延伸閱讀 blocks, dropped widgets).
 */
import MarkdownIt from 'markdown-it';

/**
 * The detection rule: a body is Markdown when it contains no block-level HTML tag (opening,
 * closing or self-closing `<p>`, `<div>`, `<br>`, headings, lists, tables, `<blockquote>`,
 * `<pre>`, `<figure>`, sectioning elements, `<hr>`). Inline tags (`<span>`, `<sup>`, `<img>`,
 * `<a>`), embeds (`<iframe>`, `<script>`, `<style>`: Markdown posts embed videos and charts)
 * and comments may appear in Markdown and do not make a body HTML; htmlToText drops the embeds
 * either way. Feed-archived posts always wrap their article in `<div>`/`<p>`, so they stay on
 * the HTML path.
 */
const BLOCK_HTML =
  /<\/?(?:p|div|br|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|blockquote|pre|figure|figcaption|section|article|aside|header|footer|main|nav|hr|center|address)(?=[\s/>])/i;

export function isMarkdownBody(body: string): boolean {
  return !BLOCK_HTML.test(body);
}

// html: inline HTML passes through to htmlToText (which drops what it always drops);
// linkify off: a bare URL stays the text it is, never becomes a link.
const md = new MarkdownIt({ html: true, linkify: false, typographer: false });

// An image: only its alt text, as a caption (its own paragraph when the image stands alone);
// never its URL or title attribute.
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  const alt = self.renderInlineAsText(token.children ?? [], options, env).trim();
  return alt === '' ? '' : `<span>${md.utils.escapeHtml(alt)}</span>`;
};

// An autolink (`<https://…>`) has only its URL as text: drop it whole. Other links keep their
// text; their target is an attribute, which htmlToText never indexes.
md.core.ruler.push('drop_autolinks', (state) => {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const kept = [];
    let inAutolink = false;
    for (const t of block.children) {
      if (t.type === 'link_open' && t.markup === 'autolink') inAutolink = true;
      if (!inAutolink) kept.push(t);
      if (t.type === 'link_close' && inAutolink) inAutolink = false;
    }
    block.children = kept;
  }
});

export function markdownToHtml(body: string): string {
  return md.render(body);
}
