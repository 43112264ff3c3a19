// Browse a document by its outline; "show in document" from the clause view lands here.
import { cityName, el, fillSelect, t } from "./common.js";
import { openById } from "./staff-clause.js";
import { $, docLabel, factRow, state } from "./staff-state.js";
import { showTab } from "./staff-tabs.js";

const bDoc = $("#b-doc");
const docView = $("#doc-view");

export function fillBrowse() {
  fillSelect(bDoc, state.docs.map((d) => ({ value: d.id, label: docLabel(d) })));
}

function docFacts(d) {
  return el("dl", { class: "facts" }, factRow("issuer", d.issuer), factRow("number", d.number), factRow("date", d.date),
    [el("dt", { t: "region" }), el("dd", { dataset: { city: d.region }, text: cityName(d.region) })],
    d.region_level ? factRow("level", t(`level_${d.region_level}`)) : null,
    d.kind ? factRow("kind", t(`kind_${d.kind}`)) : null,
    d.effective ? factRow("effective", d.effective) : null,
    d.repealed_by ? factRow("repealed", d.repealed_by) : null,
    [el("dt", { t: "authority" }), el("dd", { t: d.authority === "repost" ? "repost" : "official" })]);
}

function sections(d) {
  const groups = [];
  for (const c of d.clauses) {
    const last = groups[groups.length - 1];
    if (last && last.section === c.section) last.items.push(c);
    else groups.push({ section: c.section, items: [c] });
  }
  return groups;
}

function outlineNav(d, markId) {
  return el("nav", { class: "outline", dataset: { tAria: "outline" }, "aria-label": t("outline") },
    sections(d).map((g) => el("section", {},
      el("h4", g.section ? { text: g.section } : { t: "no_section" }),
      el("ol", {}, g.items.map((c, i) => el("li", {},
        el("button", {
          type: "button", class: c.id === markId ? "outline-item is-current" : "outline-item", dataset: { id: c.id },
          onclick: () => openById(c.id),
        }, el("span", { class: "o-label", text: c.clause || `¶${i + 1}` }), " ", c.heading || "")))))));
}

export function renderDocument(id, markId = null) {
  const d = state.docById.get(id);
  if (!d) return;
  docView.replaceChildren(
    el("div", { class: "doc-head" }, el("h3", { text: `《${d.title}》` }), docFacts(d)),
    d.preamble ? el("details", { class: "preamble" }, el("summary", { t: "preamble" }), el("p", { text: d.preamble })) : null,
    outlineNav(d, markId));
  if (markId) {
    const node = docView.querySelector(".is-current");
    if (node) node.scrollIntoView({ block: "center" });
  }
}

/** Re-render the open document (the language changed). */
export function refreshBrowse() {
  fillBrowse();
  if (bDoc.value) renderDocument(bDoc.value);
}

export function wireBrowse() {
  bDoc.addEventListener("change", () => renderDocument(bDoc.value));
  document.addEventListener("staff:show-in-document", (e) => {
    const { docId, clauseId } = e.detail;
    showTab("browse");
    bDoc.value = docId;
    renderDocument(docId, clauseId);
    const node = docView.querySelector(".is-current");
    if (node) node.focus();
  });
}
