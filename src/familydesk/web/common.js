// Shared by the chat (/) and the staff console (/staff): texts in two languages, safe DOM building,
// highlighting, citations. Every piece of data reaches the page through textContent, never innerHTML.

const LANG_KEY = "familydesk.lang";
let texts = null;
let lang = "zh";
const listeners = [];

/** Load /texts.json and pick the language: the saved choice, else the browser's. */
export async function loadTexts() {
  const r = await fetch("/texts.json", { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`texts: HTTP ${r.status}`);
  texts = await r.json();
  let saved = null;
  try { saved = localStorage.getItem(LANG_KEY); } catch (_) { /* storage may be off */ }
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "zh";
  lang = saved === "zh" || saved === "en" ? saved : (browser.toLowerCase().startsWith("zh") ? "zh" : "en");
  return texts;
}

export const data = () => texts;
export const currentLang = () => lang;

/** A text by key in the current language, with {placeholders} filled. */
export function t(key, vars = {}) {
  const table = (texts && texts[lang]) || {};
  const raw = key in table ? table[key] : ((texts && texts.zh && texts.zh[key]) || key);
  return raw.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** A city's name in the current language (北京 / Beijing). */
export function cityName(city) {
  if (!city) return t("city_all");
  return lang === "en" && texts && texts.cities && texts.cities[city] ? texts.cities[city] : city;
}

/** Fill every [data-t], [data-t-placeholder], [data-t-aria], [data-t-title] under root. */
export function applyTexts(root = document) {
  root.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t, { ...node.dataset }); });
  root.querySelectorAll("[data-t-placeholder]").forEach((node) => { node.placeholder = t(node.dataset.tPlaceholder); });
  root.querySelectorAll("[data-t-aria]").forEach((node) => { node.setAttribute("aria-label", t(node.dataset.tAria)); });
  root.querySelectorAll("[data-city]").forEach((node) => { node.textContent = cityName(node.dataset.city); });
  if (root === document) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    const titleKey = document.body.dataset.title;
    if (titleKey) document.title = t(titleKey);
  }
}

export function setLang(next) {
  lang = next;
  try { localStorage.setItem(LANG_KEY, next); } catch (_) { /* storage may be off */ }
  applyTexts();
  listeners.forEach((fn) => fn(lang));
}

export function onLangChange(fn) { listeners.push(fn); }

/** Wire the language toggle button. */
export function langToggle(button) {
  button.addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
}

/**
 * Build an element: el("p", {class: "x", t: "key"}, child, "text"). Strings become text nodes;
 * `text` sets textContent; `t` a translated text that follows the language toggle.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "t") { node.dataset.t = value; node.textContent = t(value); }
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Fill a select with options [{value, label, city, t}], keeping the current value when it still exists. */
export function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map((o) => {
    const opt = el("option", { value: o.value });
    if (o.t) { opt.dataset.t = o.t; opt.textContent = t(o.t); }
    else if (o.city) { opt.dataset.city = o.city; opt.textContent = cityName(o.city); }
    else opt.textContent = o.label;
    return opt;
  }));
  if (options.some((o) => o.value === keep)) select.value = keep;
}

/**
 * `text` as nodes with every occurrence of any needle wrapped in <mark>. Needles are plain
 * strings; longest first, case-insensitive; overlapping ranges merge.
 */
export function highlight(text, needles, markClass = "") {
  const frag = document.createDocumentFragment();
  const low = text.toLowerCase();
  const ranges = [];
  for (const needle of [...new Set(needles.filter((n) => n && n.trim()))]) {
    const n = needle.toLowerCase();
    let at = low.indexOf(n);
    while (at !== -1) { ranges.push([at, at + n.length]); at = low.indexOf(n, at + n.length); }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  let pos = 0;
  for (const [a, b] of merged) {
    if (a > pos) frag.append(text.slice(pos, a));
    frag.append(el("mark", { class: markClass || null, text: text.slice(a, b) }));
    pos = b;
  }
  if (pos < text.length) frag.append(text.slice(pos));
  return frag;
}

const CJK = /[\u3400-\u9fff]/;

/** What to highlight for a query: its words; for a long Chinese word also its two-character pieces. */
export function queryNeedles(query, text) {
  const out = [];
  for (const word of query.split(/[\s,，、;；。？?！!]+/).filter(Boolean)) {
    out.push(word);
    if (CJK.test(word) && word.length > 3 && !text.includes(word)) {
      for (let i = 0; i + 2 <= word.length; i++) {
        const gram = word.slice(i, i + 2);
        if (CJK.test(gram) && text.includes(gram)) out.push(gram);
      }
    }
  }
  return out;
}

/** The clause part of a citation's reference: 第（二）条, 第二条, “…”部分. */
export function clauseLabel(c) {
  let tail = c.reference.slice(c.reference.lastIndexOf("》") + 1);
  if (c.doc_number) tail = tail.replace(`（${c.doc_number}）`, "");
  return tail || c.clause || "";
}

/** What "copy citation" copies: 《title》（number）第（二）条：quoted text. */
export function citationText(c, quote) {
  const q = (quote ?? c.quote) || c.text;
  return `${c.reference}：${q}`;
}

/** A clause's sentences as the server cut them (`sentence_ends`: where each ends in `text`); one rule, in text.py. */
export function sentences(c) {
  const out = [];
  let start = 0;
  for (const end of c.sentence_ends || [c.text.length]) {
    const s = c.text.slice(start, end).trim();
    if (s) out.push(s);
    start = end;
  }
  return out;
}

/** Copy text: the Clipboard API, else a hidden textarea and execCommand (plain-HTTP deployments). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through */ }
  const area = el("textarea", { class: "offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
  area.remove();
  return ok;
}

/** A fetch that turns HTTP errors into readable messages (the API's `detail`). */
export async function getJSON(url, options = {}) {
  let r;
  try { r = await fetch(url, options); } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Error(t("error_network"));
  }
  if (!r.ok) throw new Error(await errorMessage(r));
  return r.json();
}

export async function errorMessage(r) {
  if (r.status === 429) return t("rate_limited", { s: r.headers.get("Retry-After") || "60" });
  try {
    const body = await r.json();
    const d = body.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.map((e) => e.msg).join("; ");
  } catch (_) { /* not JSON */ }
  return `HTTP ${r.status}`;
}
