import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeText } from '../src/analysis/analyzer.js';
import { normalize } from '../src/analysis/normalize.js';
import {
  findNearDuplicates,
  shingleJaccard,
  type NearDuplicateOptions,
} from '../src/index/near-duplicates.js';

// Texts written for these tests (fictional news).

const BIKE_TITLE = '新竹市公共自行車明年擴站 新增120處租借點';
const BIKE = [
  '（本報記者王小明新竹15日電）新竹市政府今天宣布，公共自行車系統明年將大幅擴充，預計在全市新增120處租借站，並汰換老舊車輛，讓市民通勤更加便利。',
  '交通處長李大同表示，目前全市共有210個租借站，每日平均使用人次約1萬8000人，尖峰時段科學園區周邊經常一車難求，因此擴站計畫將優先考量園區、火車站與大專院校周邊。',
  '根據規劃，新站點將分三階段建置，第一階段在明年3月前完成40站，第二階段在年中前再增加50站，其餘30站則配合道路工程於年底前陸續啟用。',
  '市府也將引進500輛電動輔助自行車，採用與一般車輛相同的租借方式，但前30分鐘收費為10元，之後每30分鐘加收20元，以反映電池充電與維護成本。',
  '李大同指出，電動輔助車特別適合往返香山、寶山等坡度較大的地區，過去不少市民反映騎到一半就得下車牽行，新車上路後可望改善。',
  '為了解決熱門站點車輛不足的問題，市府將增加調度車輛，並透過即時資料分析，在上下班時段主動補車，目標是讓任一站點無車可借的時間每日不超過30分鐘。',
  '市議員張美華肯定擴站方向，但提醒市府應同步改善自行車道的連續性，她說，許多路段的自行車道在路口突然中斷，騎士只能與汽機車爭道，安全堪慮。',
  '對此，市府回應，明年將投入新台幣8000萬元改善東大路、光復路等主要幹道的自行車道，並在路口增設自行車專用停等區。',
  '交通處也提醒，使用者應遵守交通規則，夜間騎乘務必開啟車燈，並避免在人行道上高速騎乘，以維護行人安全。',
  '（編輯：陳小華）',
];

/** The same story written up again by another reporter: same facts, own wording. */
const BIKE_OTHER_TITLE = '電動輔助車加入 竹市公共單車明年擴點';
const BIKE_OTHER = [
  '新竹市的公共單車明年將迎來大改版。市府交通處今天召開記者會，說明擴點與換車計畫，除了增設120個站點外，也首度引進電動輔助單車。',
  '交通處統計，公共單車目前平均每天被借用約1.8萬次，其中以竹科與新竹車站一帶最為熱門，早晚尖峰經常出現空站的情形。',
  '新站點分三期設置，首期40站預定3月底前完工，年中前再完成50站，最後30站要等道路拓寬工程結束後才能啟用。',
  '電動輔助單車共500輛，費率與一般單車不同，起租30分鐘收10元，超過後每半小時20元。交通處說，香山與寶山一帶坡道多，電輔車可望提高當地的使用意願。',
  '議員張美華受訪時表示支持，但也要求市府把斷斷續續的自行車道接起來，否則騎士在路口仍得和汽機車搶道。',
  '市府表示，明年編列8000萬元經費，優先改善東大路與光復路的自行車道。',
];

/** A morning digest: one paragraph is the bike article's, the rest are other items. */
const DIGEST_TITLE = '早安新竹》公共自行車明年擴站 中華路下週封閉施工';
const DIGEST = [
  `【公共自行車擴站】${BIKE[2]}`,
  '【道路施工】中華路二段下週一起夜間封閉兩線車道，進行自來水管汰換工程，預計施工兩週，用路人請改道行駛。',
  '【藝文活動】新竹市美術館本週六起推出青年藝術家聯展，展出30位在地創作者的繪畫與裝置作品，免費入場。',
  '【天氣】氣象局預報，明天東北季風增強，新竹沿海陣風可達8級，外出請注意保暖並留意強風。',
];

