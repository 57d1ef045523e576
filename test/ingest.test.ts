import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IngestError } from '../src/ingest/article.js';
import { listPosts, postId } from '../src/ingest/files.js';
import { htmlToText } from '../src/ingest/html.js';
import { parsePost, splitFrontMatter } from '../src/ingest/post.js';
import matter from 'gray-matter';

// Compiled to dist/test/: the repository root is two levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seeds = path.join(root, 'seeds');
const EXAMPLE_ID = '2020-12-25-新竹市：數位身分證110年1月試辦傾向暫緩';

/** A post file as the feed archiver writes it, around the given HTML body. */
function post(html: string, frontMatter = 'title: "測試"'): Buffer {
  return Buffer.from(`---\nlayout: post\n${frontMatter}\n---\n${html}\n`);
}

test('example post: fields', async () => {
  const file = path.join(seeds, `${EXAMPLE_ID}.md`);
  const a = parsePost(await readFile(file), file, EXAMPLE_ID);
  assert.equal(a.id, EXAMPLE_ID);
  assert.equal(a.title, '新竹市：數位身分證110年1月試辦傾向暫緩');
  assert.equal(a.url, 'https://www.cna.com.tw/news/firstnews/202012250125.aspx');
  assert.equal(a.source, '(臺)中央社CNA');
  assert.equal(a.date, '2020-12-25T07:57:00.000Z');
  assert.deepEqual(a.tags, ['(臺)中央社CNA']);
  assert.deepEqual(a.categories, ['(臺)中央社CNA']);
  assert.deepEqual(a.related, [
    {
      title: '直播背書 唐鳳：換數位身分證為解決防偽個資問題',
      url: 'https://www.cna.com.tw/news/aipl/202012210138.aspx',
    },
    {
      title: '若成功複製數位身分證 內政部擬提供500萬獎金',
      url: 'https://www.cna.com.tw/news/aipl/202012240247.aspx',
    },
    {
      title: '蘇貞昌：數位身分證不一定2021年7月全國換發 要試辦到駭客攻不破',
      url: 'https://www.cna.com.tw/news/firstnews/202012110111.aspx',
    },
  ]);
});

test('example post: body', async () => {
  const file = path.join(seeds, `${EXAMPLE_ID}.md`);
  const { body } = parsePost(await readFile(file), file, EXAMPLE_ID);
  const paragraphs = body.split('\n');
  // The picinfo caption, then the 7 <p> of the article.
  assert.equal(paragraphs.length, 1 + 7);
  assert.equal(
    paragraphs[0],
    '新竹市政府25日表示，秉持市民優先、資安第一原則，若中央無法針對資安釋疑，傾向暫緩試辦數位身分證。（圖取自內政部網頁moi.gov.tw）',
  );
  assert.ok(
    paragraphs[1].startsWith('（中央社記者魯鋼駿新竹市25日電）內政部原規劃明年1月起在新竹市試辦'),
  );
  assert.ok(
    paragraphs[3].startsWith('新竹市政府今天發布訊息表示，'),
    'inline link text kept in place',
  );
  assert.ok(paragraphs[7].endsWith('（編輯：李錫璋）1091225'));
  for (const leftover of [
    '延伸閱讀',
    '直播背書',
    '[新竹市',
    '](https://',
    '------',
    'adslot',
    '<!--',
  ]) {
    assert.ok(!body.includes(leftover), `body contains ${leftover}`);
  }
  for (const p of paragraphs) {
    assert.equal(p, p.trim());
    assert.ok(p !== '' && !/\s{2}/.test(p));
  }
});

test('html: scripts, styles, embeds, forms, widgets and ads are dropped', () => {
  const { text, related } = htmlToText(`<div>
    <style>p { color: red }</style><script>var ad = "廣告";</script>
    <p>第一段。</p>
    <iframe src="https://www.youtube.com/embed/x">影片</iframe><noscript>請開啟JavaScript</noscript>
    <div class='SubscriptionInner mySubscriptionInner'><div class='subscriInnTitle'>訂閱電子報</div>
      <input type='text' placeholder='請輸入電子信箱'><a href='javascript:'>訂閱</a></div>
    <div class="paragraph bottomArticleBanner show"><div class="pcBox adslot_infinite" id="adslot_pcBox_EndAd2">廣告位</div></div>
    <div class="code-block code-block-1">Ad Inserter 廣告</div>
    <div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>
      <a class="share-twitter sd-button">Twitter</a></div>
    <div class="newsletter-signup">Sign up</div><div class="post-sidebar">側欄</div>
    <div class="card-footer">頁尾</div><form><button>送出</button><select><option>選項</option></select></form>
    <svg><text>圖</text></svg><template><p>樣板</p></template>
    <p>第二段。</p>
  </div>`);
  assert.equal(text, '第一段。\n第二段。');
  assert.deepEqual(related, []);
});

