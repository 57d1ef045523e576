/**
 * Folder watch (`serve --watch <folder>`): keeps the index equal to a folder of posts, such as a
 * git checkout of an RSS archive that `git pull` updates.
 *
 * chokidar reports file events (inotify underneath; it copes with editors' rename-and-replace and
 * with bursts). Events are gathered until the folder has been quiet for QUIET_MS (at most
 * MAX_WAIT_MS), then each touched path is read once: a new or changed post becomes a put, a
 * removed one a delete. A file is compared by the SHA-1 of its bytes with what is indexed, so a
 * touch or a checkout that rewrites identical bytes costs nothing. At start the folder is compared
 * with the index the same way, catching what changed while the service was down.
 *
 * A broken post is reported once (per content) by file name and reason; the version indexed
 * before, if any, stays.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { IngestError, type PostChange } from './article.js';
import { fileHash, readPost } from './post.js';
import { listPosts, postId, POST_EXT } from './files.js';
import { MAX_POST_BYTES, tooLarge } from './decode.js';

/** A post file to read, with the hash of the version indexed (if any). */
export interface WatchedFile {
  file: string;
  id: string;
  knownHash?: string;
}

/** What reading a post file found. */
export type FileState =
  | { state: 'changed'; change: Extract<PostChange, { op: 'put' }>; warnings?: string[] }
  | { state: 'unchanged' }
  | { state: 'missing' }
  | { state: 'bad'; reason: string };

export interface FolderWatchOptions {
  /**
   * How files are read: in this thread by default; the server passes a reader that also
   * analyzes them in worker threads (index/analysis-pool.ts), outcomes in the order given.
   */
  read?: (files: WatchedFile[]) => Promise<FileState[]>;
  /** Apply changes (to the index); resolves once they are searchable. */
  apply: (changes: PostChange[]) => Promise<unknown>;
  /** The indexed ids and, for posts read from files, their file hashes. */
  indexed: () => ReadonlyMap<string, string | undefined>;
  onProblem: (file: string, reason: string) => void;
  /** A post read after a repair (readPost's warnings): indexed, and worth telling. */
  onWarning?: (file: string, warning: string) => void;
  onApplied?: (info: { puts: number; deletes: number; ms: number }) => void;
  /**
   * At start, delete indexed posts (those read from files) whose file is gone. Only safe when the
   * index holds nothing but this folder's posts (NewsIndex.sources); otherwise changes made
   * while the service was down are applied except deletions.
   */
  deleteMissing: boolean;
}

const QUIET_MS = 50;
const MAX_WAIT_MS = 200;
/** Files read and handed over per step: a burst becomes searchable in steps, not all at the end. */
const CHUNK = 64;
/**
 * Changes handed to the index at a time. Each hand-over costs a merge (a copy of the whole
 * index, 0.1–0.4 s at 16,000 articles, on the thread that answers queries): measured on a burst
 * of 1,000 posts, handing over every 64 meant six merges and query p99 0.35 s, the whole burst
 * at once two merges and p99 0.04 s, for about the same time until the last was searchable.
 */
const HAND_OVER = 512;

const hidden = (rel: string) =>
  rel.split(/[\\/]/).some((seg) => seg.startsWith('.') || seg === 'node_modules');

export class FolderWatch {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private firstDirtyAt = 0;
  private running: Promise<void> = Promise.resolve();
  /** Changes handed over and not yet applied. */
  private readonly applying = new Set<Promise<void>>();
  private readonly reported = new Map<string, string>();
  private watcher: FSWatcher | null = null;

  private constructor(
    readonly folder: string,
    private readonly options: FolderWatchOptions,
  ) {}

  /** Start watching, then bring the index up to date with the folder (resolves after both). */
  static async start(folder: string, options: FolderWatchOptions): Promise<FolderWatch> {
    const w = new FolderWatch(path.resolve(folder), options);
    w.watcher = watch(w.folder, {
      ignoreInitial: true,
      ignored: (p, stats) => {
        const rel = path.relative(w.folder, p);
        return rel !== '' && (hidden(rel) || (stats?.isFile() === true && !POST_EXT.test(p)));
      },
    });
    w.watcher.on('all', (event, p) => {
      if (event === 'add' || event === 'change' || event === 'unlink') w.touch(p);
      else if (event === 'unlinkDir') {
        // A removed folder: every indexed post under it goes.
        const prefix = postId(w.folder, p) + '/';
        for (const id of options.indexed().keys())
          if (id.startsWith(prefix)) w.touch(path.join(w.folder, id + '.md'));
      }
    });
    w.watcher.on('error', (err) => options.onProblem(w.folder, `watch error: ${String(err)}`));
    await new Promise<void>((ok) => w.watcher!.once('ready', ok));
    await w.enqueue(() => w.reconcile());
    await w.applied();
    return w;
  }