/** A daily report from a template: each day changes the figures, the rest is the same. */
function reservoirReport(day: number, rate: string, drop: string, station: string): string {
  return [
    `（本報記者林志明台中${day}日電）水利署今天公布最新水情，德基水庫蓄水率為${rate}%，較昨天下降${drop}個百分點，中部地區供水仍維持黃燈減壓供水。`,
    `水利署表示，今年梅雨季降雨偏少，颱風也未帶來有效雨量，各水庫進帳有限，目前已請農田水利署配合停灌，並持續在${station}等地區實施夜間減壓供水。`,
    '水利署呼籲民眾節約用水，洗衣、洗碗時盡量集中處理，並多利用回收水澆灌植栽；工業用戶則應配合自主節水計畫，維持用水效率。',
    '若未來一週仍無明顯降雨，不排除提高限水燈號，屆時將提前公告並透過簡訊通知受影響的用戶。',
  ].join('\n');
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2021-03-15T08:00:00Z');

interface Doc {
  title: string;
  body: string;
  date?: number;
}

function run(docs: Doc[], options?: NearDuplicateOptions): Int32Array {
  return findNearDuplicates(
    docs.map((d) => analyzeText(d.body, false).codePoints),
    docs.map((d) => analyzeText(d.title, false).codePoints),
    Float64Array.from(docs.map((d) => d.date ?? 0)),
    options,
  );
}

function jaccard(a: Doc, b: Doc): number {
  const cp = (s: string) => analyzeText(s, false).codePoints;
  return shingleJaccard(cp(a.body), cp(a.title), cp(b.body), cp(b.title));
}

/** Groups as sorted lists of document numbers, for readable assertions. */
function groups(rep: Int32Array): number[][] {
  const by = new Map<number, number[]>();
  rep.forEach((r, d) => {
    if (r >= 0) by.set(r, [...(by.get(r) ?? []), d]);
  });
  return [...by.values()].sort((a, b) => a[0] - b[0]);
}

const bike: Doc = { title: BIKE_TITLE, body: BIKE.join('\n'), date: T0 };

test('identical bodies with different titles (a revised title) are grouped', () => {
  const revised: Doc = {
    title: '新竹公共自行車擴站 明年增120站並導入電動車',
    body: bike.body,
    date: T0 + 2 * HOUR,
  };
  const rep = run([bike, revised]);
  assert.deepEqual([...rep], [0, 0]);
  assert.equal(jaccard(bike, revised), 1);
});

test('the same article with a sentence changed, or a photo caption added, is grouped', () => {
  const changed = [...BIKE];
  changed[5] =
    '市府也將在熱門站點加派調度人力，上下班尖峰每15分鐘巡查一次，發現車輛不足就立即補車，避免民眾撲空。';
  const edited: Doc = { title: BIKE_TITLE, body: changed.join('\n'), date: T0 + HOUR };
  const captioned: Doc = {
    title: `${BIKE_TITLE}[影]`,
    body: `新竹市政府15日宣布公共自行車明年擴站，圖為新竹火車站前的租借站。本報記者王小明攝\n${bike.body}`,
    date: T0 + 5 * HOUR,
  };
  const j = jaccard(bike, edited);
  assert.ok(j >= 0.7 && j < 1, `Jaccard ${j}`);
  assert.deepEqual([...run([bike, edited, captioned])], [0, 0, 0]);
});

test('two different articles on the same story are not grouped', () => {
  const other: Doc = { title: BIKE_OTHER_TITLE, body: BIKE_OTHER.join('\n'), date: T0 + HOUR };
  assert.ok(jaccard(bike, other) < 0.3, `Jaccard ${jaccard(bike, other)}`);
  assert.deepEqual([...run([bike, other])], [-1, -1]);
});

test('a digest that repeats one paragraph of a long article is not its near-duplicate', () => {
  const digest: Doc = { title: DIGEST_TITLE, body: DIGEST.join('\n'), date: T0 + 20 * 60_000 };
  assert.ok(jaccard(bike, digest) < 0.2, `Jaccard ${jaccard(bike, digest)}`);
  assert.deepEqual([...run([bike, digest])], [-1, -1]);
  // …while the digest re-posted the next morning is the digest's near-duplicate.
  const again: Doc = { ...digest, date: digest.date! + 10 * HOUR };
  assert.deepEqual([...run([bike, digest, again])], [-1, 1, 1]);
});

test('empty and short bodies never collapse together', () => {
  const docs: Doc[] = [
    { title: '[政治] 立法院今三讀通過預算案', body: '' },
    { title: '[政治] 立法院今三讀通過預算案', body: '' },
    { title: '[生活] 颱風假最新消息', body: '' },
    { title: '[財經] 台股收盤', body: '台股今天收高。...more' },
    { title: '[財經] 台股收盤', body: '台股今天收高。...more' },
    { title: '速報', body: '（中央社台北15日電）詳細內容稍後更新。' },
    { title: '速報', body: '（中央社台北15日電）詳細內容稍後更新。' },
  ].map((d) => ({ ...d, date: T0 }));
  assert.deepEqual([...run(docs)], [-1, -1, -1, -1, -1, -1, -1]);
});

test('a short body is compared with its title: copies group, other stories with the same summary do not', () => {
  // 24 word characters: 20 shingles, under the 30 that a body needs to stand alone.
  const summary = '行政院今天召開記者會說明明年度中央政府總預算編列情形...more';
  const docs: Doc[] = [
    { title: '[政治] 總預算規模創新高 政院：國防社福優先', body: summary, date: T0 },
    { title: '[政治] 總預算規模創新高 政院：國防社福優先', body: summary, date: T0 + HOUR },
    { title: '[財經] 前瞻計畫特別預算 明年續編千億元', body: summary, date: T0 + HOUR },
  ];
  assert.deepEqual([...run(docs)], [0, 0, -1]);
});

test('a daily report from a template is not a near-duplicate of the previous day', () => {
  const day1: Doc = {
    title: '德基水庫蓄水率跌破兩成 中部續減壓供水',
    body: reservoirReport(15, '19.8', '0.3', '台中市'),
    date: T0,
  };
  const day2: Doc = {
    title: '德基水庫蓄水率再降 中部限水恐升級',
    body: reservoirReport(16, '19.4', '0.4', '彰化縣'),
    date: T0 + DAY,
  };
  const j = jaccard(day1, day2);
  assert.ok(
    j >= 0.7 && j < 0.9,
    `a templated pair should sit between the thresholds, Jaccard ${j}`,
  );
  assert.deepEqual([...run([day1, day2])], [-1, -1]);
  // The same two texts published a few hours apart are one story.
  assert.deepEqual([...run([day1, { ...day2, date: T0 + 3 * HOUR }])], [0, 0]);
  // An identical copy is grouped however late it comes (and whatever the dates).
  const copy: Doc = { title: day1.title, body: day1.body, date: T0 + 3 * DAY };
  assert.deepEqual([...run([day1, day2, copy])], [0, -1, 0]);
  assert.deepEqual(
    [
      ...run([
        { ...day1, date: 0 },
        { ...copy, date: 0 },
      ]),
    ],
    [0, 0],
  );
});

test('Traditional and Simplified copies of one article are grouped', () => {
  const simplified: Doc = {
    title: normalize(BIKE_TITLE),
    body: normalize(bike.body),
    date: T0 + HOUR,
  };
  assert.notEqual(simplified.body, bike.body);
  assert.deepEqual([...run([bike, simplified])], [0, 0]);
});

test('the representative is the earliest-dated member, the lowest number on ties, unknown dates last', () => {
  const copy = (date: number): Doc => ({ title: BIKE_TITLE, body: bike.body, date });
  assert.deepEqual(
    [...run([copy(T0 + 3 * HOUR), copy(T0 + HOUR), copy(T0 + 2 * HOUR)])],
    [1, 1, 1],
  );
  assert.deepEqual([...run([copy(T0 + HOUR), copy(T0), copy(T0)])], [1, 1, 1]);
  assert.deepEqual([...run([copy(0), copy(T0 + HOUR), copy(0)])], [1, 1, 1]);
});

/** Filler text from a seeded generator: distinct documents that share no passage. */
function filler(seed: number, length: number): string {
  const chars =
    '的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做必戰先回則任取據處隊南給色光門即保治北造百規熱領七海口東導器壓志世金增爭濟階油思術極交受聯什認六共權收證改清己美再採轉更單風切打白教速花帶安場身車例真務具萬每目至達走積示議聲報鬥完類八離華名確才科張信馬節話米整空元況今集溫傳土許步群廣石記需段研界拉林律叫且究觀越織裝影算低持音眾書布复容兒須際商非驗連斷深難近礦千週委素技備半辦青省列習響約支般史感勞便團往酸歷市克何除消構府稱太準精值號率族維劃選標寫存候毛親快效斯院查江型眼王按格養易置派層片始卻專狀育廠京識適屬圓包火住調滿縣局照參紅細引聽該鐵價嚴';
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += chars[(x >>> 8) % chars.length];
    if (i % 40 === 39) out += '。';
  }
  return out;
}

