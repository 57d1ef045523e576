#!/usr/bin/env node
// @ts-check
/**
 * Runs node with the malloc settings this service is built and measured with:
 *   node bin/tuned-node.js <node arguments…>
 * npm test, bench and eval use it; the zh-news-search launcher uses runTuned.
 *
 * GLIBC_TUNABLES: transparent huge pages for malloc (applying a write copies ~100 MB of index
 * arrays: ~0.1 s instead of ~0.3 s), one malloc arena (so the analysis worker threads get huge
 * pages for jieba's dictionary too), and a larger per-thread cache of freed blocks (so those
 * threads rarely wait on that one arena's lock); docs/design.md, "Performance notes". glibc reads
 * it only when a process starts, so it is set for a new node process. Ignored off glibc.
 */
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TUNABLES = 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.tcache_count=1000';

/** Whether this process already runs with tunables (ours, or the ones someone chose). */
export const tuned = () => process.env.GLIBC_TUNABLES !== undefined;

/**
 * Run `node <args>` with GLIBC_TUNABLES set (unless already set) and end this process the way
 * the child ends. Signals that would stop this process are passed on, so `docker stop` and
 * Ctrl-C reach the service, which finishes its requests and saves before it exits.
 * @param {string[]} args
 */
export function runTuned(args) {
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? TUNABLES },
  });
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
    process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`error: could not start node: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    // Die of the same signal, so whoever started us sees it.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  runTuned(process.argv.slice(2));
