/**
 * Every error the service reports on purpose, with a stable code. The HTTP layer maps codes to
 * statuses in one place (server/app.ts); nothing below it knows about HTTP.
 */
export const ERROR_CODES = [
  'bad_request',
  'invalid_query',
  'not_found',
  'unauthorized',
  'forbidden',
  'index_missing',
  'index_incompatible',
  'index_corrupt',
  'not_ready',
  'index_locked',
  'too_large',
  'unsupported_type',
  'writes_disabled',
  'not_supported',
  'rate_limited',
  'overloaded',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class SearchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SearchError';
  }
}
