/**
 * The write-ahead log (src/index/wal.ts) on disk: records replay in order after reopening; a
 * torn tail (a crash mid-append: a partial line, or a last line failing its CRC) is cut off and
 * the records before it kept; damage before the last segment is refused; the read-only reader
 * skips a torn tail without touching the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WriteAheadLog, readLog, lastLoggedSeq, type WalOp } from '../src/index/wal.js';
import { readPost } from '../src/ingest/post.js';
import { SearchError } from '../src/errors.js';
import { tempDir, SEEDS, EXAMPLE_ID } from './helpers.js';

/** A put of the example post as read from seeds/, with a title made distinct by `n`. */
function put(n: number): WalOp {
  const raw = readFileSync(join(SEEDS, `${EXAMPLE_ID}.md`));
  const { article, extra } = readPost(raw, `${EXAMPLE_ID}.md`, `copy-${n}`);
  return { op: 'put', article: { ...article, title: `${article.title}（${n}）` }, extra };
}

async function logWith(ops: WalOp[][]): Promise<string> {
  const dir = tempDir('wal-test-');
  const { log } = WriteAheadLog.open(dir, 0);
  for (const batch of ops) await log.append(batch);
  await log.close();
  return dir;
}

const segments = (dir: string) =>
  readdirSync(join(dir, 'wal'))
    .sort()
    .map((name) => join(dir, 'wal', name));
const ids = (records: { op: string; id?: string; article?: { id: string } }[]) =>
  records.map((r) => (r.op === 'put' ? r.article!.id : r.id));

test('records come back in order with their seqs; those in the snapshot are skipped', async () => {
  const dir = await logWith([[put(1), put(2)], [{ op: 'delete', id: 'copy-1' }], [put(3)]]);
  const { log, records } = WriteAheadLog.open(dir, 0);
  await log.close();
  assert.deepEqual(
    records.map((r) => r.seq),
    [1, 2, 3, 4],
  );
  assert.deepEqual(ids(records), ['copy-1', 'copy-2', 'copy-1', 'copy-3']);
  // A put comes back whole: the article with its text, as appended.
  const { seq, ...first } = records[0];
  assert.equal(seq, 1);
  assert.deepEqual(first, JSON.parse(JSON.stringify(put(1))));
  assert.ok(first.op === 'put' && first.article.body.includes('澎湖縣'));
  // A snapshot holding seq ≤ 2: only the later records replay; the next append follows on.
  const again = WriteAheadLog.open(dir, 2);
  assert.deepEqual(
    again.records.map((r) => r.seq),
    [3, 4],
  );
  assert.equal(again.log.seq, 5);
  await again.log.close();
  assert.equal(lastLoggedSeq(dir), 4);
});

test('a torn tail (a partial last line) is cut off on open; the records before it are kept', async () => {
  const dir = await logWith([[put(1)], [put(2)]]);
  const [file] = segments(dir);
  const intact = statSync(file).size;
  const line = readFileSync(file, 'utf8').split('\n')[1];
  appendFileSync(file, line.slice(0, Math.floor(line.length / 2))); // no newline: torn
  assert.deepEqual(ids(readLog(dir, 0)), ['copy-1', 'copy-2'], 'the reader skips it');
  assert.ok(statSync(file).size > intact, 'the reader changes nothing');

  const { log, records } = WriteAheadLog.open(dir, 0);
  assert.deepEqual(ids(records), ['copy-1', 'copy-2']);
  assert.equal(statSync(file).size, intact, 'cut back to the intact records');
  // The next append continues cleanly after them.
  await log.append([put(3)]);
  await log.close();
  assert.deepEqual(ids(WriteAheadLog.open(dir, 0).records), ['copy-1', 'copy-2', 'copy-3']);
});

test('a last record whose CRC does not match is cut off like a torn one', async () => {
  const dir = await logWith([[put(1), put(2), put(3)]]);
  const [file] = segments(dir);
  const lines = readFileSync(file, 'utf8').split('\n');
  // Change one character of the last record's JSON, keeping its length and its newline.
  lines[2] = lines[2].replace('（3）', '（8）');
  writeFileSync(file, lines.join('\n'));
  const { log, records } = WriteAheadLog.open(dir, 0);
  await log.close();
  assert.deepEqual(ids(records), ['copy-1', 'copy-2']);
  assert.equal(readFileSync(file, 'utf8'), `${lines.slice(0, 2).join('\n')}\n`);
});

test('a CRC mismatch in an earlier segment is refused, not skipped: it cannot come from a crash', async () => {
  const dir = tempDir('wal-test-');
  const first = WriteAheadLog.open(dir, 0).log;
  await first.append([put(1), put(2)]);
  await first.rotate();
  await first.append([put(3)]);
  await first.close();
  const [older, newer] = segments(dir);
  assert.ok(newer, 'two segments');
  const text = readFileSync(older, 'utf8');
  writeFileSync(older, text.replace('（1）', '（7）'));
  assert.throws(
    () => WriteAheadLog.open(dir, 0),
    (e: unknown) =>
      e instanceof SearchError && e.code === 'index_corrupt' && e.message.includes(older),
  );
  assert.equal(readFileSync(older, 'utf8'), text.replace('（1）', '（7）'), 'left as it was');
});

test('dropThrough deletes the segments a snapshot holds, never the current one', async () => {
  const dir = tempDir('wal-test-');
  const { log } = WriteAheadLog.open(dir, 0);
  await log.append([put(1)]);
  await log.rotate();
  await log.append([put(2)]);
  log.dropThrough(1);
  assert.equal(segments(dir).length, 1);
  log.dropThrough(2);
  assert.equal(segments(dir).length, 1, 'the segment being written stays');
  await log.close();
  assert.deepEqual(ids(WriteAheadLog.open(dir, 1).records), ['copy-2']);
});
