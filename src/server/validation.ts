/**
 * Request checks the schemas cannot express: document ids, and turning a zod failure into a
 * SearchError. The schemas themselves live in ../api.ts, the one description of the API.
 */
import type { z } from 'zod';
import { LIMITS } from '../api.js';
import { SearchError } from '../errors.js';

/** Document ids: a relative path without extension (docs/api.md); nothing that walks out of it. */
export function documentId(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw new SearchError('bad_request', 'the document id is not valid percent-encoding');
  }
  checkId(id);
  return id;
}

/** Refuse ids that could walk out of a folder or break a log line: `..`, NUL, control characters, backslashes, absurd lengths. */
export function checkId(id: string): void {
  if (id.length === 0 || id.length > LIMITS.maxIdLength)
    throw new SearchError(
      'bad_request',
      `a document id must be 1–${LIMITS.maxIdLength} characters`,
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f\\]/.test(id))
    throw new SearchError(
      'bad_request',
      'a document id must not hold control characters or backslashes',
    );
  if (id.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''))
    throw new SearchError(
      'bad_request',
      'a document id is a relative path: no empty, "." or ".." segments, no leading or trailing "/"',
    );
}

/** Parse or throw a SearchError('bad_request') naming the first problem. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SearchError('bad_request', issue.message);
}
