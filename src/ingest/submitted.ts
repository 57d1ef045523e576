/**
 * Articles sent over HTTP (PUT /documents/:id, the bulk endpoint) → Article, through the same
 * body extraction as post files: an HTML body is cleaned like a post's, a Markdown body rendered
 * first, plain text kept as it is.
 */
import { IngestError, type Article } from './article.js';
import { HtmlError, htmlToText } from './html.js';
import { markdownToHtml } from './markdown.js';
import type { ParsedPost } from './post.js';

export type BodyFormat = 'html' | 'markdown' | 'text';

export interface SubmittedArticle {
  title: string;
  body: string;
  format: BodyFormat;
  url: string | null;
  source: string | null;
  /** ISO 8601 or null. */
  date: string | null;
  tags: string[];
  categories: string[];
}

export function submittedArticle(id: string, s: SubmittedArticle): ParsedPost {
  let body = s.body.replace(/\r\n?/g, '\n');
  let extra = '';
  let related: Article['related'] = [];
  if (s.format !== 'text') {
    try {
      ({
        text: body,
        extra,
        related,
      } = htmlToText(s.format === 'markdown' ? markdownToHtml(body) : body));
    } catch (err) {
      if (err instanceof HtmlError) throw new IngestError(id, err.message);
      throw err;
    }
  }
  const article: Article = {
    id,
    title: s.title,
    body,
    url: s.url,
    source: s.source,
    date: s.date,
    tags: s.tags,
    categories: s.categories,
    related,
  };
  return { article, extra };
}
