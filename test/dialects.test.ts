/**
 * Post dialects (issue 5, item 4): front-matter key variants, Markdown bodies, CRLF, and
 * encodings (UTF-8 with BOM, UTF-16 LE/BE with BOM, Big5, GBK/GB18030), on the sample posts in
 * seeds/dialects/ and on the example post re-encoded; then a bad-input corpus indexed whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { IngestError, type Article } from '../src/ingest/article.js';
import { HtmlError, htmlToText } from '../src/ingest/html.js';
import { isMarkdownBody } from '../src/ingest/markdown.js';
import { parsePost, readPost } from '../src/ingest/post.js';
import { buildIndex } from '../src/index/build.js';
import { docNumber, getDocument } from '../src/search/documents.js';
import { EXAMPLE_ID, SEEDS } from './helpers.js';

const DIALECTS = path.join(SEEDS, 'dialects');
const EXAMPLE_FILE = path.join(SEEDS, `${EXAMPLE_ID}.md`);

async function sample(name: string): Promise<{ raw: Buffer; article: Article }> {
  const file = path.join(DIALECTS, name);
  const raw = await readFile(file);
  return { raw, article: parsePost(raw, file, `dialects/${name.replace(/\.md$/, '')}`) };
}

/** A post with the given front matter lines and body. */
const post = (frontMatter: string[], body: string) =>
  Buffer.from(`---\n${frontMatter.join('\n')}\n---\n${body}\n`);
const fields = (frontMatter: string[]) =>
  parsePost(post(['title: 測試', ...frontMatter], '<p>內文</p>'), 'x.md', 'x');

function isUtf8(raw: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return true;
  } catch {
    return false;
  }
}

function rejects(raw: Buffer, reason: RegExp, file = 'bad.md'): void {
  assert.throws(
    () => readPost(raw, file, 'bad'),
    (err: unknown) => err instanceof IngestError && err.file === file && reason.test(err.reason),
    `${file}: expected ${reason}`,
  );
}

test('key variants: url/outlet/category, a comma-string tag list, a YAML date (sample post)', async () => {
  const { article } = await sample('key-variants.md');
  assert.deepEqual(article, {
    id: 'dialects/key-variants',
    title: '台南鹽田體驗季開跑 遊客赤腳收鹽',
    body:
      '台南市七股鹽田體驗季9日開幕，遊客可以赤腳踩進結晶池，跟著老鹽工用木耙收集海鹽。\n' +
      '主辦單位表示，今年增設夜間導覽，介紹曬鹽產業的歷史與鹽村生活。',
    url: 'https://news.example.tw/local/20210109-salt.html',
    source: '(臺)南瀛日報',
    date: '2021-01-09T00:00:00.000Z',
    tags: ['台南', '觀光', '鹽田'], // "台南, 觀光，鹽田": ASCII and full-width commas
    categories: ['地方'],
    related: [],
  });
});

test('key variants: each group takes the first key present, in order', () => {
  const all = [
    'original_url: https://o/',
    'link: https://l/',
    'url: https://u/',
    'from: https://f/',
  ];
  assert.equal(fields(all).url, 'https://f/');
  assert.equal(fields(all.slice(0, 3)).url, 'https://u/');
  assert.equal(fields(all.slice(0, 2)).url, 'https://l/');
  assert.equal(fields(all.slice(0, 1)).url, 'https://o/');
  assert.equal(
    fields(['from: ""', 'link: https://l/']).url,
    'https://l/',
    'a blank key is not present',
  );
  const outlets = ['outlet: 丙社', 'source: 乙社', 'author: 甲社'];
  assert.equal(fields(outlets).source, '甲社');
  assert.equal(fields(outlets.slice(0, 2)).source, '乙社');
  assert.equal(fields(outlets.slice(0, 1)).source, '丙社');
  assert.deepEqual(fields(['category: 乙', 'categories: [甲]']).categories, ['甲']);
  assert.deepEqual(fields(['category: 乙']).categories, ['乙']);
  assert.deepEqual(fields(['category: [乙, 丙]']).categories, ['乙', '丙']);
  assert.deepEqual(fields([]).categories, []);
});

