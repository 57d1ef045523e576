/**
 * The worker thread of LexiconWorker (lexicon.ts): builds a vocabulary's tables and transfers
 * their typed arrays back without a copy. Only ever loaded as a worker.
 */
import { parentPort } from 'node:worker_threads';
import { buildLexiconTables, unpackEntries } from './lexicon.js';

const port = parentPort;
if (!port) throw new Error('lexicon-worker.js runs only as a worker thread');
port.on('message', (packed: string) => {
  const tables = buildLexiconTables(unpackEntries(packed));
  const { offsets, keyEntry, keyTier, keyReading, byText } = tables;
  port.postMessage(
    tables,
    [offsets, keyEntry, keyTier, keyReading, byText].map((a) => a.buffer as ArrayBuffer),
  );
});
