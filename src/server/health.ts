/**
 * The answer of GET /health: liveness, and what the segments look like (how many, how full,
 * how many deleted documents wait for a merge, whether suggestions serve the last flush), with
 * what the writer did to them when this process applies writes.
 */
import type { HealthResponse } from '../api.js';
import { readerOf, type IndexReader } from '../index/reader.js';
import type { NewsIndex } from '../index/news-index.js';
import type { IndexWriter } from '../index/writer.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function healthOf(
  index: IndexReader | NewsIndex | null,
  writer: IndexWriter | null | undefined,
): HealthResponse {
  if (!index) return { status: 'loading', documents: 0 };
  const reader = readerOf(index);
  const segments = reader.sealed.map((s) => ({ documents: s.size, deleted: s.size - s.liveCount }));
  const done = writer?.activity;
  return {
    status: 'ok',
    documents: reader.size,
    index: {
      segments,
      buffered: reader.buffer?.liveCount ?? 0,
      deleted: segments.reduce((sum, s) => sum + s.deleted, 0),
      suggestions_current: reader.lexiconCurrent,
    },
    writes: done
      ? {
          flushes: done.flushes,
          last_flush_at: iso(done.lastFlushAt),
          commits: done.commits,
          last_commit_at: iso(done.lastCommitAt),
          merges_running: done.mergesRunning,
          merges_completed: done.mergesCompleted,
          last_merge_at: iso(done.lastMergeAt),
          last_merge_ms: done.lastMergeMs,
        }
      : null,
  };
}