  /** Wait for everything seen so far to be applied. */
  async settled(): Promise<void> {
    while (this.timer || this.dirty.size) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      await this.enqueue(() => this.flush());
    }
    await this.running;
    await this.applied();
  }

  private async applied(): Promise<void> {
    while (this.applying.size) await Promise.all(this.applying);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.applied();
  }

  private touch(file: string): void {
    if (!POST_EXT.test(file)) return;
    if (this.dirty.size === 0) this.firstDirtyAt = Date.now();
    this.dirty.add(file);
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(QUIET_MS, this.firstDirtyAt + MAX_WAIT_MS - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueue(() => this.flush());
    }, wait);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.running = this.running
      .then(fn)
      .catch((err: unknown) =>
        this.options.onProblem(this.folder, `could not apply changes: ${String(err)}`),
      );
    return this.running;
  }

  private async flush(): Promise<void> {
    const files = [...this.dirty];
    this.dirty.clear();
    await this.process(
      files.map((file) => ({ file, id: postId(this.folder, file) })),
      false,
    );
  }

  /** The folder against the index: new and changed files, and file-born posts whose file is gone. */
  private async reconcile(): Promise<void> {
    const posts = await listPosts(this.folder);
    const present = new Set(posts.map((p) => p.id));
    await this.process(posts, true);
    if (!this.options.deleteMissing) return;
    const gone: PostChange[] = [];
    for (const [id, hash] of this.options.indexed())
      if (hash !== undefined && !present.has(id)) gone.push({ op: 'delete', id });
    if (gone.length) await this.apply(gone);
  }

  private async process(posts: { file: string; id: string }[], initial: boolean): Promise<void> {
    const indexed = this.options.indexed();
    const read = this.options.read ?? readHere;
    const chunks: WatchedFile[][] = [];
    for (let i = 0; i < posts.length; i += CHUNK)
      chunks.push(posts.slice(i, i + CHUNK).map((p) => ({ ...p, knownHash: indexed.get(p.id) })));
    // All chunks are asked for at once (a reader may work on several in parallel); changes are
    // handed over in order, HAND_OVER at a time and at the end, without waiting for them to be
    // applied (the writer applies them in the order handed over), so the next flush can start
    // reading meanwhile.
    const reads = chunks.map((chunk) => read(chunk));
    let changes: PostChange[] = [];
    const handOver = () => {
      if (!changes.length) return;
      const p = this.apply(changes).catch((err: unknown) =>
        this.options.onProblem(this.folder, `could not apply changes: ${String(err)}`),
      );
      this.applying.add(p);
      void p.finally(() => this.applying.delete(p));
      changes = [];
    };
    for (let c = 0; c < chunks.length; c++) {
      const states = await reads[c];
      states.forEach((st, k) => {
        const { file, id } = chunks[c][k];
        if (st.state === 'changed') {
          this.reported.delete(file);
          for (const w of st.warnings ?? []) this.options.onWarning?.(file, w);
          changes.push(st.change);
        } else if (st.state === 'missing') {
          // Even when not indexed yet: a put for it may still be on its way to the index.
          if (!initial) changes.push({ op: 'delete', id });
        } else if (st.state === 'bad') {
          this.problem(
            file,
            indexed.has(id) ? `${st.reason} (the version indexed before stays)` : st.reason,
          );
        }
      });
      if (changes.length >= HAND_OVER) handOver();
    }
    handOver();
  }

  /** Report a broken file once (again only if it breaks differently). */
  private problem(file: string, reason: string): void {
    if (this.reported.get(file) === reason) return;
    this.reported.set(file, reason);
    this.options.onProblem(file, reason);
  }

  private async apply(changes: PostChange[]): Promise<void> {
    const started = performance.now();
    await this.options.apply(changes);
    const puts = changes.filter((c) => c.op === 'put').length;
    this.options.onApplied?.({
      puts,
      deletes: changes.length - puts,
      ms: Math.round(performance.now() - started),
    });
  }
}

/** Read files in this thread: no analysis (the index writer does it). */
async function readHere(files: WatchedFile[]): Promise<FileState[]> {
  const out: FileState[] = [];
  for (const { file, id, knownHash } of files) {
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      out.push(
        err.code === 'ENOENT' || err.code === 'EISDIR'
          ? { state: 'missing' }
          : { state: 'bad', reason: `${err.code}: ${err.message}` },
      );
      continue;
    }
    const hash = fileHash(raw);
    if (hash === knownHash) {
      out.push({ state: 'unchanged' });
      continue;
    }
    try {
      if (raw.length > MAX_POST_BYTES) throw new IngestError(file, tooLarge(raw.length));
      const { article, extra, warnings } = readPost(raw, file, id);
      article.hash = hash;
      out.push({
        state: 'changed',
        change: { op: 'put', article, extra },
        ...(warnings ? { warnings } : {}),
      });
    } catch (e) {
      if (!(e instanceof IngestError)) throw e;
      out.push({ state: 'bad', reason: e.reason });
    }
  }
  return out;
}
