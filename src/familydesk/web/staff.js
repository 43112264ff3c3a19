// The hotline staff console: search as you type, filters, a clause view with "copy citation",
// documents by outline, and one topic compared across cities. Keyboard first.
import {
  applyTexts, citationText, cityName, clauseLabel, copyText, data, el, fillSelect, getJSON, highlight,
  langToggle, loadTexts, onLangChange, queryNeedles, sentences, t,
} from "./common.js";

const $ = (sel) => document.querySelector(sel);
const q = $("#q");
const fCity = $("#f-city");
const fDoc = $("#f-doc");
const fSection = $("#f-section");
const results = $("#results");
const searchStatus = $("#search-status");
const clauseBody = $("#clause-body");
const bDoc = $("#b-doc");
const docView = $("#doc-view");
const compareBox = $("#compare");
const topic = $("#topic");

let docs = [];
const docById = new Map();
const outlineById = new Map(); // clause id -> {heading, section, doc}
let rawHits = [];
let hits = [];
let lastQuery = "";
let active = -1;
let current = null; // {citation, quote, needles}
let lastCompare = null;
let searchTimer = 0;
let controller = null;
const cache = new Map();

// ---- tabs ------------------------------------------------------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];

function showTab(name, focus = false) {
  for (const tab of tabs) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !on;
    if (on && focus) tab.focus();
  }
  $("#main").classList.toggle("wide", name === "compare"); // the cities side by side need the full width
}

tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => showTab(tab.id.slice(4)));
  tab.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (step) {
      e.preventDefault();
      showTab(tabs[(i + step + tabs.length) % tabs.length].id.slice(4), true);
    }
  });
});

// ---- filters ---------------------------------------------------------------------------------
function docLabel(d) {
  const level = d.region_level ? `（${t(`level_${d.region_level}`)}）` : "";
  const marks = (d.authority === "repost" ? `（${t("repost")}）` : "") + (d.current === false ? `（${t("repealed")}）` : "");
  return `${cityName(d.region)}${level} · ${d.title}${marks}`;
}

function fillDocFilter() {
  const city = fCity.value;
  fillSelect(fDoc, [{ value: "", t: "all_docs" },
    ...docs.filter((d) => !city || d.region === city).map((d) => ({ value: d.id, label: docLabel(d) }))]);
}

function fillSectionFilter() {
  const keep = fSection.value;
  const chosen = fDoc.value ? [docById.get(fDoc.value)] : docs.filter((d) => !fCity.value || d.region === fCity.value);
  const groups = chosen.map((d) => {
    const names = [...new Set(d.clauses.map((c) => c.section).filter(Boolean))];
    return names.length ? el("optgroup", { label: d.title }, names.map((s) => el("option", { value: s, text: s }))) : null;
  }).filter(Boolean);
  fSection.replaceChildren(el("option", { value: "", t: "all_sections" }), ...groups);
  fSection.value = [...fSection.options].some((o) => o.value === keep) ? keep : "";
}

fCity.addEventListener("change", () => { fillDocFilter(); fillSectionFilter(); runSearch(); });
fDoc.addEventListener("change", () => { fillSectionFilter(); runSearch(); });
fSection.addEventListener("change", () => { applyFilters(); });

// ---- search ----------------------------------------------------------------------------------
function searchRegion() {
  if (fCity.value) return fCity.value;
  return fDoc.value ? docById.get(fDoc.value).region : "";
}

async function runSearch() {
  const query = q.value.trim();
  lastQuery = query;
  if (!query) {
    rawHits = [];
    applyFilters();
    return;
  }
  const region = searchRegion();
  const key = `${query}\u0000${region}`;
  if (cache.has(key)) {
    rawHits = cache.get(key);
    applyFilters();
    return;
  }
  if (controller) controller.abort();
  controller = new AbortController();
  setStatus("searching");
  const params = new URLSearchParams({ q: query, k: "50" });
  if (region) params.set("region", region);
  try {
    const body = await getJSON(`/api/search?${params}`, { signal: controller.signal });
    cache.set(key, body.hits);
    if (cache.size > 200) cache.delete(cache.keys().next().value);
    if (q.value.trim() !== query) return; // a newer search is on its way
    rawHits = body.hits;
    applyFilters();
  } catch (e) {
    if (e.name === "AbortError") return;
    searchStatus.removeAttribute("data-t");
    searchStatus.textContent = e.message;
  }
}

function setStatus(key, vars = {}) {
  searchStatus.dataset.t = key;
  if ("n" in vars) searchStatus.dataset.n = vars.n;
  searchStatus.textContent = t(key, vars);
}