test('groups are deterministic across runs and independent of input order', () => {
  const docs: Doc[] = [];
  for (let k = 0; k < 60; k++) {
    // Distinct articles, every fifth one re-posted with a caption; plus the bike story, a copy and the digest.
    const body = filler(k, 400);
    docs.push({ title: `測試新聞 第${k}號`, body, date: T0 + k * HOUR });
    if (k % 5 === 0)
      docs.push({
        title: `測試新聞 第${k}號[影]`,
        body: `資料照片。\n${body}`,
        date: T0 + k * HOUR + 2 * HOUR,
      });
  }
  docs.push(
    bike,
    { ...bike, title: '新竹公共自行車擴站', date: T0 + HOUR },
    { title: DIGEST_TITLE, body: DIGEST.join('\n'), date: T0 },
  );
  const first = run(docs);
  assert.deepEqual([...run(docs)], [...first]);

  const found = groups(first);
  assert.equal(found.length, 13); // 12 re-posted articles + the bike story
  for (const g of found) assert.equal(g.length, 2);

  // Reversed input: the same groups, renumbered.
  const n = docs.length;
  const reversed = run([...docs].reverse());
  const back = Int32Array.from({ length: n }, (_, d) =>
    reversed[n - 1 - d] < 0 ? -1 : n - 1 - reversed[n - 1 - d],
  );
  assert.deepEqual([...back], [...first]);
});

test('options are checked', () => {
  assert.throws(() => run([bike], { threshold: 0 }), RangeError);
  assert.throws(() => run([bike], { threshold: 1.5 }), RangeError);
  assert.throws(() => run([bike], { windowHours: -1 }), RangeError);
  assert.throws(() => findNearDuplicates([new Int32Array(0)], [], new Float64Array(1)), RangeError);
  assert.deepEqual([...run([])], []);
});
