// The hotline staff console: search as you type, filters, a clause view with "copy citation", documents by
// outline, one topic compared across cities, keyboard first. Each part is an ES module of its own, loaded by
// the browser as is (no build step): staff-state (the one state object), staff-tabs, staff-filters,
// staff-search, staff-clause, staff-browse, staff-compare, staff-keys. This one wires them and starts.
import { applyTexts, getJSON, langToggle, loadTexts, onLangChange } from "./common.js";
import { fillBrowse, refreshBrowse, renderDocument, wireBrowse } from "./staff-browse.js";
import { refreshClause } from "./staff-clause.js";
import { renderCompare, renderTopics, wireCompare } from "./staff-compare.js";
import { fillCityFilter, fillDocFilter, fillSectionFilter, wireFilters } from "./staff-filters.js";
import { wireKeys } from "./staff-keys.js";
import { applyFilters, renderResults, runSearch, showError, wireSearch } from "./staff-search.js";
import { $, setDocuments, state } from "./staff-state.js";
import { wireTabs } from "./staff-tabs.js";

function fillFilters() {
  fillDocFilter();
  fillSectionFilter();
}

onLangChange(() => {
  fillFilters();
  refreshBrowse();
  renderResults();
  if (state.lastCompare) renderCompare(state.lastCompare);
  refreshClause();
});

async function start() {
  wireTabs();
  wireFilters({ search: runSearch, filter: applyFilters });
  wireSearch();
  wireBrowse();
  wireCompare();
  wireKeys();
  langToggle($("#lang"));
  try {
    await loadTexts();
    fillCityFilter();
    applyTexts();
    renderTopics();
    setDocuments(await getJSON("/api/documents"));
    fillFilters();
    fillBrowse();
    if (state.docs.length) renderDocument(state.docs[0].id);
  } catch (e) {
    showError(e.message);
  }
  document.body.classList.add("ready");
  if ($("#q").value.trim()) runSearch();
}

start();
