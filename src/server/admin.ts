/**
 * Admin endpoints, on only when a write key is configured (WRITE_KEY), each needing
 * `Authorization: Bearer <key>` (missing → 401, wrong → 403; the key is never logged).
 *   PUT /admin/dictionary  {"words": ["新词", …]}  add words to the user dictionary at run time
 *   GET /admin/dictionary                          the words and any re-analysis under way
 * Adding words re-segments only the articles that contain them, in the background; queries keep
 * being answered. The file and the saved index follow, so a restart keeps the words. On a
 * database backend the PUT answers 405 `not_supported` (embedded index only).
 */
import express from 'express';
import { requireKey } from './auth.js';
import type { ServerState } from './app.js';
import type { Logger } from '../log.js';
import { SearchError } from '../errors.js';
import { analyzerFingerprint } from '../analysis/analyzer.js';
import { addUserWords, userDictionaryWords } from '../analysis/segment.js';
import {
  appendUserDictionary,
  checkWord,
  userDictionaryFile,
} from '../analysis/user-dictionary.js';
import { findTerm } from '../search/matcher.js';
import { documentsWith, reanalyze } from '../index/reanalyze.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import { parse } from './validation.js';
import { dictionaryBody, type DictionaryState, type DictionaryUpdate } from '../api.js';

export interface AdminOptions {
  writeKey: string;
  /** Where the index lives (the user dictionary file and saved generations); null: memory only. */
  indexDir: string | null;
  logger: Logger;
}

export function adminRouter(
  state: ServerState,
  { writeKey, indexDir, logger }: AdminOptions,
): express.Router {
  const router = express.Router();
  let pending = 0;
  router.use('/admin', requireKey(writeKey), express.json({ limit: '64kb' }));

  router.get('/admin/dictionary', (_req, res) => {
    res.json({
      words: userDictionaryWords(),
      pending_documents: pending,
      fingerprint: analyzerFingerprint(),
    } satisfies DictionaryState);
  });

  router.put('/admin/dictionary', (req, res) => {
    if (state.backend) {
      // Rows are analyzed once, as they are written: a word would need every row holding it
      // analyzed and written again, which this service does not do to a database.
      res.set('Allow', 'GET, HEAD');
      throw new SearchError(
        'not_supported',
        'the user dictionary cannot change at run time on a database (DATABASE_URL): articles are analyzed as they are written; it applies to the embedded index',
      );
    }
    const { index, writer } = state;
    if (!index || !writer)
      throw new SearchError('not_ready', 'the index is still loading; retry shortly');
    const { words } = parse(dictionaryBody, req.body ?? null);
    const checked = words.map(checkWord);
    const bad = checked.find((c): c is { error: string } => 'error' in c);
    if (bad) throw new SearchError('bad_request', bad.error);
    const normalized = [...new Set(checked.map((c) => (c as { word: string }).word))];
    const added = addUserWords(normalized);
    if (indexDir) appendUserDictionary(userDictionaryFile(indexDir), added);
    const affected = (current: IndexReader) =>
      documentsWith(
        current,
        added,
        (index, w) =>
          findTerm(
            index,
            w,
            Array.from(w, (c) => c.codePointAt(0)!),
          ).docs,
      );
    const count = (m: Map<number, Set<number>>) => {
      let n = 0;
      for (const docs of m.values()) n += docs.size;
      return n;
    };
    const estimate = count(affected(readerOf(index)));
    const fingerprint = analyzerFingerprint();
    pending += estimate;
    // Word starts are rewritten in place: no write or snapshot may run meanwhile (writer.ts).
    // Each re-analysis yields to queries as it goes; a snapshot then makes the change durable.
    writer
      .exclusive(async (current) => {
        const n = await reanalyze(current, affected(current));
        current.fingerprint = fingerprint;
        logger.info({ words: added, documents: n, fingerprint }, 'user dictionary applied');
      })
      .then(() => writer.compact())
      // In a cluster the readers then reload the words and the saved snapshot.
      .then(() => (state.dictionaryChanged ? writer.exclusive(async () => {}) : undefined))
      .then(() => state.dictionaryChanged?.())
      .catch((err: unknown) => logger.error({ err }, 'user dictionary re-analysis failed'))
      .finally(() => (pending -= estimate));
    res.status(202).json({
      added,
      known: normalized.filter((w) => !added.includes(w)),
      documents: estimate,
      fingerprint,
    } satisfies DictionaryUpdate);
  });
  return router;
}
