// @ts-check
// The search page. Plain DOM, no framework, no build step.
// Everything that comes from the index is put on the page as text (textContent, Element.append of
// strings) — the one exception being the highlighted title and snippet, which are rebuilt from
// the server's HTML with a strict rule: only <mark> and </mark> become elements, everything else
// stays text. Features the API lacks (suggestions, facets, script conversion) simply stay hidden.

// Types of the API's answers come from its schemas (src/api.ts); type-checked, never bundled.
/** @typedef {import('../api.js').SearchResult} SearchResult */
/** @typedef {import('../api.js').Hit} Hit */
/** @typedef {import('../api.js').FacetValue} FacetValue */
/** @typedef {'source' | 'tag'} FacetKey */
/**
 * What the page shows; the URL holds it (readState, toSearch). Empty strings: not set.
 * @typedef {object} State
 * @property {string} q
 * @property {number} page
 * @property {number} size
 * @property {string} source
 * @property {string} tag
 * @property {string} from
 * @property {string} to
 * @property {'relevance' | 'date'} sort
 * @property {'' | 'hant' | 'hans'} script
 */
/** @typedef {Node | string | null | undefined | false} Child */

const SVG_NS = 'http://www.w3.org/2000/svg';
const DEFAULT_SIZE = 10;
const FACETS = 'source,tag,month';
const SUGGEST_DELAY_MS = 150;
const FACET_LIMIT = 8;

// ---------------------------------------------------------------------------------------------
// UI text in both scripts: the interface follows the 繁/简 toggle.

const HANT = {
  title: '新聞搜尋',
  label: '搜尋新聞',
  placeholder: '例如：數位身分證',
  button: '搜尋',
  hint: '輸入時會出現建議，用上下鍵選擇，按 Enter 搜尋。',
  suggestions: '搜尋建議',
  scriptLegend: '結果的顯示文字',
  original: '原文',
  introTitle: '在兩岸三地的新聞裡找答案',
  introText:
    '繁體與簡體互通：搜尋「數位身分證」或「数位身分证」都會找到同一批文章，每個符合的字詞都會標示出來。',
  examples: '試試看：',
  /** @param {number} n */
  collection: (n) => `目前收錄 ${n.toLocaleString('zh-TW')} 篇文章`,
  sort: '排序',
  relevance: '相關度',
  byDate: '日期（新到舊）',
  filters: '篩選',
  source: '來源',
  tag: '標籤',
  dateRange: '日期範圍',
  from: '從',
  to: '到',
  apply: '套用',
  timeline: '每月文章數',
  timelineHint: '點選長條只看該月',
  allTime: '顯示全部期間',
  pages: '分頁',
  prev: '上一頁',
  next: '下一頁',
  footer: '全文搜尋，繁簡互通。資料以 JSON 提供：',
  /** @param {number} n */
  results: (n) => `${n.toLocaleString('zh-TW')} 筆結果`,
  /** @param {string} ms */
  took: (ms) => `（${ms} 毫秒）`,
  /** @param {number} p @param {number} n */
  pageOf: (p, n) => `第 ${p} 頁，共 ${n} 頁`,
  /** @param {number} n */
  page: (n) => `第 ${n} 頁`,
  /** @param {number} n */
  articles: (n) => `${n} 篇`,
  /** @param {string} y @param {number} m */
  monthLabel: (y, m) => `${y} 年 ${m} 月`,
  /** @param {string} q */
  noResults: (q) => `找不到符合「${q}」的文章。`,
  noResultsHint: '試試較短或較常見的詞；繁體、簡體都可以。',
  noResultsFiltered: '也可以移除篩選條件再試一次。',
  pageEmpty: '這一頁沒有結果。',
  backToFirst: '回到第 1 頁',
  clearAll: '清除全部篩選',
  /** @param {string} what */
  remove: (what) => `移除篩選：${what}`,
  /** @param {string} a @param {string} b */
  range: (a, b) => `${a || '…'} 至 ${b || '…'}`,
  failed: '搜尋失敗：',
  offline: '無法連線到搜尋服務，請稍後再試。',
  loadingIndex: '搜尋服務正在載入索引，稍候會自動重試…',
  newTab: '（在新分頁開啟）',
  /** @param {number} n */
  more: (n) => `再顯示 ${n} 項`,
  less: '收起',
  selected: '（已選取）',
};

