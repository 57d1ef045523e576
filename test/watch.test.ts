import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { buildIndex } from '../src/index/build.js';
import { IndexWriter } from '../src/index/writer.js';
import { FolderWatch } from '../src/ingest/watch.js';
import { AnalysisPool, poolReader } from '../src/index/analysis-pool.js';
import { search } from '../src/search/searcher.js';
import { SEEDS, EXAMPLE_ID, tempDir } from './helpers.js';

const root = tempDir('zh-news-watch-');
const folder = join(root, 'posts');
let writer: IndexWriter;
let pool: AnalysisPool;
let watcher: FolderWatch | null = null;
const problems: [string, string][] = [];

const post = (title: string, body: string, date = '2026-11-30 09:00:00 +0800') =>
  `---\ntitle: ${title}\ndate: ${date}\nauthor: (臺)測試社\ntags: [測試]\n---\n<div><p>${body}</p></div>\n`;
const ids = (q: string) => search(writer.index, { q, page: 1, size: 100 }).hits.map((h) => h.id);

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

function startWatch(): Promise<FolderWatch> {
  return FolderWatch.start(folder, {
    read: poolReader(pool), // as the server does: read and analyzed in a worker thread
    apply: (changes) => writer.submit(changes),
    indexed: () => new Map(writer.index.docs.map((d) => [d.id, d.hash])),
    onProblem: (file, reason) => problems.push([file, reason]),
    deleteMissing: writer.index.sources.length === 1 && writer.index.sources[0] === folder,
  });
}

before(async () => {
  mkdirSync(folder);
  for (const f of readdirSync(SEEDS))
    if (f.endsWith('.md') && !f.includes('broken')) cpSync(join(SEEDS, f), join(folder, f));
  mkdirSync(join(folder, '.git'));
  const { index } = await buildIndex([folder], { workers: 0 });
  writer = (await IndexWriter.open(index, null)).writer;
  pool = new AnalysisPool(1);
  watcher = await startWatch();
});
after(async () => {
  await watcher?.close();
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

test('a new post is picked up', async () => {
  writeFileSync(
    join(folder, '2026-11-30-new.md'),
    post('金門大橋通車週年', '金門大橋通車滿一週年，車流穩定。'),
  );
  await until('the new post is searchable', () => ids('金門大橋').includes('2026-11-30-new'));
  assert.equal(writer.index.docs.find((d) => d.id === '2026-11-30-new')?.source, '(臺)測試社');
});

test('a changed post is re-indexed, a deleted one removed, a renamed one moves', async () => {
  writeFileSync(join(folder, 'sub-change.md'), post('澎湖花火節', '澎湖花火節第一版內容。'));
  await until('first version', () => ids('花火節').includes('sub-change'));
  writeFileSync(
    join(folder, 'sub-change.md'),
    post('澎湖花火節延期', '主辦單位宣布因天候延期到下週。'),
  );
  await until('second version', () => ids('延期到下週').includes('sub-change'));
  assert.deepEqual(ids('第一版內容'), []);

  rmSync(join(folder, 'sub-change.md'));
  await until('deleted', () => !ids('花火節').includes('sub-change'));

  mkdirSync(join(folder, '2026'), { recursive: true });
  writeFileSync(join(folder, 'to-move.md'), post('綠島音樂會', '綠島音樂會門票售罄。'));
  await until('before the move', () => ids('綠島音樂會').includes('to-move'));
  renameSync(join(folder, 'to-move.md'), join(folder, '2026', 'moved.md'));
  await until('after the move', () => ids('綠島音樂會').join() === '2026/moved');
});

test('a post created and deleted at once does not stay indexed', async () => {
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(folder, `flash-${i}.md`), post(`曇花一現${i}`, '轉眼就被刪除。'));
    await new Promise((ok) => setTimeout(ok, i * 40)); // in the same flush, or the next one
    rmSync(join(folder, `flash-${i}.md`));
  }
  writeFileSync(join(folder, 'after-flash.md'), post('閃現之後', '確認。'));
  await until('the marker after them', () => ids('閃現之後').includes('after-flash'));
  // chokidar reports a removal up to ~0.25 s late (it waits to tell a removal from an atomic
  // replace); give it time, then nothing of them may remain.
  await new Promise((ok) => setTimeout(ok, 1000));
  await watcher!.settled();
  assert.deepEqual(ids('曇花一現'), []);
});

