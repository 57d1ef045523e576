/**
 * HTTP benchmark target: in one process, with the same setup, the real app configured as in
 * production (every protection on but rate limits, info-level request logs written to
 * /dev/null), the same app without its result cache, and a bare Express JSON route; so their
 * requests/s can be compared. Prints the ports as one JSON line.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { appOptionsFrom, createApp } from '../src/server/app.js';
import { loadConfig } from '../src/config.js';
import { loadIndex } from '../src/index/store.js';
import { analyzerFingerprint } from '../src/analysis/analyzer.js';
import { loadSegmenter } from '../src/analysis/segment.js';

const index = loadIndex(process.argv[2], analyzerFingerprint());
loadSegmenter();
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
const config = { ...loadConfig(), rateLimitRead: 0, rateLimitWrite: 0 };
const apps = {
  search: createApp({ index }, logger, appOptionsFrom(config)),
  nocache: createApp({ index }, logger, appOptionsFrom({ ...config, searchCacheMb: 0 })),
  bare: express().get('/bare', (_req, res) => {
    res.json({ ok: true });
  }),
};
const ports: Record<string, number> = {};
await Promise.all(
  Object.entries(apps).map(
    ([name, app]) =>
      new Promise<void>((ok) => {
        const server = app.listen(0, '127.0.0.1', () => {
          ports[name] = (server.address() as AddressInfo).port;
          ok();
        });
      }),
  ),
);
process.stdout.write(JSON.stringify(ports) + '\n');
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
