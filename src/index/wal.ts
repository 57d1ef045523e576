/**
 * The write-ahead log: every accepted write is appended here and flushed to disk (fdatasync)
 * before the client hears 2xx, so an acknowledged write survives `kill -9` or a power cut.
 * Start-up replays the records the saved snapshot does not hold yet (seq > its appliedSeq).
 *
 * Layout: `<indexDir>/wal/<first seq, 16 digits>.log` segments. A compaction starts a new
 * segment, saves a snapshot holding everything before it, then deletes the older segments —
 * so a crash at any step leaves a snapshot plus every record it lacks.
 *
 * Record: one line `<crc32 of the JSON, 8 hex> <JSON>\n`. A crash mid-append leaves at most one
 * torn line at the end of the last segment: it fails its checksum or lacks its newline, was
 * never acknowledged, and is cut off on open.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { PostChange } from '../ingest/article.js';
import { SearchError } from '../errors.js';
import { tryLock, unlock } from 'fs-native-extensions';
import { fsyncDir } from './store.js';

/** A change to the index: a post put (added or replaced) or deleted. */
export type WalOp = PostChange;
export type WalRecord = WalOp & { seq: number };

const SEGMENT = /^(\d{16})\.log$/;
const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}.log`;

function encode(record: WalRecord): Buffer {
  const json = JSON.stringify(record.op === 'put' ? { ...record, prepared: undefined } : record);
  const body = Buffer.from(json, 'utf8');
  return Buffer.concat([
    Buffer.from(crc32(body).toString(16).padStart(8, '0') + ' '),
    body,
    Buffer.from('\n'),
  ]);
}

/** The records of one segment and the byte length of its intact prefix. */
function readSegment(file: string): { records: WalRecord[]; goodBytes: number; torn: boolean } {
  const buf = readFileSync(file);
  const records: WalRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return { records, goodBytes: at, torn: true };
    const line = buf.subarray(at, nl);
    const sum = line.subarray(0, 8).toString('latin1');
    const body = line.subarray(9);
    if (line.length < 10 || line[8] !== 0x20 || crc32(body).toString(16).padStart(8, '0') !== sum)
      return { records, goodBytes: at, torn: true };
    records.push(JSON.parse(body.toString('utf8')) as WalRecord);
    at = nl + 1;
  }
  return { records, goodBytes: at, torn: false };
}

export class WriteAheadLog {
  private handle: FileHandle | null = null;
  private segmentFirst: number;
  private bytes = 0;

  private constructor(
    private readonly dir: string,
    private nextSeq: number,
  ) {
    this.segmentFirst = nextSeq;
  }

  /**
   * Open the log in `indexDir/wal`, returning the records after `appliedSeq` (what the snapshot
   * lacks), in order. A torn tail is cut off; damage anywhere else is refused (it cannot come
   * from a crash, only from the disk or a hand edit, and replaying past it would lose writes).
   */
  static open(indexDir: string, appliedSeq: number): { log: WriteAheadLog; records: WalRecord[] } {
    const dir = join(indexDir, 'wal');
    mkdirSync(dir, { recursive: true });
    const segments = readdirSync(dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
    const records: WalRecord[] = [];
    let last = appliedSeq;
    segments.forEach((name, i) => {
      const file = join(dir, name);
      const seg = readSegment(file);
      if (seg.torn) {
        if (i !== segments.length - 1)
          throw new SearchError(
            'index_corrupt',
            `${file} is damaged before its end; move it away to start without its records`,
          );
        const fd = openSync(file, 'r+');
        try {
          ftruncateSync(fd, seg.goodBytes);
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      for (const r of seg.records) {
        if (r.seq <= appliedSeq) continue;
        records.push(r);
        last = Math.max(last, r.seq);
      }
    });
    const log = new WriteAheadLog(dir, last + 1);
    // Keep appending to the last segment (new records are always after the snapshot's).
    if (segments.length) {
      const lastName = segments[segments.length - 1];
      log.segmentFirst = Number(SEGMENT.exec(lastName)![1]);
      log.bytes = statSync(join(dir, lastName)).size;
    }
    return { log, records };
  }

  /** Bytes in the current segment: the compaction trigger. */
  get size(): number {
    return this.bytes;
  }

  /** The seq the next record will get. */
  get seq(): number {
    return this.nextSeq;
  }

  /** Append records and flush them to disk; resolves with the records as written. */
  async append(ops: WalOp[]): Promise<WalRecord[]> {
    const records = ops.map((op) => ({ ...op, seq: this.nextSeq++ }) as WalRecord);
    const buf = Buffer.concat(records.map(encode));
    const fh = await this.file();
    try {
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      await fh.datasync();
    } catch (err) {
      // A failed append (a full disk) must not leave a partial record for later ones to follow.
      this.nextSeq -= records.length;
      await fh.truncate(this.bytes).catch(() => undefined);
      throw err;
    }
    this.bytes += buf.length;
    return records;
  }

  private async file(): Promise<FileHandle> {
    if (!this.handle) {
      const path = join(this.dir, segmentName(this.segmentFirst));
      const fresh = !existsSync(path);
      this.handle = await open(path, 'a');
      if (fresh) fsyncDir(this.dir); // the new name itself must survive a crash
    }
    return this.handle;
  }

  /**
   * Start a new segment for the records from now on, so that a snapshot holding everything
   * before it makes the older segments deletable (dropThrough).
   */
  async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    this.segmentFirst = this.nextSeq;
    this.bytes = 0;
  }

  /** Delete the segments holding only records ≤ seq (after a snapshot with them is current). */
  dropThrough(seq: number): void {
    const names = readdirSync(this.dir)
      .filter((f) => SEGMENT.test(f))
      .sort();
    for (let i = 0; i < names.length; i++) {
      const nextFirst =
        i + 1 < names.length ? Number(SEGMENT.exec(names[i + 1])![1]) : this.nextSeq;
      if (nextFirst - 1 <= seq && names[i] !== segmentName(this.segmentFirst))
        rmSync(join(this.dir, names[i]), { force: true });
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}

/**
 * The records after `appliedSeq`, read without changing anything (for a one-off reader such as
 * `cli search` beside a running server): a torn tail is skipped, not cut off.
 */
export function readLog(indexDir: string, appliedSeq: number): WalRecord[] {
  const dir = join(indexDir, 'wal');
  if (!existsSync(dir)) return [];
  const out: WalRecord[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => SEGMENT.test(f))
    .sort()) {
    for (const r of readSegment(join(dir, name)).records) if (r.seq > appliedSeq) out.push(r);
  }
  return out;
}

/**
 * The last seq logged in `indexDir` (0 if none). An index rebuilt from folders replaces what the
 * log recorded: it is saved with this as its appliedSeq (so a crash before `resetLog` replays
 * nothing stale), then the log goes.
 */
export function lastLoggedSeq(indexDir: string): number {
  const dir = join(indexDir, 'wal');
  if (!existsSync(dir)) return 0;
  let last = 0;
  for (const name of readdirSync(dir).filter((f) => SEGMENT.test(f))) {
    for (const r of readSegment(join(dir, name)).records) last = Math.max(last, r.seq);
  }
  return last;
}

export function resetLog(indexDir: string): void {
  rmSync(join(indexDir, 'wal'), { recursive: true, force: true });
}

/**
 * One serving process per index directory: two would append to the same log and delete each
 * other's files. The lock is the kernel's (an exclusive lock on `LOCK` through
 * fs-native-extensions), held as long as the process holds the file open, so it is released the
 * moment the process dies, kill -9 included, whatever becomes of its pid. The file also holds
 * the owner's pid, for the message.
 */
export function lockIndexDir(indexDir: string): () => void {
  mkdirSync(indexDir, { recursive: true });
  const file = join(indexDir, 'LOCK');
  const fd = openSync(file, 'a+');
  if (!tryLock(fd)) {
    closeSync(fd);
    const pid = readFileSync(file, 'utf8').trim() || 'unknown';
    throw new SearchError('index_locked', `${indexDir} is in use by process ${pid}; stop it first`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, String(process.pid));
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    unlock(fd);
    closeSync(fd);
  };
}
