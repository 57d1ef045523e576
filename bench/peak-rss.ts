/**
 * Preloaded into a measured Node child (`node --import …/peak-rss.js`): at exit, writes the
 * process's peak resident set (getrusage maxRSS, every thread included) in bytes to the file
 * named by PEAK_RSS_FILE. Sampling /proc would miss a peak between two samples.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.PEAK_RSS_FILE;
if (file && isMainThread)
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
