/**
 * HTTP benchmark target: the real app on one port and a bare Express JSON route on another, in
 * the same process with the same setup, so their requests/s can be compared. Prints the ports.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import { loadIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';

const index = loadIndex(process.argv[2], analyzerFingerprint());
loadSegmenter();
const logger = createLogger('warn');
const app = createApp({ index }, logger);
const bare = express();
bare.get('/bare', (_req, res) => {
  res.json({ ok: true });
});
const a = app.listen(0, '127.0.0.1', () => {
  const b = bare.listen(0, '127.0.0.1', () => {
    process.stdout.write(
      JSON.stringify({
        search: (a.address() as AddressInfo).port,
        bare: (b.address() as AddressInfo).port,
      }) + '\n',
    );
  });
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
