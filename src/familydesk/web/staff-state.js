// The staff console's one piece of shared state and the small helpers every part of it uses.
import { cityName, el, t } from "./common.js";

export const $ = (sel) => document.querySelector(sel);

/** Everything the console remembers; the only mutable module-level value of the console. */
export const state = {
  docs: [],
  docById: new Map(),
  outlineById: new Map(), // clause id -> {heading, section, doc, maps_to, …}
  rawHits: [], // the last search's hits, before the document and section filters
  hits: [], // what the result list shows
  lastQuery: "",
  active: -1, // the selected result
  current: null, // the clause shown: {citation, quote, needles}
  lastCompare: null,
  search: { cache: new Map(), timer: 0, controller: null }, // query + region -> hits; the pending search
};

/** The outline entry of a clause id ({} when unknown). */
export const outline = (id) => state.outlineById.get(id) || {};

export function setDocuments(docs) {
  state.docs = docs;
  for (const d of docs) {
    state.docById.set(d.id, d);
    for (const c of d.clauses) state.outlineById.set(c.id, { ...c, doc: d.id });
  }
}

/** A document's label in the selects: city (level) · title (repost) (repealed). */
export function docLabel(d) {
  const level = d.region_level ? `（${t(`level_${d.region_level}`)}）` : "";
  const marks = (d.authority === "repost" ? `（${t("repost")}）` : "") + (d.current === false ? `（${t("repealed")}）` : "");
  return `${cityName(d.region)}${level} · ${d.title}${marks}`;
}

/** A <dt>/<dd> pair of a facts list, or nothing when there is no value. */
export function factRow(key, value) {
  return value ? [el("dt", { t: key }), el("dd", { text: value })] : null;
}