test('tags: a YAML list, a comma string (ASCII or full-width), a single value', () => {
  assert.deepEqual(fields(['tags: [ 甲, " 乙 ", "" ]']).tags, ['甲', '乙']);
  assert.deepEqual(
    fields(['tags:', '  - 甲', '  - 乙,丙']).tags,
    ['甲', '乙,丙'],
    'list items are not split',
  );
  assert.deepEqual(fields(['tags: 甲, 乙,丙']).tags, ['甲', '乙', '丙']);
  assert.deepEqual(fields(['tags: 甲，乙 ， 丙，']).tags, ['甲', '乙', '丙']);
  assert.deepEqual(fields(['tags: 單一標籤']).tags, ['單一標籤']);
  assert.deepEqual(fields(['tags: 2021']).tags, ['2021']);
});

test('dates: strings, YAML dates and timestamps, epoch seconds and milliseconds', () => {
  const date = (v: string) => fields([`date: ${v}`]).date;
  assert.equal(date('2021-01-09'), '2021-01-09T00:00:00.000Z');
  assert.equal(date('2021-01-09T08:30:00+08:00'), '2021-01-09T00:30:00.000Z');
  assert.equal(date('"2021-01-09 08:30:00 +08:00"'), '2021-01-09T00:30:00.000Z');
  assert.equal(date('1612317600'), '2021-02-03T02:00:00.000Z'); // seconds
  assert.equal(date('1612317600000'), '2021-02-03T02:00:00.000Z'); // milliseconds
  assert.equal(date('"1612317600"'), '2021-02-03T02:00:00.000Z'); // quoted digits
  assert.equal(date('1612317600.5'), '2021-02-03T02:00:00.500Z');
  assert.equal(date('not a date'), null);
  assert.equal(date('""'), null);
  assert.equal(date('[1, 2]'), null);
});

test('markdown body: links keep their text, images their alt, never a URL (sample post)', async () => {
  const { article } = await sample('markdown.md');
  assert.deepEqual(article, {
    id: 'dialects/markdown',
    title: '玉山主峰步道整修完工 排雲山莊床位開放抽籤',
    body: [
      '排雲山莊外觀', // the image's alt text, as a caption
      '玉山國家公園管理處3日宣布，主峰步道落石路段整修完工，排雲山莊床位即日起開放抽籤。',
      '管理處提醒，山友出發前應查詢氣象預報，並攜帶足夠的保暖衣物。',
      '申請方式',
      '每月1日至15日線上抽籤',
      '中籤者須於7日內繳費',
    ].join('\n'),
    url: 'https://news.example.tw/outdoor/20210203-yushan.html',
    source: '(臺)山岳週報',
    date: '2021-02-03T02:00:00.000Z', // `date: 1612317600`, epoch seconds
    tags: ['登山', '國家公園'],
    categories: ['生活'],
    related: [],
  });
});

test('markdown body: autolinks, bare images, emphasis, 延伸閱讀 lists and inline HTML', () => {
  const md = [
    '# 小標',
    '',
    '本文有**粗體**與[連結](https://a.example/x "連結標題")，自動連結<https://b.example/y>不留，',
    '換行接續。![](https://c.example/z.png)',
    '',
    '![圖說](https://c.example/w.png)',
    '',
    '<span class="note">行內標記</span>保留文字，<script>alert(1)</script>丟棄程式。',
    '',
    '<iframe src="https://e.example/embed"></iframe>',
    '',
    '## 延伸閱讀',
    '',
    '- [相關一](https://d.example/1)',
    '- [相關二](https://d.example/2)',
  ].join('\n');
  const { article, extra } = readPost(post(['title: 測試'], md), 'm.md', 'm');
  assert.equal(
    article.body,
    '小標\n本文有粗體與連結，自動連結不留，換行接續。\n圖說\n行內標記保留文字，丟棄程式。',
  );
  assert.deepEqual(article.related, [
    { title: '相關一', url: 'https://d.example/1' },
    { title: '相關二', url: 'https://d.example/2' },
  ]);
  for (const leaked of ['http', 'example', '](', '![', '**', '#', '連結標題']) {
    assert.ok(!article.body.includes(leaked) && !extra.includes(leaked), leaked);
  }
});