/** @type {typeof HANT} */
const HANS = {
  title: '新闻搜索',
  label: '搜索新闻',
  placeholder: '例如：数字身份证',
  button: '搜索',
  hint: '输入时会出现建议，用上下键选择，按 Enter 搜索。',
  suggestions: '搜索建议',
  scriptLegend: '结果的显示文字',
  original: '原文',
  introTitle: '在两岸三地的新闻里找答案',
  introText: '繁简互通：搜索“数位身分证”或“數位身分證”都会找到同一批文章，每个匹配的词都会标出来。',
  examples: '试试看：',
  collection: (n) => `目前收录 ${n.toLocaleString('zh-CN')} 篇文章`,
  sort: '排序',
  relevance: '相关度',
  byDate: '日期（新到旧）',
  filters: '筛选',
  source: '来源',
  tag: '标签',
  dateRange: '日期范围',
  from: '从',
  to: '到',
  apply: '应用',
  timeline: '每月文章数',
  timelineHint: '点击柱形只看该月',
  allTime: '显示全部时间',
  pages: '分页',
  prev: '上一页',
  next: '下一页',
  footer: '全文搜索，繁简互通。数据以 JSON 提供：',
  results: (n) => `${n.toLocaleString('zh-CN')} 条结果`,
  took: (ms) => `（${ms} 毫秒）`,
  pageOf: (p, n) => `第 ${p} 页，共 ${n} 页`,
  page: (n) => `第 ${n} 页`,
  articles: (n) => `${n} 篇`,
  monthLabel: (y, m) => `${y} 年 ${m} 月`,
  noResults: (q) => `找不到与“${q}”匹配的文章。`,
  noResultsHint: '试试更短或更常见的词；简体、繁体都可以。',
  noResultsFiltered: '也可以移除筛选条件再试一次。',
  pageEmpty: '这一页没有结果。',
  backToFirst: '回到第 1 页',
  clearAll: '清除全部筛选',
  remove: (what) => `移除筛选：${what}`,
  range: (a, b) => `${a || '…'} 至 ${b || '…'}`,
  failed: '搜索失败：',
  offline: '无法连接到搜索服务，请稍后再试。',
  loadingIndex: '搜索服务正在加载索引，稍候会自动重试…',
  newTab: '（在新标签页打开）',
  more: (n) => `再显示 ${n} 项`,
  less: '收起',
  selected: '（已选中）',
};

const TEXT = { hant: HANT, hans: HANS };

// ---------------------------------------------------------------------------------------------
// Small DOM helpers.

/**
 * The element with this id, checked to be of `type` (index.html holds every id used here).
 * @template {Element} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html lacks the element #${id}`);
  return el;
}

/** @param {string} id */
const $ = (id) => byId(id, HTMLElement);

/**
 * An element with attributes and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, unknown>} attrs  `class`, `text`, `on<event>` handlers, or attributes
 * @param {...(Child | Child[])} children
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on'))
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(
    ...children
      .flat()
      .filter(
        /** @returns {c is Node | string} */ (c) => c !== undefined && c !== null && c !== false,
      ),
  );
  return el;
}

/**
 * @param {string} tag
 * @param {Record<string, unknown>} attrs
 * @param {...(Node | string)} children
 */
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  el.append(...children);
  return el;
}

/** @type {Record<string, string>} */
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/**
 * Decodes the character references an HTML escaper produces; anything else is left as it is.
 * @param {string} s
 */
function decodeEntities(s) {
  return s.replace(
    /&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g,
    (whole, /** @type {string} */ ref) => {
      if (ref[0] === '#') {
        const cp =
          ref[1] === 'x' || ref[1] === 'X'
            ? parseInt(ref.slice(2), 16)
            : parseInt(ref.slice(1), 10);
        return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)
          ? String.fromCodePoint(cp)
          : whole;
      }
      return Object.hasOwn(ENTITIES, ref.toLowerCase()) ? ENTITIES[ref.toLowerCase()] : whole;
    },
  );
}

/**
 * Appends `html` (the server's escaped text with <mark> highlights) to `parent` as nodes.
 * The rule is strict: exactly `<mark>` opens a <mark> element and `</mark>` closes it; every
 * other character, tag-like or not, is text. Nothing is ever parsed as HTML.
 * @template {Element} T
 * @param {T} parent
 * @param {string} html
 * @returns {T}
 */
export function appendMarked(parent, html) {
  const re = /<(\/?)mark>/g;
  /** @type {Element} */
  let target = parent;
  let last = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    const text = decodeEntities(html.slice(last, m.index));
    if (text) target.append(text);
    if (m[1] === '') {
      if (target === parent) target = parent.appendChild(document.createElement('mark'));
    } else {
      target = parent;
    }
    last = re.lastIndex;
  }
  const tail = decodeEntities(html.slice(last));
  if (tail) target.append(tail);
  return parent;
}

/**
 * An http(s) URL as a string, or null for anything else (javascript:, data:, garbage).
 * @param {unknown} value
 */
function safeUrl(value) {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : '');
/** @param {string} s */
const isDay = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s + 'T00:00:00Z'));

/** @param {unknown} ms */
function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 1 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : String(Math.round(ms));
}

