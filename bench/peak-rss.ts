/**
 * Preloaded into a measured Node child (`node --import …/peak-rss.js`, bench/child-process.ts):
 * at exit, writes the process's peak resident set (getrusage maxRSS, every thread included) in
 * bytes to file descriptor 3, a pipe runMeasured opens for it. Sampling /proc would miss a peak
 * between two samples.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread)
  process.on('exit', () => {
    writeSync(3, String(process.resourceUsage().maxRSS * 1024));
  });