test('markdown detection: no block-level HTML tag means Markdown', () => {
  assert.equal(
    isMarkdownBody(
      '第一段\n\n第二段 <span>x</span> <img src="a.png"> <a href="/">y</a> <!-- c -->',
    ),
    true,
  );
  assert.equal(
    isMarkdownBody(
      '影片：\n\n<iframe src="https://v.example/1"></iframe>\n<script src="x.js"></script>',
    ),
    true,
    'embeds',
  );
  for (const html of [
    '<p>x</p>',
    '<DIV class="a">x</DIV>',
    'a<br>b',
    'a<br/>b',
    '<h2>x</h2>',
    '<ul><li>x</li></ul>',
    '<table><tr><td>x</td></tr></table>',
    '<blockquote>x</blockquote>',
  ]) {
    assert.equal(isMarkdownBody(html), false, html);
  }
  assert.equal(isMarkdownBody('<pre>x</pre> <preview>'), false);
  assert.equal(isMarkdownBody('<preview>x</preview> <param>'), true, 'tag names are matched whole');
  // An HTML body is not rendered as Markdown: its asterisks and brackets are text.
  assert.equal(
    parsePost(post(['title: t'], '<p>*星號* [方括號](並非連結)</p>'), 'h.md', 'h').body,
    '*星號* [方括號](並非連結)',
  );
});

test('CRLF line endings: sample post, and the example post with CRLF parses identically', async () => {
  const { raw, article } = await sample('crlf.md');
  assert.ok(raw.includes('\r\n---\r\n'), 'the sample really has CRLF line endings');
  assert.deepEqual(article, {
    id: 'dialects/crlf',
    title: '澎湖海上花火節延至五月 業者盼加開班機',
    body:
      '澎湖縣政府12日宣布，今年海上花火節延至5月開幕，首場煙火將在觀音亭施放。\n' +
      '當地旅宿業者希望航空公司加開班機，紓解連假期間的機位需求。',
    url: 'https://news.example.tw/travel/20210312-fireworks.html', // `original_url`
    source: '(臺)澎湖時報',
    date: '2021-03-12T04:30:00.000Z', // `date: 1615523400000`, epoch milliseconds
    tags: ['澎湖', '花火節'],
    categories: ['旅遊'],
    related: [],
  });
  const example = await readFile(EXAMPLE_FILE, 'utf8');
  const crlf = Buffer.from(example.replace(/\n/g, '\r\n'));
  assert.deepEqual(
    parsePost(crlf, 'crlf.md', EXAMPLE_ID),
    parsePost(Buffer.from(example), 'lf.md', EXAMPLE_ID),
  );
  // Markdown paragraphs separated by CRLF blank lines.
  assert.equal(
    parsePost(Buffer.from('---\r\ntitle: t\r\n---\r\n甲段\r\n\r\n乙段\r\n'), 'm.md', 'm').body,
    '甲段\n乙段',
  );
});

test('UTF-8 with BOM (sample post)', async () => {
  const { raw, article } = await sample('utf8-bom.md');
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual(article, {
    id: 'dialects/utf8-bom',
    title: '高雄輕軌大順路段試運轉 預計年底全線通車',
    body:
      '高雄環狀輕軌大順路段20日起試運轉，列車以低速往返測試號誌與供電系統。\n' +
      '捷運局表示，試運轉期間沿線路口將派員指揮，提醒用路人注意安全。',
    url: 'https://news.example.tw/transport/20210420-lrt.html',
    source: '(臺)港都新聞',
    date: '2021-04-20T02:00:00.000Z',
    tags: ['高雄', '輕軌'],
    categories: ['交通'],
    related: [],
  });
});