test('html: class tokens decide, not substrings or the text', () => {
  // WordPress lists the post's categories and tags in its class: not a newsletter widget.
  const { text } = htmlToText(
    '<article class="post category-newsletters tag-sharing"><p>本文。</p></article>' +
      '<div class="shared-story">共享。</div>' +
      '<div class="ads_KbHEVhh8Rw">廣告</div><div id="adslot_pcBox_EndAd2">廣告</div>',
  );
  assert.equal(text, '本文。\n共享。');
  // Text that merely mentions ads stays.
  assert.equal(
    htmlToText('<p class="lead">newsletter adslot 電子報</p>').text,
    'newsletter adslot 電子報',
  );
});

test('html: void elements and unclosed or stray tags keep skipping right', () => {
  // An <img>/<br>/<input> inside a dropped block must not end the skip early.
  assert.equal(
    htmlToText('<div class="newsletter"><img src="a.png"><br><input><hr>訂閱</div><p>保留</p>')
      .text,
    '保留',
  );
  // Unclosed elements inside a dropped block: their implied closes come with the outer close.
  assert.equal(
    htmlToText('<section><div class="adslot_x"><div><span>廣告</section><p>保留一</p><p>保留二')
      .text,
    '保留一\n保留二',
  );
  // Unclosed <p>s close each other; a stray </div> and </span> change nothing.
  assert.equal(htmlToText('<p>一<p>二</span></div><p>三').text, '一\n二\n三');
  // Mismatched nesting inside a dropped element; text after it survives.
  assert.equal(
    htmlToText(
      '<section><script>x</script><div class="share-x"><b><i>分享</b></i></div>後</section>',
    ).text,
    '後',
  );
  // Stray close tags inside a dropped block do not end it early.
  assert.equal(
    htmlToText('<div class="share-x">分享</span></b><p>內</p></div><p>外</p>').text,
    '外',
  );
});

test('html: paragraphs, whitespace, entities, captions', () => {
  const { text } = htmlToText(`
    <figure><img src="x.jpg" alt="替代文字"><figcaption>  圖說  文字 </figcaption></figure>
    <h2>小標</h2>
    <p>第一行<br>第二行</p>
    <ul><li>甲</li><li>乙</li></ul>
    <p>A&amp;B&nbsp;&nbsp;C &#x4E2D;&#25991; &lt;tag&gt;</p>
    <p>  </p><div></div>
    <p>
      中文在原始碼裡
      換行不應變成空格，English words
      keep a space.
    </p>`);
  assert.deepEqual(text.split('\n'), [
    '圖說 文字',
    '小標',
    '第一行',
    '第二行',
    '甲',
    '乙',
    'A&B C 中文 <tag>',
    '中文在原始碼裡換行不應變成空格，English words keep a space.',
  ]);
  assert.ok(!text.includes('替代文字'), 'img alt is not text');
});

test('html: related reading by class and by label', () => {
  // By class (CNA).
  const cna = htmlToText(
    "<p>本文。</p><div class='paragraph moreArticle'><div class='moreArticle-title'>延伸閱讀</div>" +
      "<a class='moreArticle-link' href='https://a/1'><i class='icon-dot'></i><span>標題 一</span></a>" +
      "<a class='moreArticle-link' href='https://a/2'><span>標題&amp;二</span></a></div><p>後記。</p>",
  );
  assert.equal(cna.text, '本文。\n後記。');
  assert.deepEqual(cna.related, [
    { title: '標題 一', url: 'https://a/1' },
    { title: '標題&二', url: 'https://a/2' },
  ]);
  // By its label, in a titled box.
  const box = htmlToText(
    '<div><p>本文。</p><div class="box"><h3>相關新聞</h3><a href="/x">甲</a></div><p>後記。</p></div>',
  );
  assert.equal(box.text, '本文。\n後記。');
  assert.deepEqual(box.related, [{ title: '甲', url: '/x' }]);
  // By a lone label heading followed by a list; the article around it stays.
  const lone = htmlToText(
    '<div><p>本文。</p><h3>延伸阅读</h3><ul><li><a href="/y">乙</a></li></ul><p>後記。</p></div>',
  );
  assert.equal(lone.text, '本文。\n後記。');
  assert.deepEqual(lone.related, [{ title: '乙', url: '/y' }]);
  // The label as ordinary words inside a sentence is text.
  assert.equal(htmlToText('<p>請見延伸閱讀。</p>').text, '請見延伸閱讀。');
});