function applyFilters() {
  hits = rawHits.filter((h) => (!fDoc.value || h.doc_id === fDoc.value) && (!fSection.value || h.section === fSection.value));
  active = hits.length ? 0 : -1;
  renderResults();
  if (!lastQuery) setStatus("results_hint");
  else if (!hits.length) setStatus("results_none");
  else setStatus("results_n", { n: hits.length });
}

function resultItem(h, i) {
  const snippet = h.quote || h.text;
  const heading = (outlineById.get(h.id) || {}).heading;
  return el("li", {
    role: "option", id: `r-${i}`, class: "result", "aria-selected": String(i === active), dataset: { id: h.id },
    onclick: () => { setActive(i); openHit(i); },
  },
  el("div", { class: "r-head" },
    el("span", { class: "badge", dataset: { city: h.region }, text: cityName(h.region) }),
    el("strong", { class: "r-label", text: clauseLabel(h) }),
    heading ? el("span", { class: "r-heading" }, highlight(heading, queryNeedles(lastQuery, heading))) : null,
    h.authority === "repost" ? el("span", { class: "badge badge-repost", t: "repost" }) : null),
  el("p", { class: "r-snippet" }, highlight(snippet, queryNeedles(lastQuery, snippet))),
  el("p", { class: "r-doc", text: `《${h.title}》 ${h.date}` }));
}

function renderResults() {
  results.replaceChildren(...hits.map(resultItem));
  q.setAttribute("aria-expanded", String(hits.length > 0));
  setActive(active);
}

function setActive(i) {
  active = i;
  results.querySelectorAll('[role="option"]').forEach((node, j) => node.setAttribute("aria-selected", String(j === i)));
  if (i >= 0 && hits[i]) {
    q.setAttribute("aria-activedescendant", `r-${i}`);
    $(`#r-${i}`).scrollIntoView({ block: "nearest" });
  } else {
    q.removeAttribute("aria-activedescendant");
  }
}

function openHit(i) {
  if (!hits[i]) return;
  showClause(hits[i], hits[i].quote, queryNeedles(lastQuery, hits[i].text));
  focusClause();
}

q.addEventListener("input", (e) => {
  if (e.isComposing) return; // wait for the input method to finish the word
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 150);
});
q.addEventListener("compositionend", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 150); });
q.addEventListener("keydown", (e) => {
  if (e.isComposing || e.keyCode === 229) return;
  if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); setActive(Math.min(active + 1, hits.length - 1)); }
  else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); setActive(Math.max(active - 1, 0)); }
  else if (e.key === "Enter") {
    e.preventDefault();
    if (q.value.trim() !== lastQuery) { clearTimeout(searchTimer); runSearch().then(() => openHit(Math.max(active, 0))); }
    else openHit(Math.max(active, 0));
  }
});

// ---- the clause view -------------------------------------------------------------------------
function focusClause() {
  const title = $("#clause-title");
  if (!title) return;
  title.focus({ preventScroll: true });
  if (window.matchMedia("(max-width: 59.99rem)").matches) $("#clause-view").scrollIntoView({ block: "start" });
}

function factRow(key, value) {
  return value ? [el("dt", { t: key }), el("dd", { text: value })] : null;
}

function showClause(c, quote = "", needles = []) {
  current = { citation: c, quote: quote || "", needles };
  const doc = docById.get(c.doc_id);
  const text = el("p", { class: "clause-text" }, sentences(c.text).map((s) => el("span", {
    class: s.trim() === current.quote.trim() && current.quote ? "sent is-quote" : "sent",
    onclick: () => pickQuote(s.trim()),
  }, highlight(s, needles))));
  const copy = el("button", { type: "button", id: "copy", class: "btn-primary", onclick: copyCurrent },
    el("span", { t: "copy" }), " ", el("kbd", { text: "c" }));
  const actions = el("div", { class: "actions" }, copy,
    el("button", { type: "button", class: "btn-ghost only-narrow", t: "back_to_results", onclick: backToResults }),
    el("button", { type: "button", class: "btn-ghost", t: "show_in_doc", onclick: () => showInDocument(c.doc_id, c.id) }),
    doc && doc.repost_of && (outlineById.get(c.id) || {}).maps_to
      ? el("button", { type: "button", class: "btn-ghost", t: "maps_to", onclick: () => openById(outlineById.get(c.id).maps_to) })
      : null);
  clauseBody.replaceChildren(el("article", { class: "clause", dataset: { id: c.id } },
    el("p", { class: "eyebrow" },
      el("span", { class: "badge", dataset: { city: c.region }, text: cityName(c.region) }),
      el("span", { class: c.authority === "repost" ? "badge badge-repost" : "badge badge-official",
        t: c.authority === "repost" ? "repost" : "official" })),
    el("h3", { id: "clause-title", tabindex: "-1", text: c.reference }),
    (outlineById.get(c.id) || {}).heading ? el("p", { class: "clause-heading", text: outlineById.get(c.id).heading }) : null,
    text,
    el("p", { class: "muted small", t: "sentence_hint" }),
    actions,
    el("output", { id: "copy-status", class: "copy-status", "aria-live": "polite" }),
    el("dl", { class: "facts" },
      factRow("document", `《${c.title}》`), factRow("number", c.doc_number), factRow("date", c.date),
      factRow("issuer", c.issuer), factRow("section", c.section), factRow("units", c.responsible_units))));
  updateCopy();
}