test('UTF-16 LE with BOM (sample post); LE and BE re-encodings of the example post', async () => {
  const { raw, article } = await sample('utf16le-bom.md');
  assert.deepEqual([...raw.subarray(0, 2)], [0xff, 0xfe]);
  assert.deepEqual(article, {
    id: 'dialects/utf16le-bom',
    title: '梨山高麗菜產量回穩 批發價格明顯回落',
    body:
      '隨著梨山產區天氣轉好，高麗菜產量逐漸回穩，台北第一果菜批發市場的平均價格比上週下跌約三成。\n' +
      '農糧署表示，將持續監測產銷情形，必要時啟動收購與儲運調節。',
    url: 'https://news.example.tw/agri/20210226-cabbage.html',
    source: '(臺)農產快報',
    date: '2021-02-26T01:00:00.000Z',
    tags: ['農業', '高麗菜'],
    categories: ['財經'],
    related: [],
  });
  const example = await readFile(EXAMPLE_FILE, 'utf8');
  const expected = parsePost(Buffer.from(example), 'utf8.md', EXAMPLE_ID);
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(example, 'utf-16le')]);
  const be = Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(example, 'utf-16be')]);
  assert.deepEqual(parsePost(le, 'le.md', EXAMPLE_ID), expected);
  assert.deepEqual(parsePost(be, 'be.md', EXAMPLE_ID), expected);
  // A cut-off last code unit, an unpaired surrogate: refused.
  rejects(le.subarray(0, le.length - 1), /not valid UTF-16LE/);
  rejects(
    Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      iconv.encode('---\ntitle: t\n---\n', 'utf-16le'),
      Buffer.from([0x00, 0xd8, 0x41, 0x00]),
    ]),
    /not valid UTF-16LE/,
  );
});

test('Big5 without BOM (sample post); the example post in Big5', async () => {
  const { raw, article } = await sample('big5.md');
  assert.ok(!isUtf8(raw), 'the sample is really not UTF-8');
  assert.deepEqual(article, {
    id: 'dialects/big5',
    title: '天星小輪申請加價 乘客關注服務質素',
    body:
      '天星小輪向運輸署申請調整票價，來往尖沙咀及中環航線的成人票價擬加一角。\n' +
      '有乘客表示，加價可以接受，但希望公司改善碼頭設施及班次安排。',
    url: 'https://news.example.hk/local/20210330-ferry.html',
    source: '(港)維港日報',
    date: '2021-03-30T02:00:00.000Z',
    tags: ['香港', '渡輪'],
    categories: ['港聞'],
    related: [],
  });
  const example = await readFile(EXAMPLE_FILE, 'utf8');
  const big5 = iconv.encode(example, 'big5');
  assert.ok(!isUtf8(big5));
  assert.deepEqual(
    parsePost(big5, 'big5.md', EXAMPLE_ID),
    parsePost(Buffer.from(example), 'utf8.md', EXAMPLE_ID),
  );
  // Short texts: the frequent-character areas of each table decide.
  for (const title of ['中文', '香港天文台', '颱風來襲 高鐵停駛']) {
    assert.equal(
      parsePost(iconv.encode(`---\ntitle: ${title}\n---\n`, 'big5'), 's.md', 's').title,
      title,
    );
  }
});

