// Search as you type: results as a listbox the search box drives (↑ ↓ move, Enter opens).
import { cityName, clauseLabel, el, getJSON, highlight, queryNeedles, t } from "./common.js";
import { openClause } from "./staff-clause.js";
import { passes, searchRegion } from "./staff-filters.js";
import { $, outline, state } from "./staff-state.js";

const q = $("#q");
const results = $("#results");
const searchStatus = $("#search-status");
const { cache } = state.search;
const pending = state.search;

export async function runSearch() {
  const query = q.value.trim();
  state.lastQuery = query;
  if (!query) {
    state.rawHits = [];
    applyFilters();
    return;
  }
  const region = searchRegion();
  const key = `${query}\u0000${region}`;
  if (cache.has(key)) {
    state.rawHits = cache.get(key);
    applyFilters();
    return;
  }
  if (pending.controller) pending.controller.abort();
  pending.controller = new AbortController();
  setStatus("searching");
  const params = new URLSearchParams({ q: query, k: "50" });
  if (region) params.set("region", region);
  try {
    const body = await getJSON(`/api/search?${params}`, { signal: pending.controller.signal });
    cache.set(key, body.hits);
    if (cache.size > 200) cache.delete(cache.keys().next().value);
    if (q.value.trim() !== query) return; // a newer search is on its way
    state.rawHits = body.hits;
    applyFilters();
  } catch (e) {
    if (e.name === "AbortError") return;
    showError(e.message);
  }
}

export function showError(message) {
  searchStatus.removeAttribute("data-t");
  searchStatus.textContent = message;
}

function setStatus(key, vars = {}) {
  searchStatus.dataset.t = key;
  if ("n" in vars) searchStatus.dataset.n = vars.n;
  searchStatus.textContent = t(key, vars);
}

export function applyFilters() {
  state.hits = state.rawHits.filter(passes);
  state.active = state.hits.length ? 0 : -1;
  renderResults();
  if (!state.lastQuery) setStatus("results_hint");
  else if (!state.hits.length) setStatus("results_none");
  else setStatus("results_n", { n: state.hits.length });
}

function resultItem(h, i) {
  const snippet = h.quote || h.text;
  const { heading } = outline(h.id);
  return el("li", {
    role: "option", id: `r-${i}`, class: "result", "aria-selected": String(i === state.active), dataset: { id: h.id },
    onclick: () => { setActive(i); openHit(i); },
  },
  el("div", { class: "r-head" },
    el("span", { class: "badge", dataset: { city: h.region }, text: cityName(h.region) }),
    el("strong", { class: "r-label", text: clauseLabel(h) }),
    heading ? el("span", { class: "r-heading" }, highlight(heading, queryNeedles(state.lastQuery, heading))) : null,
    h.authority === "repost" ? el("span", { class: "badge badge-repost", t: "repost" }) : null),
  el("p", { class: "r-snippet" }, highlight(snippet, queryNeedles(state.lastQuery, snippet))),
  el("p", { class: "r-doc", text: `《${h.title}》 ${h.date}` }));
}

export function renderResults() {
  results.replaceChildren(...state.hits.map(resultItem));
  q.setAttribute("aria-expanded", String(state.hits.length > 0));
  setActive(state.active);
}

function setActive(i) {
  state.active = i;
  results.querySelectorAll('[role="option"]').forEach((node, j) => node.setAttribute("aria-selected", String(j === i)));
  if (i >= 0 && state.hits[i]) {
    q.setAttribute("aria-activedescendant", `r-${i}`);
    $(`#r-${i}`).scrollIntoView({ block: "nearest" });
  } else {
    q.removeAttribute("aria-activedescendant");
  }
}

function openHit(i) {
  const hit = state.hits[i];
  if (!hit) return;
  openClause(hit, queryNeedles(state.lastQuery, hit.text));
}

function searchSoon() {
  clearTimeout(pending.timer);
  pending.timer = setTimeout(runSearch, 150);
}

export function wireSearch() {
  q.addEventListener("input", (e) => { if (!e.isComposing) searchSoon(); }); // wait for the input method's word
  q.addEventListener("compositionend", searchSoon);
  q.addEventListener("keydown", (e) => {
    if (e.isComposing || e.keyCode === 229) return;
    const { hits, active } = state;
    if (e.key === "ArrowDown" && hits.length) { e.preventDefault(); setActive(Math.min(active + 1, hits.length - 1)); }
    else if (e.key === "ArrowUp" && hits.length) { e.preventDefault(); setActive(Math.max(active - 1, 0)); }
    else if (e.key === "Enter") {
      e.preventDefault();
      if (q.value.trim() !== state.lastQuery) {
        clearTimeout(pending.timer);
        runSearch().then(() => openHit(Math.max(state.active, 0)));
      } else openHit(Math.max(active, 0));
    }
  });
}