test('files that are not posts, and anything under a dot-folder, are ignored', async () => {
  writeFileSync(join(folder, 'notes.txt'), '馬祖藍眼淚');
  writeFileSync(join(folder, '.git', 'hidden.md'), post('馬祖藍眼淚', '不該被索引。'));
  writeFileSync(join(folder, 'marker.md'), post('標記文章', '確認前面的檔案都處理過了。'));
  await until('the marker post', () => ids('標記文章').includes('marker'));
  assert.deepEqual(ids('藍眼淚'), []);
});

test('a broken post is reported once by name and reason, and the indexed version stays', async () => {
  const file = join(folder, 'will-break.md');
  writeFileSync(file, post('太魯閣步道', '步道重新開放。'));
  await until('good version', () => ids('太魯閣').includes('will-break'));
  const before = problems.length;
  writeFileSync(file, '---\ntitle: [unclosed\n---\n<p>壞掉</p>');
  await until('the problem is reported', () => problems.length > before);
  // Touching it again with the same bytes reports nothing new.
  writeFileSync(file, '---\ntitle: [unclosed\n---\n<p>壞掉</p>');
  writeFileSync(join(folder, 'marker2.md'), post('第二標記', '確認。'));
  await until('the second marker', () => ids('第二標記').includes('marker2'));
  const reports = problems.slice(before).filter(([f]) => f === file);
  assert.equal(reports.length, 1);
  assert.match(reports[0][1], /bad front matter.*version indexed before stays/);
  assert.ok(ids('太魯閣').includes('will-break'));
});

test('a burst of 1,000 new posts (a git pull) is indexed while queries keep being answered', async () => {
  const burst = join(root, 'burst');
  mkdirSync(burst);
  for (let i = 0; i < 1000; i++)
    writeFileSync(
      join(burst, `b-${i}.md`),
      post(`批次新聞${i}：地方選舉`, `第${i}篇。候選人在市場拜票，標記詞burst${i}。`.repeat(8)),
    );
  const before = writer.index.size;
  renameSync(burst, join(folder, 'burst')); // lands all at once, as a checkout does
  let answered = 0;
  let done = false;
  const queries = (async () => {
    while (!done) {
      assert.ok(ids('數位身分證').includes(EXAMPLE_ID));
      answered++;
      await new Promise((ok) => setTimeout(ok, 10));
    }
  })();
  await until('all 1,000 indexed', () => writer.index.size === before + 1000, 60_000);
  done = true;
  await queries;
  assert.ok(answered > 5, `only ${answered} queries answered during the burst`);
  assert.deepEqual(ids('burst999'), ['burst/b-999']);
});

test('after a restart the folder is reconciled: changes made while stopped are applied', async () => {
  await watcher!.settled();
  await watcher!.close();
  watcher = null;
  writeFileSync(join(folder, 'offline-new.md'), post('停機時新增', '蘭嶼飛魚季開始。'));
  rmSync(join(folder, 'marker.md'));
  writeFileSync(join(folder, 'marker2.md'), post('第二標記改版', '停機時修改的內容。'));
  watcher = await startWatch();
  assert.ok(ids('飛魚季').includes('offline-new'));
  assert.deepEqual(ids('標記文章'), []);
  assert.ok(ids('停機時修改').includes('marker2'));
  assert.ok(ids('數位身分證').includes(EXAMPLE_ID), 'unchanged posts stay');
  assert.deepEqual(writer.index.sources, [folder]);
});

test('watching another folder than the one the index came from deletes nothing at start', async () => {
  const other = join(root, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'extra.md'), post('另一個資料夾', '屏東黑鮪魚季。'));
  const before = writer.index.size;
  const sources = writer.index.sources;
  const second = await FolderWatch.start(other, {
    // no reader given: files are read in this thread and analyzed by the writer
    apply: (changes) => writer.submit(changes),
    indexed: () => new Map(writer.index.docs.map((d) => [d.id, d.hash])),
    onProblem: (file, reason) => problems.push([file, reason]),
    deleteMissing: sources.length === 1 && sources[0] === other,
  });
  try {
    assert.equal(writer.index.size, before + 1);
    assert.ok(ids('黑鮪魚').includes('extra'));
  } finally {
    await second.close();
  }
});