function backToResults() {
  const tab = tabs.find((x) => x.getAttribute("aria-selected") === "true");
  const panel = tab ? $(`#${tab.getAttribute("aria-controls")}`) : null;
  const target = tab && tab.id === "tab-search" && active >= 0 ? $(`#r-${active}`) : panel;
  if (target) target.scrollIntoView({ block: "center" });
  if (tab && tab.id === "tab-search") q.focus({ preventScroll: true });
}

function pickQuote(sentence) {
  if (!current) return;
  current.quote = sentence;
  clauseBody.querySelectorAll(".sent").forEach((s) => s.classList.toggle("is-quote", s.textContent.trim() === sentence));
  updateCopy();
}

function updateCopy() {
  const button = $("#copy");
  if (button && current) button.dataset.citation = citationText(current.citation, current.quote);
}

async function copyCurrent() {
  if (!current) return;
  await copyOut(citationText(current.citation, current.quote), $("#copy-status"));
}

async function copyOut(text, statusNode) {
  const ok = await copyText(text);
  if (!statusNode) return;
  statusNode.replaceChildren(el("span", { t: ok ? "copied" : "copy_failed" }), el("span", { class: "copied-text", text }));
}

async function openById(id, quote = "") {
  try {
    const c = await getJSON(`/api/clauses/${encodeURIComponent(id)}`);
    showClause(c, quote);
    focusClause();
  } catch (e) {
    clauseBody.replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
}

// ---- browse by outline -----------------------------------------------------------------------
function fillBrowse() {
  fillSelect(bDoc, docs.map((d) => ({ value: d.id, label: docLabel(d) })));
}

function renderDocument(id, markId = null) {
  const d = docById.get(id);
  if (!d) return;
  const groups = [];
  for (const c of d.clauses) {
    const last = groups[groups.length - 1];
    if (last && last.section === c.section) last.items.push(c);
    else groups.push({ section: c.section, items: [c] });
  }
  docView.replaceChildren(
    el("div", { class: "doc-head" },
      el("h3", { text: `《${d.title}》` }),
      el("dl", { class: "facts" }, factRow("issuer", d.issuer), factRow("number", d.number), factRow("date", d.date),
        [el("dt", { t: "region" }), el("dd", { dataset: { city: d.region }, text: cityName(d.region) })],
        d.region_level ? factRow("level", t(`level_${d.region_level}`)) : null,
        d.kind ? factRow("kind", t(`kind_${d.kind}`)) : null,
        d.effective ? factRow("effective", d.effective) : null,
        d.repealed_by ? factRow("repealed", d.repealed_by) : null,
        [el("dt", { t: "authority" }), el("dd", { t: d.authority === "repost" ? "repost" : "official" })])),
    d.preamble ? el("details", { class: "preamble" }, el("summary", { t: "preamble" }), el("p", { text: d.preamble })) : null,
    el("nav", { class: "outline", dataset: { tAria: "outline" }, "aria-label": t("outline") },
      groups.map((g) => el("section", {},
        el("h4", g.section ? { text: g.section } : { t: "no_section" }),
        el("ol", {}, g.items.map((c, i) => el("li", {},
          el("button", {
            type: "button", class: c.id === markId ? "outline-item is-current" : "outline-item", dataset: { id: c.id },
            onclick: () => openById(c.id),
          }, el("span", { class: "o-label", text: c.clause || `¶${i + 1}` }), " ", c.heading || ""))))))));
  if (markId) {
    const node = docView.querySelector(".is-current");
    if (node) node.scrollIntoView({ block: "center" });
  }
}

function showInDocument(docId, clauseId) {
  showTab("browse");
  bDoc.value = docId;
  renderDocument(docId, clauseId);
  const node = docView.querySelector(".is-current");
  if (node) node.focus();
}

bDoc.addEventListener("change", () => renderDocument(bDoc.value));

// ---- compare ---------------------------------------------------------------------------------
function renderCompare(body) {
  lastCompare = body;
  const terms = body.topic.split(/\s+/).filter(Boolean);
  compareBox.replaceChildren(...body.columns.map((col) => {
    const head = el("h3", { dataset: { city: col.region }, text: cityName(col.region) });
    if (!col.stated) {
      return el("article", { class: "compare-col not-stated", dataset: { region: col.region } }, head,
        el("p", { class: "not-stated-label", t: "not_stated" }),
        el("p", { class: "muted", text: t("not_stated_note", { city: cityName(col.region), topic: body.topic }) }),
        col.closest ? el("p", { class: "closest small" },
          el("span", { class: "muted", text: t("closest", { topic: body.topic }) }), " ",
          el("button", { type: "button", class: "linkish", onclick: () => { showClause(col.closest, col.closest.quote, terms); focusClause(); } },
            `${clauseLabel(col.closest)} ${(outlineById.get(col.closest.id) || {}).heading || ""}`.trim())) : null);
    }
    const c = col.citation;
    const status = el("output", { class: "copy-status", "aria-live": "polite" });
    return el("article", { class: "compare-col", dataset: { region: col.region, id: c.id } }, head,
      el("p", { class: "cite-label-line" }, el("strong", { class: "cite-label", text: clauseLabel(c) }),
        (outlineById.get(c.id) || {}).heading ? ` ${outlineById.get(c.id).heading}` : ""),
      el("p", { class: "muted small", text: [`《${c.title}》`, c.doc_number, c.date].filter(Boolean).join(" · ") }),
      el("blockquote", { class: "quote" }, highlight(c.quote || c.text, terms)),
      el("details", {}, el("summary", { t: "clause_full" }), el("p", { class: "clause-text" }, highlight(c.text, terms))),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "btn-primary", t: "copy", dataset: { citation: citationText(c) },
          onclick: () => copyOut(citationText(c), status) }),
        el("button", { type: "button", class: "btn-ghost", t: "open_clause", onclick: () => {
          showClause(c, c.quote, terms);
          focusClause();
        } })),
      status);
  }));
}