test('GBK / GB18030 without BOM, Simplified and Traditional (sample post; the example post)', async () => {
  const { raw, article } = await sample('gbk.md');
  assert.ok(!isUtf8(raw), 'the sample is really not UTF-8');
  assert.deepEqual(article, {
    id: 'dialects/gbk',
    title: '哈尔滨冰雪大世界开园 游客排队体验超长冰滑梯',
    body: [
      '第二十二届哈尔滨冰雪大世界18日开园，园区用冰约十万立方米，主塔高约四十米。',
      '冰滑梯',
      '工作人员提醒游客注意保暖，并在指定区域拍照留念。',
    ].join('\n'),
    url: 'https://news.example.cn/society/20201218-ice.html',
    source: '(陆)北国晨报',
    date: '2020-12-18T09:00:00.000Z',
    tags: ['哈尔滨', '冰雪旅游'], // "哈尔滨，冰雪旅游"
    categories: ['社会'],
    related: [],
  });
  const example = await readFile(EXAMPLE_FILE, 'utf8');
  const expected = parsePost(Buffer.from(example), 'utf8.md', EXAMPLE_ID);
  for (const enc of ['gbk', 'gb18030']) {
    assert.deepEqual(parsePost(iconv.encode(example, enc), `${enc}.md`, EXAMPLE_ID), expected, enc);
  }
  // GB18030's four-byte sequences (characters outside GBK).
  const rare = '---\ntitle: 𠀀㐀€，中文標題\n---\n<p>內文</p>';
  assert.equal(parsePost(iconv.encode(rare, 'gb18030'), 'r.md', 'r').title, '𠀀㐀€，中文標題');
  for (const title of ['中文', '香港天文台', '上海地铁新线路开通']) {
    assert.equal(
      parsePost(iconv.encode(`---\ntitle: ${title}\n---\n`, 'gbk'), 's.md', 's').title,
      title,
    );
  }
});

test('undecidable, binary and oversized files are refused with a clear reason', () => {
  const ok = post(['title: 測試'], '<p>內文</p>');
  rejects(Buffer.concat([ok, Buffer.from([0, 1, 2, 3])]), /^binary file/);
  rejects(
    Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 0x41 : 1 + (i % 20)))),
    /^binary file/,
  );
  // Windows-1252 (é followed by a space, ÿ) reads as neither UTF-8 nor GB18030 nor Big5.
  rejects(
    Buffer.concat([
      post(['title: Café'], '<p>'),
      Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0xff]),
      Buffer.from('</p>'),
    ]),
    /^unknown encoding/,
  );
  // A bad UTF-8 file with a UTF-8 BOM is not guessed at.
  rejects(
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ok, Buffer.from([0xb0, 0xa1])]),
    /not valid UTF-8/,
  );
  // Size is checked before anything is parsed: this is also bad YAML, but reported as too large.
  const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x61);
  big.write('---\ntitle: "unclosed\n');
  rejects(big, /^file too large \(5\.0 MB; limit 5 MB\)$/);
  assert.equal(
    parsePost(
      Buffer.concat([ok, Buffer.alloc(5 * 1024 * 1024 - ok.length - 1, 0x20)]),
      'max.md',
      'max',
    ).title,
    '測試',
  );
});