test('html: a related box that swallowed the article (an unclosed quote) gives it back', () => {
  // CNA's digests: a link's href lacks its closing quote, the markup closing the box becomes
  // part of the attribute, and every story after it sits inside the box.
  const story = '日本東京等4處證交所1日因為系統異常，全天停止所有股票交易。'.repeat(8);
  const broken = htmlToText(
    '<span><div class="book-title"><div>今晨最新</div></div>' +
      '<div class="book"><ul><li><a class="moreArticle-link" href="https://a/1">標題一</a></li>' +
      '<li><a class="moreArticle-link" href="https://a/2>標題二</a></li></ul></div></span>' +
      `<h2>首則</h2><p>連假首日<a href="https://a/3">國道</a>車多。</p><h2>證交所停擺</h2><p>${story}</p>` +
      "<div class='paragraph moreArticle'><div class='moreArticle-title'>延伸閱讀</div>" +
      "<a class='moreArticle-link' href='https://a/4'><span>另一則</span></a></div>",
  );
  assert.ok(broken.text.includes(story), broken.text);
  // What the open quote swallowed is lost to any reader (up to the next quote); the rest stays.
  assert.ok(broken.text.includes('國道車多。'), broken.text);
  assert.ok(!broken.text.includes('連假首日'));
  assert.deepEqual(broken.related, [{ title: '另一則', url: 'https://a/4' }]);
  // A related box with a few words besides its links stays related; the words are page text.
  const box = htmlToText(
    '<p>本文。</p><div class="jp-relatedposts"><h3>相关</h3><p><a href="/x">甲文</a> 2020年10月1日</p></div>',
  );
  assert.equal(box.text, '本文。');
  assert.deepEqual(box.related, [{ title: '甲文', url: '/x' }]);
  assert.match(box.extra, /相关/);
  assert.match(box.extra, /2020年10月1日/);
});

test('html: Markdown text outside elements keeps blank-line paragraphs', () => {
  assert.equal(htmlToText('第一段\n第一段續\n\n第二段').text, '第一段第一段續\n第二段');
});

test('post: front matter mapping', () => {
  const a = parsePost(
    post(
      '<!--1608883020000-->\n[標題](https://x/1)\n------\n\n<div><p>內文</p></div>',
      [
        'title: "  標題  "',
        'date: "2021-01-02 03:04:05 +08:00"',
        'author: 範例社',
        'from: https://x/1',
        'tags: 單一標籤',
        'categories: [ 甲, " 乙 ", "" ]',
      ].join('\n'),
    ),
    'a.md',
    'a',
  );
  assert.equal(a.title, '標題');
  assert.equal(a.date, '2021-01-01T19:04:05.000Z');
  assert.equal(a.source, '範例社');
  assert.equal(a.url, 'https://x/1');
  assert.deepEqual(a.tags, ['單一標籤']);
  assert.deepEqual(a.categories, ['甲', '乙']);
  assert.equal(a.body, '內文');

  const bare = parsePost(post('<p>內文</p>', 'title: T\ndate: not a date'), 'b.md', 'b');
  assert.equal(bare.date, null);
  assert.equal(bare.url, null);
  assert.equal(bare.source, null);
  assert.deepEqual(bare.tags, []);
  // A UTF-8 BOM is not part of the file.
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), post('<p>x</p>')]);
  assert.equal(parsePost(bom, 'c.md', 'c').title, '測試');
});