/** @param {string} month `YYYY-MM` */
function monthBounds(month) {
  const [y, m] = month.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` };
}

// ---------------------------------------------------------------------------------------------
// The API's limits (page × size, hits per page, query length), read from its own description:
// /openapi.json is generated from the schemas the server checks requests with (src/api.ts).
// Unreadable, the page sends what it is given and shows the server's error.

const LIMITS = await fetch('/openapi.json')
  .then((res) => (res.ok ? res.json() : null))
  .then((api) => api?.['x-limits'] ?? null)
  .catch(() => null)
  .then((limits) => ({
    maxWindow: limits?.maxWindow ?? Infinity,
    maxSize: limits?.maxSize ?? Infinity,
    maxQueryLength: limits?.maxQueryLength ?? Infinity,
  }));

// ---------------------------------------------------------------------------------------------
// State ⇄ URL. The URL is the state: anything on screen can be shared and reloaded.

/** @type {('source' | 'tag' | 'from' | 'to')[]} */
const FILTER_KEYS = ['source', 'tag', 'from', 'to'];

/**
 * @param {string} search
 * @returns {State}
 */
function readState(search) {
  const p = new URLSearchParams(search);
  /** @type {(v: string | null, min: number, max: number, fallback: number) => number} */
  const int = (v, min, max, fallback) =>
    v !== null && /^\d+$/.test(v) && +v >= min && +v <= max ? +v : fallback;
  const day = (/** @type {string} */ key) => {
    const v = p.get(key) ?? '';
    return isDay(v) ? v : '';
  };
  const script = p.get('script');
  const size = int(p.get('size'), 1, LIMITS.maxSize, DEFAULT_SIZE);
  return {
    q: [...(p.get('q') ?? '').trim()].slice(0, LIMITS.maxQueryLength).join(''),
    page: int(p.get('page'), 1, Math.floor(LIMITS.maxWindow / size), 1),
    size,
    source: p.get('source') ?? '',
    tag: p.get('tag') ?? '',
    from: day('from'),
    to: day('to'),
    sort: p.get('sort') === 'date' ? 'date' : 'relevance',
    script: script === 'hant' || script === 'hans' ? script : '',
  };
}

/**
 * The page's own query string: only what differs from the defaults, in a stable order.
 * @param {State} s
 */
function toSearch(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.page > 1) p.set('page', String(s.page));
  if (s.size !== DEFAULT_SIZE) p.set('size', String(s.size));
  for (const key of FILTER_KEYS) if (s[key]) p.set(key, s[key]);
  if (s.sort === 'date') p.set('sort', 'date');
  if (s.script) p.set('script', s.script);
  const qs = p.toString();
  return qs ? '?' + qs : '';
}

/** @param {Partial<State>} patch */
function hrefFor(patch) {
  return '/' + toSearch(nextState(patch));
}

/**
 * A change resets to page 1 unless it sets the page itself.
 * @param {Partial<State>} patch
 * @returns {State}
 */
function nextState(patch) {
  const next = { ...state, ...patch };
  if (!('page' in patch)) next.page = 1;
  return next;
}

let state = readState(location.search);

/**
 * @param {Partial<State>} patch
 * @param {{ focusResults?: boolean }} [options]
 */
function navigate(patch, { focusResults = false } = {}) {
  state = nextState(patch);
  const url = '/' + toSearch(state);
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
  return run({ focusResults });
}

window.addEventListener('popstate', () => {
  state = readState(location.search);
  void run({});
});

// Internal links (pager, facets, timeline bars, examples) carry data-nav: follow them in place.
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-nav]') : null;
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = link.getAttribute('href');
  if (!href) return;
  event.preventDefault();
  const url = new URL(href, location.href);
  void navigate(readState(url.search), { focusResults: link.hasAttribute('data-focus-results') });
});

// ---------------------------------------------------------------------------------------------
// Interface language.

/** @type {'hant' | 'hans'} */
let lang = 'hant';
const t = () => TEXT[lang];

/** @param {string | undefined} key */
const uiText = (key) => {
  const v = key && Object.hasOwn(HANT, key) ? t()[/** @type {keyof typeof HANT} */ (key)] : null;
  return typeof v === 'string' ? v : null;
};

function applyLanguage() {
  lang = state.script === 'hans' ? 'hans' : 'hant';
  document.documentElement.lang = lang === 'hans' ? 'zh-Hans' : 'zh-Hant';
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const v = uiText(/** @type {HTMLElement} */ (el).dataset.i18n);
    if (v !== null) el.textContent = v;
  }
  for (const el of document.querySelectorAll('input[data-i18n-placeholder]')) {
    const input = /** @type {HTMLInputElement} */ (el);
    input.placeholder = uiText(input.dataset.i18nPlaceholder) ?? '';
  }
  for (const el of document.querySelectorAll('[data-i18n-label]'))
    el.setAttribute('aria-label', uiText(/** @type {HTMLElement} */ (el).dataset.i18nLabel) ?? '');
}

// ---------------------------------------------------------------------------------------------
// Search.

const input = byId('q', HTMLInputElement);
if (Number.isFinite(LIMITS.maxQueryLength)) input.maxLength = LIMITS.maxQueryLength;

/** The 原文/繁/简 radio buttons. */
const scriptRadios = () =>
  /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input[name="script"]'));
const els = {
  intro: $('intro'),
  area: $('results-area'),
  summary: $('summary'),
  resultsTitle: $('results-title'),
  sort: byId('sort', HTMLSelectElement),
  active: $('active-filters'),
  filters: $('filters'),
  details: byId('filters-details', HTMLDetailsElement),
  hits: byId('hits', HTMLOListElement),
  pager: $('pager'),
  message: $('message'),
  timeline: $('timeline'),
  chart: $('timeline-chart'),
  dateFrom: byId('date-from', HTMLInputElement),
  dateTo: byId('date-to', HTMLInputElement),
};

/** @type {AbortController | null} */
let searchController = null;
let runSeq = 0;
/** @type {FacetValue[] | null} */
let lastMonths = null;
let facetsSupported = false;

/** @param {'idle' | 'loading' | 'ready' | 'error'} phase  for styles and tests (data-state) */
function setPhase(phase) {
  document.body.dataset.state = phase;
  if (phase !== 'loading') document.body.dataset.rendered = String(runSeq);
}

/**
 * @param {State} s
 * @param {Record<string, string>} [extra]
 */
function requestParams(s, extra = {}) {
  const p = new URLSearchParams({ q: s.q, page: String(s.page), size: String(s.size) });
  for (const key of FILTER_KEYS) if (s[key]) p.set(key, s[key]);
  if (s.sort === 'date') p.set('sort', 'date');
  if (s.script) p.set('script', s.script);
  p.set('facets', FACETS);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

/**
 * An answer of the API; `body` is null when it was not JSON.
 * @template T
 * @typedef {{ ok: boolean; status: number; body: T | null }} Answer
 */
/**
 * What /search answers: results, or an error. The page checks before it trusts either.
 * @typedef {Partial<SearchResult> & { error?: { code?: string; message?: string } }} SearchAnswer
 */

/**
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<Answer<unknown>>}
 */
async function fetchJson(url, signal) {
  const res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  /** @type {unknown} */
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { ok: res.ok, status: res.status, body };
}

/**
 * @param {URLSearchParams} params
 * @param {AbortSignal} signal
 */
const fetchSearch = async (params, signal) =>
  /** @type {Answer<SearchAnswer>} */ (await fetchJson('/search?' + params, signal));

/**
 * Search and render the current state. Never rejects: failures are shown on the page.
 * @param {{ focusResults?: boolean }} options
 */
async function run({ focusResults = false }) {
  const seq = ++runSeq;
  const s = state;
  applyLanguage();
  syncControls(s);
  closeSuggestions();
  searchController?.abort();

  if (!s.q) {
    searchController = null;
    els.intro.hidden = false;
    els.area.hidden = true;
    document.title = t().title;
    void showCollectionSize();
    setPhase('idle');
    return;
  }
  els.intro.hidden = true;
  els.area.hidden = false;
  document.title = `${s.q} – ${t().title}`;
  const controller = (searchController = new AbortController());
  setPhase('loading');
  const slow = window.setTimeout(() => els.area.classList.add('loading'), 120);
  els.area.setAttribute('aria-busy', 'true');

  // With a date filter on, the timeline still shows the whole span (one extra, one-hit request),
  // so a bar click narrows and another bar click moves, instead of collapsing to one bar.
  const needContext = Boolean(s.from || s.to);
  try {
    const [main, context] = await Promise.all([
      fetchSearch(requestParams(s), controller.signal),
      needContext
        ? fetchSearch(
            requestParams({ ...s, from: '', to: '', page: 1 }, { size: '1', facets: 'month' }),
            controller.signal,
          ).catch(() => null)
        : Promise.resolve(null),
    ]);
    if (seq !== runSeq) return;
    if (main.status === 503) {
      // The service is still loading (or building) its index: say so and try again shortly.
      renderError(t().loadingIndex, { alert: false });
      window.setTimeout(() => {
        if (seq === runSeq) void run({});
      }, 2000);
      return;
    }
    if (!main.ok || !main.body || !Array.isArray(main.body.hits)) {
      const msg = main.body?.error?.message ?? `HTTP ${main.status}`;
      renderError(t().failed + msg);
      return;
    }
    const months = context?.ok ? context.body?.facets?.month : undefined;
    render(s, /** @type {SearchResult} */ (main.body), Array.isArray(months) ? months : undefined);
    if (focusResults) {
      els.resultsTitle.focus({ preventScroll: true });
      window.scrollTo({ top: 0 });
    }
  } catch (err) {
    if (seq !== runSeq || (err instanceof DOMException && err.name === 'AbortError')) return;
    renderError(t().offline);
  } finally {
    clearTimeout(slow);
    if (seq === runSeq) {
      els.area.classList.remove('loading');
      els.area.removeAttribute('aria-busy');
    }
  }
}

/** "17 articles indexed" under the intro, from /health (once). */
/** @type {Promise<number> | null} */
let collectionSize = null;
async function showCollectionSize() {
  const el = $('collection');
  if (collectionSize === null) {
    collectionSize = fetchJson('/health').then(
      (r) => {
        const n = /** @type {{ documents?: unknown } | null} */ (r.body)?.documents;
        return r.ok && typeof n === 'number' && Number.isFinite(n) ? n : 0;
      },
      () => 0,
    );
  }
  const n = await collectionSize;
  el.textContent = n > 0 ? t().collection(n) : '';
  el.hidden = !(n > 0);
}

/** @param {State} s */
function syncControls(s) {
  if (document.activeElement !== input || input.value.trim() !== s.q) input.value = s.q;
  for (const radio of scriptRadios()) radio.checked = radio.value === s.script;
  els.sort.value = s.sort;
  els.dateFrom.value = s.from;
  els.dateTo.value = s.to;
}

/**
 * @param {string} text
 * @param {{ alert?: boolean }} [options]
 */
function renderError(text, { alert = true } = {}) {
  els.summary.textContent = '';
  els.hits.replaceChildren();
  els.pager.hidden = true;
  els.timeline.hidden = true;
  els.message.hidden = false;
  if (alert) els.message.setAttribute('role', 'alert');
  else els.message.removeAttribute('role');
  els.message.replaceChildren(h('p', { text }));
  setPhase('error');
}

/**
 * @param {State} s
 * @param {SearchResult} data
 * @param {FacetValue[] | undefined} contextMonths  the timeline's months without the date filter
 */
function render(s, data, contextMonths) {
  const T = t();
  const total = Number.isFinite(data.total) ? data.total : data.hits.length;
  const took = formatMs(data.took_ms);
  const pages = Math.max(1, Math.ceil(Math.min(total, LIMITS.maxWindow) / s.size));
  const summary = [T.results(total), took ? T.took(took) : ''];
  if (pages > 1) summary.push(' · ' + T.pageOf(s.page, pages));
  els.summary.textContent = summary.join('');

  const facets = data.facets && typeof data.facets === 'object' ? data.facets : null;
  facetsSupported = Boolean(facets);

  // Results.
  els.hits.setAttribute(
    'lang',
    s.script === 'hans' ? 'zh-Hans' : s.script === 'hant' ? 'zh-Hant' : 'zh',
  );
  els.hits.start = (s.page - 1) * s.size + 1;
  els.hits.replaceChildren(...data.hits.map((hit) => renderHit(hit)));

  // Message for empty results.
  els.message.removeAttribute('role');
  if (data.hits.length === 0) {
    els.message.hidden = false;
    const filtered = Boolean(s.source || s.tag || s.from || s.to);
    if (total > 0) {
      els.message.replaceChildren(
        h(
          'p',
          {},
          T.pageEmpty + ' ',
          h('a', { href: hrefFor({ page: 1 }), 'data-nav': true }, T.backToFirst),
        ),
      );
    } else {
      els.message.replaceChildren(
        h('p', { class: 'message-title', text: T.noResults(s.q) }),
        h('p', { text: T.noResultsHint + (filtered ? ' ' + T.noResultsFiltered : '') }),
      );
    }
  } else {
    els.message.hidden = true;
    els.message.replaceChildren();
  }

  renderPager(s, pages);
  renderActiveFilters(s);

  // Facets: only when the API sends them.
  els.filters.hidden = !facets;
  if (facets) {
    renderFacet('source', facets.source, s.source);
    renderFacet('tag', facets.tag, s.tag);
  }
  lastMonths = Array.isArray(contextMonths)
    ? contextMonths
    : Array.isArray(facets?.month)
      ? facets.month
      : null;
  renderTimeline(s);
  setPhase('ready');
}

/** @param {Hit} hit */
function renderHit(hit) {
  const T = t();
  const url = safeUrl(hit.url);
  const title = h('h3', { class: 'hit-title' });
  const titleHtml = typeof hit.title_html === 'string' ? hit.title_html : null;
  const titleBox = url
    ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' })
    : h('span');
  if (titleHtml !== null) appendMarked(titleBox, titleHtml);
  else titleBox.textContent = str(hit.title) || str(hit.id);
  if (url) titleBox.append(h('span', { class: 'visually-hidden', text: T.newTab }));
  title.append(titleBox);

  const meta = h('p', { class: 'hit-meta' });
  const source = str(hit.source);
  if (source) meta.append(h('span', { class: 'hit-source', text: source }));
  const day = str(hit.date).slice(0, 10);
  if (isDay(day)) meta.append(h('time', { class: 'hit-date', datetime: day, text: day }));
  if (url) meta.append(h('span', { class: 'hit-host', text: new URL(url).host }));

  const snippet = h('p', { class: 'hit-snippet' });
  appendMarked(snippet, str(hit.snippet));

  const tags = Array.isArray(hit.tags)
    ? hit.tags.filter((x) => typeof x === 'string' && x && x !== source)
    : [];
  const tagList = tags.length
    ? h(
        'ul',
        { class: 'hit-tags', 'aria-label': T.tag },
        tags.slice(0, 6).map((tag) =>
          h(
            'li',
            {},
            facetsSupported
              ? h('a', {
                  href: hrefFor({ tag }),
                  'data-nav': true,
                  'data-focus-results': true,
                  text: tag,
                })
              : h('span', { text: tag }),
          ),
        ),
      )
    : null;

  const li = h('li', { class: 'hit' }, h('article', {}, title, meta, snippet, tagList));
  li.dataset.id = str(hit.id);
  return li;
}

/**
 * @param {State} s
 * @param {number} pages
 */
function renderPager(s, pages) {
  const T = t();
  els.pager.setAttribute('aria-label', T.pages);
  if (pages <= 1 && s.page <= 1) {
    els.pager.hidden = true;
    els.pager.replaceChildren();
    return;
  }
  els.pager.hidden = false;
  const last = Math.max(pages, s.page);
  /** @type {(page: number, label: string, attrs?: Record<string, unknown>) => HTMLElement} */
  const link = (page, label, attrs = {}) =>
    h(
      'a',
      { href: hrefFor({ page }), 'data-nav': true, 'data-focus-results': true, ...attrs },
      label,
    );
  const items = [];
  items.push(
    s.page > 1
      ? link(s.page - 1, T.prev, { class: 'pager-step', rel: 'prev' })
      : h('span', { class: 'pager-step', 'aria-disabled': 'true', text: T.prev }),
  );
  const shown = new Set([1, last]);
  for (let p = s.page - 2; p <= s.page + 2; p++) if (p >= 1 && p <= last) shown.add(p);
  let prev = 0;
  for (const p of [...shown].sort((a, b) => a - b)) {
    if (p - prev > 1)
      items.push(h('span', { class: 'pager-gap', 'aria-hidden': 'true', text: '…' }));
    const near = Math.abs(p - s.page) <= 1 || p === 1 || p === last;
    const cls = 'pager-num' + (near ? '' : ' pager-far');
    items.push(
      p === s.page
        ? h('a', {
            class: cls,
            href: hrefFor({ page: p }),
            'aria-current': 'page',
            'aria-label': T.page(p),
            'data-nav': true,
            text: String(p),
          })
        : link(p, String(p), { class: cls, 'aria-label': T.page(p) }),
    );
    prev = p;
  }
  items.push(
    s.page < last && s.page < pages
      ? link(s.page + 1, T.next, { class: 'pager-step', rel: 'next' })
      : h('span', { class: 'pager-step', 'aria-disabled': 'true', text: T.next }),
  );
  els.pager.replaceChildren(...items);
}

/** @param {State} s */
function renderActiveFilters(s) {
  const T = t();
  /** @type {HTMLElement[]} */
  const chips = [];
  /** @type {(label: string, value: string, patch: Partial<State>) => HTMLElement} */
  const chip = (label, value, patch) =>
    h(
      'a',
      {
        class: 'chip',
        href: hrefFor(patch),
        'data-nav': true,
        'aria-label': T.remove(`${label} ${value}`),
      },
      h('span', { class: 'chip-label', text: label }),
      h('span', { class: 'chip-value', text: value }),
      h('span', { class: 'chip-x', 'aria-hidden': 'true', text: '×' }),
    );
  if (s.source) chips.push(chip(T.source, s.source, { source: '' }));
  if (s.tag) chips.push(chip(T.tag, s.tag, { tag: '' }));
  if (s.from || s.to) chips.push(chip(T.dateRange, T.range(s.from, s.to), { from: '', to: '' }));
  if (chips.length > 1)
    chips.push(
      h('a', {
        class: 'chip-clear',
        href: hrefFor({ source: '', tag: '', from: '', to: '' }),
        'data-nav': true,
        text: T.clearAll,
      }),
    );
  els.active.hidden = chips.length === 0;
  els.active.replaceChildren(...chips);
}

/** @type {Record<FacetKey, boolean>} */
const expanded = { source: false, tag: false };

/**
 * @param {FacetKey} key
 * @param {FacetValue[] | undefined} values
 * @param {string} current  the value filtered on, or ''
 */
function renderFacet(key, values, current) {
  const T = t();
  const box = $(`facet-${key}-box`);
  const list = $(`facet-${key}`);
  const rows = Array.isArray(values)
    ? values.filter((v) => v && typeof v.value === 'string' && v.value && Number.isFinite(v.count))
    : [];
  if (current && !rows.some((v) => v.value === current)) rows.unshift({ value: current, count: 0 });
  box.hidden = rows.length === 0;
  const visible = expanded[key] ? rows : rows.slice(0, FACET_LIMIT);
  // The selected value always shows, even when it is beyond the fold.
  const chosen = current ? rows.find((v) => v.value === current) : undefined;
  if (chosen && !visible.includes(chosen)) visible.push(chosen);
  const items = visible.map((v) => {
    const active = v.value === current;
    return h(
      'li',
      {},
      h(
        'a',
        {
          class: 'facet-link',
          href: hrefFor({ [key]: active ? '' : v.value }),
          'data-nav': true,
          'data-focus-results': true,
          'aria-current': active ? 'true' : undefined,
        },
        h('span', { class: 'facet-name', text: v.value }),
        active ? h('span', { class: 'visually-hidden', text: T.selected }) : null,
        h('span', { class: 'facet-count', text: String(v.count) }),
      ),
    );
  });
  if (rows.length > FACET_LIMIT) {
    items.push(
      h(
        'li',
        {},
        h('button', {
          type: 'button',
          class: 'link-button',
          'aria-expanded': String(expanded[key]),
          onclick: () => {
            expanded[key] = !expanded[key];
            renderFacet(key, values, current);
            list.querySelector('button')?.focus();
          },
          text: expanded[key] ? T.less : T.more(rows.length - FACET_LIMIT),
        }),
      ),
    );
  }
  list.replaceChildren(...items);
}

// ---------------------------------------------------------------------------------------------
// Timeline: articles per month as an inline SVG bar chart. A bar is a link to that month.

/**
 * Every month from the first to the last, those without articles at 0.
 * @param {FacetValue[]} months
 */
function fillMonths(months) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const m of months)
    if (m && /^\d{4}-\d{2}$/.test(m.value) && Number.isFinite(m.count))
      counts.set(m.value, m.count);
  const keys = [...counts.keys()].sort();
  if (keys.length === 0) return [];
  let [y, m] = keys[0].split('-').map(Number);
  const [ly, lm] = keys[keys.length - 1].split('-').map(Number);
  /** @type {FacetValue[]} */
  const out = [];
  while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    out.push({ value: key, count: counts.get(key) ?? 0 });
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/** @param {State} s */
function renderTimeline(s) {
  const T = t();
  const months = lastMonths ? fillMonths(lastMonths) : [];
  els.timeline.hidden = months.length === 0;
  if (months.length === 0) {
    els.chart.replaceChildren();
    return;
  }
  const width = Math.max(260, Math.round(els.chart.clientWidth || 600));
  const height = 140;
  const top = 18;
  const bottom = 36; // two label rows: months, then years
  const plot = height - top - bottom;
  const slot = width / months.length;
  const barWidth = Math.max(1, Math.min(48, slot * 0.72));
  const max = Math.max(1, ...months.map((m) => m.count));
  const activeMonth = months.find((m) => {
    const b = monthBounds(m.value);
    return s.from === b.from && s.to === b.to;
  })?.value;
  const monthWords = slot >= 32; // "10月" when there is room, "10" otherwise
  const labelEvery = Math.max(1, Math.ceil((monthWords ? 32 : 20) / slot));
  const showCounts = slot >= 22;

  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'timeline-svg',
    role: 'group',
    'aria-labelledby': 'timeline-title',
  });
  chart.append(
    svg('line', { x1: 0, x2: width, y1: top + plot + 0.5, y2: top + plot + 0.5, class: 'axis' }),
  );
  months.forEach((m, i) => {
    const x = i * slot + (slot - barWidth) / 2;
    const barHeight = m.count === 0 ? 0 : Math.max(2, Math.round((m.count / max) * plot));
    const [y, mo] = m.value.split('-');
    const label = `${T.monthLabel(y, Number(mo))}：${T.articles(m.count)}`;
    const group =
      m.count > 0
        ? svg('a', {
            href: hrefFor(monthBounds(m.value)),
            'data-nav': true,
            'data-focus-results': true,
            class: 'tl-bar' + (m.value === activeMonth ? ' active' : ''),
            'aria-label': label,
            'aria-current': m.value === activeMonth ? 'true' : undefined,
          })
        : svg('g', { class: 'tl-bar empty' });
    group.append(
      svg('title', {}, label),
      svg('rect', { class: 'hit-area', x: i * slot, y: 0, width: slot, height: top + plot }),
      svg('rect', {
        class: 'bar',
        x,
        y: top + plot - barHeight,
        width: barWidth,
        height: barHeight,
        rx: Math.min(3, barWidth / 3),
      }),
    );
    if (showCounts && m.count > 0) {
      group.append(
        svg(
          'text',
          {
            class: 'count',
            x: x + barWidth / 2,
            y: top + plot - barHeight - 5,
            'text-anchor': 'middle',
          },
          String(m.count),
        ),
      );
    }
    chart.append(group);
    // Labels near the edges are anchored to stay inside the chart.
    /** @type {(text: string, row: number) => void} */
    const tick = (text, row) => {
      const center = i * slot + slot / 2;
      const half = text.length * 3.6;
      const [tx, anchor] =
        center - half < 0
          ? [1, 'start']
          : center + half > width
            ? [width - 1, 'end']
            : [center, 'middle'];
      chart.append(
        svg(
          'text',
          {
            class: row === 0 ? 'tick' : 'tick year',
            x: tx,
            y: top + plot + 14 + row * 14,
            'text-anchor': anchor,
            'aria-hidden': 'true',
          },
          text,
        ),
      );
    };
    if (i % labelEvery === 0) tick(monthWords ? `${Number(mo)}月` : String(Number(mo)), 0);
    // The year under the first bar and under every January (the first only when it has room).
    if (mo === '01' || (i === 0 && (13 - Number(mo)) * slot >= 40)) tick(y, 1);
  });
  /** @type {Element[]} */
  const parts = [chart];
  if (s.from || s.to) {
    parts.push(
      h(
        'p',
        { class: 'timeline-all' },
        h('a', { href: hrefFor({ from: '', to: '' }), 'data-nav': true, text: T.allTime }),
      ),
    );
  }
  els.chart.replaceChildren(...parts);
}

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    if (!els.timeline.hidden) renderTimeline(state);
    syncFilterDisclosure();
  }, 120);
});

// Filters are open beside the results on wide screens, folded above them on a phone.
const wide = window.matchMedia('(min-width: 56rem)');
/** @type {boolean | null} */
let lastWide = null;
function syncFilterDisclosure() {
  if (lastWide === wide.matches) return;
  lastWide = wide.matches;
  els.details.open = wide.matches;
}
syncFilterDisclosure();

// ---------------------------------------------------------------------------------------------
// Controls.

$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const q = input.value.trim();
  closeSuggestions();
  suggestSeq++;
  if (!q) {
    input.focus();
    return;
  }
  void navigate({ q, page: 1 });
});

for (const radio of scriptRadios()) {
  radio.addEventListener('change', () => {
    const script = radio.value === 'hant' || radio.value === 'hans' ? radio.value : '';
    if (radio.checked) void navigate({ script, page: state.page });
  });
}

els.sort.addEventListener('change', () => {
  void navigate({ sort: els.sort.value === 'date' ? 'date' : 'relevance' });
});

$('date-form').addEventListener('submit', (event) => {
  event.preventDefault();
  let from = isDay(els.dateFrom.value) ? els.dateFrom.value : '';
  let to = isDay(els.dateTo.value) ? els.dateTo.value : '';
  if (from && to && from > to) [from, to] = [to, from];
  void navigate({ from, to }, { focusResults: true });
});

// ---------------------------------------------------------------------------------------------
// Suggestions: an ARIA 1.2 combobox with a listbox popup, fed by /suggest when the API has it.

const listbox = $('suggestions');
let suggestAvailable = true;
let suggestTimer = 0;
/** @type {AbortController | null} */
let suggestController = null;
let suggestSeq = 0;
/** @type {string[]} */
let options = [];
let active = -1;

function closeSuggestions() {
  clearTimeout(suggestTimer);
  suggestController?.abort();
  listbox.hidden = true;
  listbox.replaceChildren();
  options = [];
  active = -1;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

/** @param {number} index  of the highlighted option, or -1 */
function setActive(index) {
  active = index;
  options.forEach((_text, i) => {
    const el = listbox.children[i];
    el.setAttribute('aria-selected', String(i === index));
  });
  if (index >= 0) {
    const el = listbox.children[index];
    input.setAttribute('aria-activedescendant', el.id);
    el.scrollIntoView({ block: 'nearest' });
  } else {
    input.removeAttribute('aria-activedescendant');
  }
}

/**
 * @param {string} typed
 * @param {string[]} texts
 */
function showSuggestions(typed, texts) {
  options = texts;
  active = -1;
  input.removeAttribute('aria-activedescendant');
  if (texts.length === 0) {
    closeSuggestions();
    return;
  }
  listbox.replaceChildren(
    ...texts.map((text, i) => {
      const li = h('li', {
        id: `suggestion-${i}`,
        role: 'option',
        'aria-selected': 'false',
        class: 'suggestion',
      });
      if (typed && text.startsWith(typed) && text.length > typed.length) {
        li.append(
          h('span', { class: 'typed', text: typed }),
          h('b', { text: text.slice(typed.length) }),
        );
      } else {
        li.textContent = text;
      }
      li.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
      li.addEventListener('click', () => choose(text));
      return li;
    }),
  );
  listbox.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

/** @param {string} text */
function choose(text) {
  input.value = text;
  closeSuggestions();
  suggestSeq++;
  void navigate({ q: text.trim(), page: 1 });
}

/**
 * @param {string} typed
 * @param {number} seq  the request's number: a later keystroke makes it stale
 */
async function fetchSuggestions(typed, seq) {
  suggestController?.abort();
  const controller = (suggestController = new AbortController());
  try {
    const res = await fetch('/suggest?' + new URLSearchParams({ q: typed, size: '8' }), {
      signal: controller.signal,
      headers: { Accept: 'application/json' },
    });
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      suggestAvailable = false; // no /suggest on this server: stop asking
      return;
    }
    if (!res.ok) return;
    /** @type {{ suggestions?: unknown } | null} */
    const body = await res.json();
    if (seq !== suggestSeq || input.value.trim() !== typed || document.activeElement !== input)
      return;
    /** @type {unknown[]} */
    const list = Array.isArray(body?.suggestions) ? body.suggestions : [];
    /** @type {Set<string>} */
    const seen = new Set();
    const texts = list
      .map((s) =>
        (typeof s === 'string' ? s : str(/** @type {{ text?: unknown }} */ (s)?.text)).trim(),
      )
      .filter((s) => s && !seen.has(s) && seen.add(s))
      .slice(0, 8);
    showSuggestions(typed, texts);
  } catch {
    // aborted or offline: no suggestions
  }
}

// Chinese is typed through an input method: while a composition is open (pinyin, zhuyin,
// cangjie…) the field holds unconverted keystrokes and the arrow keys and Enter belong to the
// input method's candidate window. Suggestions wait for the composed text.
input.addEventListener('compositionend', () => requestSuggestions());
input.addEventListener('input', (event) => {
  if (event.isComposing) return;
  requestSuggestions();
});

function requestSuggestions() {
  clearTimeout(suggestTimer);
  const typed = input.value.trim();
  const seq = ++suggestSeq;
  if (active >= 0) setActive(-1); // typing drops the highlighted suggestion
  if (!typed || !suggestAvailable) {
    closeSuggestions();
    return;
  }
  suggestTimer = window.setTimeout(() => void fetchSuggestions(typed, seq), SUGGEST_DELAY_MS);
}

input.addEventListener('keydown', (event) => {
  if (event.isComposing || event.keyCode === 229) return; // the input method's keys
  const open = !listbox.hidden && options.length > 0;
  switch (event.key) {
    case 'ArrowDown':
      if (!open) return;
      event.preventDefault();
      setActive(active + 1 >= options.length ? 0 : active + 1);
      break;
    case 'ArrowUp':
      if (!open) return;
      event.preventDefault();
      setActive(active <= 0 ? options.length - 1 : active - 1);
      break;
    case 'Enter':
      if (open && active >= 0) {
        event.preventDefault();
        choose(options[active]);
      }
      break;
    case 'Escape':
      if (open) {
        event.preventDefault(); // close the list; a second Escape clears the field
        closeSuggestions();
        suggestSeq++;
      }
      break;
    case 'Tab':
      closeSuggestions();
      break;
  }
});

input.addEventListener('blur', () => {
  suggestSeq++;
  closeSuggestions();
});

// ---------------------------------------------------------------------------------------------

void run({});