async function runCompare(value) {
  const text = (value ?? topic.value).trim();
  if (!text) return;
  topic.value = text;
  try {
    renderCompare(await getJSON(`/api/compare?${new URLSearchParams({ topic: text })}`));
  } catch (e) {
    compareBox.replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
}

$("#compare-form").addEventListener("submit", (e) => { e.preventDefault(); runCompare(); });

function renderTopics() {
  $("#topics").replaceChildren(...(data().topics || []).map((name) => el("li", {},
    el("button", { type: "button", class: "chip", onclick: () => runCompare(name) }, name))));
}

// ---- keyboard --------------------------------------------------------------------------------
function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  if (e.key === "/" && !typing(e.target)) {
    e.preventDefault();
    showTab("search");
    q.focus();
    q.select();
  } else if ((e.key === "c" || e.key === "C") && !typing(e.target) && current) {
    e.preventDefault();
    copyCurrent();
  } else if (e.key === "Escape" && $("#clause-view").contains(e.target)) {
    showTab("search");
    backToResults();
  }
});

// ---- start -----------------------------------------------------------------------------------
onLangChange(() => {
  fillDocFilter();
  fillSectionFilter();
  fillBrowse();
  renderResults();
  if (bDoc.value) renderDocument(bDoc.value);
  if (lastCompare) renderCompare(lastCompare);
  if (current) showClause(current.citation, current.quote, current.needles);
});

async function start() {
  langToggle($("#lang"));
  try {
    await loadTexts();
    fillSelect(fCity, [{ value: "", t: "city_all" }, ...(data().covered || []).map((c) => ({ value: c, city: c }))]);
    applyTexts();
    renderTopics();
    docs = await getJSON("/api/documents");
    for (const d of docs) {
      docById.set(d.id, d);
      for (const c of d.clauses) outlineById.set(c.id, { ...c, doc: d.id });
    }
    fillDocFilter();
    fillSectionFilter();
    fillBrowse();
    if (docs.length) renderDocument(docs[0].id);
  } catch (e) {
    searchStatus.textContent = e.message;
  }
  document.body.classList.add("ready");
  if (q.value.trim()) runSearch();
}

start();