test('post: front matter is split exactly where gray-matter splits the whole text', async () => {
  // readPost hands gray-matter only the front matter block (see splitFrontMatter): the result
  // must be what gray-matter gives for the whole file, on every seed and on edge cases.
  const opts = { engines: { js: () => ({}) } };
  const texts: string[] = [];
  for (const f of await readdir(seeds))
    if (f.endsWith('.md'))
      texts.push((await readFile(path.join(seeds, f), 'utf8')).replace(/\r\n?/g, '\n'));
  texts.push(
    '---\ntitle: a\n---',
    '---\ntitle: a\n---\n',
    '---\ntitle: a\n---\n\nbody',
    '---\ntitle: a\n----\nbody',
    '---\ntitle: a\n---x\nbody',
    '---yaml\ntitle: a\n---\nbody\n---\nmore',
    '---\ntitle: a\nno close',
    '---\n---\nbody',
    '----\ntitle: a\n---\nbody',
  );
  for (const text of texts) {
    let whole: { data: unknown; content: string };
    try {
      whole = matter(text, opts);
    } catch {
      assert.throws(() => splitFrontMatter(text), JSON.stringify(text.slice(0, 60))); // bad YAML
      continue;
    }
    const split = splitFrontMatter(text);
    assert.equal(split.content, whole.content, JSON.stringify(text.slice(0, 60)));
    assert.deepEqual(split.data, whole.data, JSON.stringify(text.slice(0, 60)));
  }
});

test('post: broken posts throw IngestError naming the file', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['bad-yaml.md', post('<p>x</p>', 'title: "未關閉\ntags: [ a, b'), /bad front matter/],
    ['empty.md', Buffer.from(' \n\t\n'), /empty/],
    ['zero.md', Buffer.alloc(0), /empty/],
    [
      'latin1.md',
      Buffer.concat([post('<p>'), Buffer.from([0xe9, 0xff]), Buffer.from('</p>')]),
      /UTF-8/,
    ],
    ['no-title.md', post('<p>x</p>', 'author: 某社'), /title/],
    ['blank-title.md', post('<p>x</p>', 'title: "  "'), /title/],
    ['no-front-matter.md', Buffer.from('<p>只有內文</p>'), /front matter/],
    ['list-front-matter.md', Buffer.from('---\n- a\n- b\n---\nbody'), /not a mapping/],
    ['js-front-matter.md', Buffer.from('---js\n{ title: "x" }\n---\nbody'), /front matter/],
  ];
  for (const [file, raw, reason] of cases) {
    assert.throws(
      () => parsePost(raw, file, 'id'),
      (err: unknown) =>
        err instanceof IngestError &&
        err.file === file &&
        reason.test(err.reason) &&
        err.message.startsWith(file),
      file,
    );
  }
});

test('post: the seed with broken front matter is reported, not indexed', async () => {
  const file = path.join(seeds, '2021-03-01-broken-front-matter.md');
  const raw = await readFile(file).catch(() => null);
  if (raw === null) return; // seed set without it
  assert.throws(() => parsePost(raw, file, 'x'), IngestError);
});

test('files: listPosts ids, order, and what it skips', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ingest-'));
  try {
    await mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true });
    await mkdir(path.join(dir, '.git'));
    await mkdir(path.join(dir, 'node_modules', 'x'), { recursive: true });
    const files = [
      'b.md',
      'a post.markdown',
      'sub/2020-01-01-U.S.-China.md',
      'sub/deeper/c.MD',
      'notes.txt',
      '.hidden.md',
      '.git/d.md',
      'node_modules/x/e.md',
    ];
    for (const f of files) await writeFile(path.join(dir, f), '---\ntitle: t\n---\n');
    const posts = await listPosts(dir);
    assert.deepEqual(
      posts.map((p) => p.id),
      ['a post', 'b', 'sub/2020-01-01-U.S.-China', 'sub/deeper/c'],
    );
    assert.equal(posts[2].file, path.join(dir, 'sub', '2020-01-01-U.S.-China.md'));
    assert.equal(postId(dir, path.join(dir, 'sub', 'x.y.md')), 'sub/x.y');
    // The walk builds ids as it goes: they must be postId's, however the folder is written.
    for (const folder of [dir, dir + path.sep, path.join(dir, 'sub', '..')]) {
      const listed = await listPosts(folder);
      assert.deepEqual(
        listed,
        posts.map((p) => ({ file: path.join(folder, path.relative(dir, p.file)), id: p.id })),
      );
      for (const p of listed) assert.equal(p.id, postId(folder, p.file));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('files: the seeds folder lists the example post under its contract id', async () => {
  const posts = await listPosts(seeds);
  assert.ok(posts.some((p) => p.id === EXAMPLE_ID));
  const ids = posts.map((p) => p.id);
  assert.deepEqual(ids, [...ids].sort());
});
