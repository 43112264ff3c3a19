// The search filters: city (asked of the server), document and section (applied in the page).
import { data, el, fillSelect } from "./common.js";
import { $, docLabel, state } from "./staff-state.js";

const fCity = $("#f-city");
const fDoc = $("#f-doc");
const fSection = $("#f-section");

export function fillCityFilter() {
  fillSelect(fCity, [{ value: "", t: "city_all" }, ...(data().covered || []).map((c) => ({ value: c, city: c }))]);
}

export function fillDocFilter() {
  const city = fCity.value;
  fillSelect(fDoc, [{ value: "", t: "all_docs" },
    ...state.docs.filter((d) => !city || d.region === city).map((d) => ({ value: d.id, label: docLabel(d) }))]);
}

export function fillSectionFilter() {
  const keep = fSection.value;
  const chosen = fDoc.value ? [state.docById.get(fDoc.value)]
    : state.docs.filter((d) => !fCity.value || d.region === fCity.value);
  const groups = chosen.map((d) => {
    const names = [...new Set(d.clauses.map((c) => c.section).filter(Boolean))];
    return names.length ? el("optgroup", { label: d.title }, names.map((s) => el("option", { value: s, text: s }))) : null;
  }).filter(Boolean);
  fSection.replaceChildren(el("option", { value: "", t: "all_sections" }), ...groups);
  fSection.value = [...fSection.options].some((o) => o.value === keep) ? keep : "";
}

/** The region to search: the chosen city, else the chosen document's. */
export function searchRegion() {
  if (fCity.value) return fCity.value;
  return fDoc.value ? state.docById.get(fDoc.value).region : "";
}

/** Whether a hit passes the document and section filters. */
export function passes(hit) {
  return (!fDoc.value || hit.doc_id === fDoc.value) && (!fSection.value || hit.section === fSection.value);
}

/** A changed city or document asks the server again (`search`); a changed section only filters (`filter`). */
export function wireFilters({ search, filter }) {
  fCity.addEventListener("change", () => { fillDocFilter(); fillSectionFilter(); search(); });
  fDoc.addEventListener("change", () => { fillSectionFilter(); search(); });
  fSection.addEventListener("change", () => filter());
}
