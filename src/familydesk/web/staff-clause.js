// The clause view: the whole clause, a sentence to quote (mouse or keyboard), "copy citation".
import { citationText, cityName, copyText, el, getJSON, highlight, sentences } from "./common.js";
import { $, factRow, outline, state } from "./staff-state.js";
import { currentTab, showTab } from "./staff-tabs.js";

const clauseBody = $("#clause-body");

export function focusClause() {
  const title = $("#clause-title");
  if (!title) return;
  title.focus({ preventScroll: true });
  if (window.matchMedia("(max-width: 59.99rem)").matches) $("#clause-view").scrollIntoView({ block: "start" });
}

/** A sentence to quote: focusable, chosen by a click, Enter or Space. */
function sentence(s, needles) {
  const text = s.trim();
  const chosen = Boolean(state.current.quote) && text === state.current.quote.trim();
  return el("span", {
    class: chosen ? "sent is-quote" : "sent", tabindex: "0", role: "button", "aria-pressed": String(chosen),
    onclick: () => pickQuote(text),
    onkeydown: (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      pickQuote(text);
    },
  }, highlight(s, needles));
}

function clauseActions(c) {
  const doc = state.docById.get(c.doc_id);
  const { maps_to: mapsTo } = outline(c.id);
  const copy = el("button", { type: "button", id: "copy", class: "btn-primary", onclick: copyCurrent },
    el("span", { t: "copy" }), " ", el("kbd", { class: "shortcut", text: "c" }));
  return el("div", { class: "actions" }, copy,
    el("button", { type: "button", class: "btn-ghost only-narrow", t: "back_to_results", onclick: backToResults }),
    el("button", { type: "button", class: "btn-ghost", t: "show_in_doc", onclick: () => showInDocument(c.doc_id, c.id) }),
    doc && doc.repost_of && mapsTo ? el("button", { type: "button", class: "btn-ghost", t: "maps_to", onclick: () => openById(mapsTo) })
      : null);
}

export function showClause(c, quote = "", needles = []) {
  state.current = { citation: c, quote: quote || "", needles };
  const { heading } = outline(c.id);
  clauseBody.replaceChildren(el("article", { class: "clause", dataset: { id: c.id } },
    el("p", { class: "eyebrow" },
      el("span", { class: "badge", dataset: { city: c.region }, text: cityName(c.region) }),
      el("span", { class: c.authority === "repost" ? "badge badge-repost" : "badge badge-official",
        t: c.authority === "repost" ? "repost" : "official" })),
    el("h3", { id: "clause-title", tabindex: "-1", text: c.reference }),
    heading ? el("p", { class: "clause-heading", text: heading }) : null,
    el("p", { class: "clause-text" }, sentences(c).map((s) => sentence(s, needles))),
    el("p", { class: "muted small", t: "sentence_hint" }),
    clauseActions(c),
    el("output", { id: "copy-status", class: "copy-status", "aria-live": "polite" }),
    el("dl", { class: "facts" },
      factRow("document", `《${c.title}》`), factRow("number", c.doc_number), factRow("date", c.date),
      factRow("issuer", c.issuer), factRow("section", c.section), factRow("units", c.responsible_units))));
  updateCopy();
}

/** The "show in document" button asks the browse tab (staff-browse.js listens), which itself opens clauses here. */
function showInDocument(docId, clauseId) {
  document.dispatchEvent(new CustomEvent("staff:show-in-document", { detail: { docId, clauseId } }));
}

export function backToResults() {
  const tab = currentTab();
  const panel = tab ? $(`#${tab.getAttribute("aria-controls")}`) : null;
  const target = tab && tab.id === "tab-search" && state.active >= 0 ? $(`#r-${state.active}`) : panel;
  if (target) target.scrollIntoView({ block: "center" });
  if (tab && tab.id === "tab-search") $("#q").focus({ preventScroll: true });
}

/** Escape inside the clause view goes back to the results. */
export function leaveClause() {
  showTab("search");
  backToResults();
}

function pickQuote(text) {
  if (!state.current) return;
  state.current.quote = text;
  clauseBody.querySelectorAll(".sent").forEach((s) => {
    const on = s.textContent.trim() === text;
    s.classList.toggle("is-quote", on);
    s.setAttribute("aria-pressed", String(on));
  });
  updateCopy();
}

function updateCopy() {
  const button = $("#copy");
  if (button && state.current) button.dataset.citation = citationText(state.current.citation, state.current.quote);
}

export async function copyCurrent() {
  if (!state.current) return;
  await copyOut(citationText(state.current.citation, state.current.quote), $("#copy-status"));
}

export async function copyOut(text, statusNode) {
  const ok = await copyText(text);
  if (!statusNode) return;
  statusNode.replaceChildren(el("span", { t: ok ? "copied" : "copy_failed" }), el("span", { class: "copied-text", text }));
}

export async function openById(id, quote = "") {
  try {
    showClause(await getJSON(`/api/clauses/${encodeURIComponent(id)}`), quote);
    focusClause();
  } catch (e) {
    clauseBody.replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
}

/** Show a clause from a hit or a compare column, and move the focus there. */
export function openClause(c, needles = []) {
  showClause(c, c.quote, needles);
  focusClause();
}

/** Render the clause again (the language changed). */
export function refreshClause() {
  if (state.current) showClause(state.current.citation, state.current.quote, state.current.needles);
}