test('a stray control character in the front matter is removed, the post read, a warning given', async () => {
  for (const c of ['\u001c', '\u0008', '\u0003']) {
    const raw = post([`title: "中央社${c}記者會"`, 'tags: [ 測試 ]'], '<p>內文。</p>');
    const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    const { article, warnings } = readPost(raw, 'x.md', 'x');
    assert.equal(article.title, '中央社記者會');
    assert.equal(article.body, '內文。');
    assert.deepEqual(warnings, [`removed 1 control character (${code}) from the front matter`]);
  }
  // Only the front matter is touched; a clean post has no warnings.
  assert.equal(readPost(post(['title: 乾淨'], '<p>內文。</p>'), 'y.md', 'y').warnings, undefined);

  // Through a build, in worker threads too: indexed, and reported by file name.
  const dir = await mkdtemp(path.join(tmpdir(), 'controls-'));
  try {
    await writeFile(
      path.join(dir, 'stray.md'),
      post(['title: "颱風\u001c動態"'], '<p>颱風北轉。</p>'),
    );
    await writeFile(path.join(dir, 'clean.md'), post(['title: 天氣'], '<p>晴。</p>'));
    for (const workers of [0, 1]) {
      const { index, report } = await buildIndex([dir], { workers });
      assert.equal(report.posts, 2);
      assert.deepEqual(report.errors, []);
      assert.deepEqual(report.warnings, [
        {
          file: path.join(dir, 'stray.md'),
          reason: 'removed 1 control character (U+001C) from the front matter',
        },
      ]);
      assert.equal(getDocument(index, docNumber(index, 'stray')!).title, '颱風動態');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // A binary file is still refused, control characters and all.
  rejects(
    Buffer.concat([
      Buffer.from('---\ntitle: "x'),
      Buffer.alloc(200, 0x1c),
      Buffer.from('"\n---\n'),
    ]),
    /^binary file/,
  );
});

test('HTML bomb: 100,000 nested elements are refused, not parsed', () => {
  for (const html of [
    '<div>'.repeat(100_000) + '深' + '</div>'.repeat(100_000),
    '<div>'.repeat(100_000) + '</span>'.repeat(100_000),
    '<b>'.repeat(100_000),
  ]) {
    // Refused by depth (no timing asserted: without the limit htmlparser2 takes ~10 s here).
    assert.throws(
      () => htmlToText(html),
      (err: unknown) => err instanceof HtmlError && /nested too deeply/.test(err.message),
    );
  }
  // Ordinary nesting is untouched.
  assert.equal(htmlToText('<div>'.repeat(200) + '淺' + '</div>'.repeat(200)).text, '淺');
  rejects(
    post(['title: t'], '<div>'.repeat(100_000)),
    /^HTML nested too deeply \(more than 512 levels\)$/,
  );
});

test('bad-input corpus: every valid post indexed, each bad file reported once by name and reason', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'dialects-'));
  try {
    const valid: string[] = [];
    for (const name of await readdir(DIALECTS)) {
      await copyFile(path.join(DIALECTS, name), path.join(dir, name));
      valid.push(name.replace(/\.md$/, ''));
    }
    await copyFile(EXAMPLE_FILE, path.join(dir, 'example.md'));
    valid.push('example');
    const ok = post(['title: 正常'], '<p>正常內文。</p>');
    const bad: Record<string, [Buffer, RegExp]> = {
      'bad-yaml.md': [post(['title: "未關閉', 'tags: [ a, b'], '<p>x</p>'), /^bad front matter: /],
      'binary.md': [
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
        /^binary file/,
      ],
      'big.md': [
        Buffer.concat([ok, Buffer.alloc(10 * 1024 * 1024, 0x20)]),
        /^file too large \(10\.0 MB; limit 5 MB\)$/,
      ],
      'empty.md': [Buffer.alloc(0), /^empty file$/],
      'wrong-encoding.md': [
        Buffer.concat([
          post(['title: Crème brûlée'], '<p>'),
          Buffer.from('Cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise', 'latin1'),
          Buffer.from('</p>'),
        ]),
        /^unknown encoding/,
      ],
      'bomb.md': [
        post(['title: 炸彈'], '<div>'.repeat(100_000) + '深處' + '</div>'.repeat(100_000)),
        /^HTML nested too deeply/,
      ],
    };
    for (const [name, [raw]] of Object.entries(bad)) await writeFile(path.join(dir, name), raw);

    const { index, report } = await buildIndex([dir], { workers: 0 });
    assert.equal(report.posts, valid.length);
    assert.equal(index.size, valid.length);
    for (const id of valid) assert.ok(docNumber(index, id) !== undefined, `${id} indexed`);
    assert.equal(
      getDocument(index, docNumber(index, 'big5')!).title,
      '天星小輪申請加價 乘客關注服務質素',
    );
    assert.deepEqual(
      report.errors.map((e) => path.basename(e.file)).sort(),
      Object.keys(bad).sort(),
      'each bad file once',
    );
    for (const e of report.errors) {
      assert.equal(path.dirname(e.file), dir);
      const [, reason] = bad[path.basename(e.file)];
      assert.match(e.reason, reason, path.basename(e.file));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
