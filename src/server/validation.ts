/** Request validation with zod: one schema per route, messages a client can act on. */
import { z } from 'zod';
import { SearchError } from '../errors.js';

export const MAX_QUERY_LENGTH = 500;

const intParam = (name: string, min: number, max: number, fallback: number) =>
  z
    .string({ error: `${name} must be a single value` })
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^\s*\d+\s*$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, got "${v.slice(0, 20)}"` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be from ${min} to ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

export const searchQuery = z.object({
  q: z
    .string({ error: 'q is required: the words to search for' })
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, 'q must not be empty')
    .refine((s) => [...s].length <= MAX_QUERY_LENGTH, `q must be at most ${MAX_QUERY_LENGTH} characters`),
  page: intParam('page', 1, 10_000, 1),
  size: intParam('size', 1, 100, 10),
});

/** Parse or throw a SearchError('bad_request') naming the first problem. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new SearchError('bad_request', issue.message);
}
