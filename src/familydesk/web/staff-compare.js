// One topic compared across cities: per city the best clause that states it, or 未规定 and the closest.
import { citationText, cityName, clauseLabel, data, el, getJSON, highlight, t } from "./common.js";
import { copyOut, openClause } from "./staff-clause.js";
import { $, outline, state } from "./staff-state.js";

const compareBox = $("#compare");
const topic = $("#topic");

function notStated(col, body, head, terms) {
  const closest = col.closest;
  return el("article", { class: "compare-col not-stated", dataset: { region: col.region } }, head,
    el("p", { class: "not-stated-label", t: "not_stated" }),
    el("p", { class: "muted", text: t("not_stated_note", { city: cityName(col.region), topic: body.topic }) }),
    closest ? el("p", { class: "closest small" },
      el("span", { class: "muted", text: t("closest", { topic: body.topic }) }), " ",
      el("button", { type: "button", class: "linkish", onclick: () => openClause(closest, terms) },
        `${clauseLabel(closest)} ${outline(closest.id).heading || ""}`.trim())) : null);
}

function stated(col, head, terms) {
  const c = col.citation;
  const { heading } = outline(c.id);
  const status = el("output", { class: "copy-status", "aria-live": "polite" });
  return el("article", { class: "compare-col", dataset: { region: col.region, id: c.id } }, head,
    el("p", { class: "cite-label-line" }, el("strong", { class: "cite-label", text: clauseLabel(c) }), heading ? ` ${heading}` : ""),
    el("p", { class: "muted small", text: [`《${c.title}》`, c.doc_number, c.date].filter(Boolean).join(" · ") }),
    el("blockquote", { class: "quote" }, highlight(c.quote || c.text, terms)),
    el("details", {}, el("summary", { t: "clause_full" }), el("p", { class: "clause-text" }, highlight(c.text, terms))),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "btn-primary", t: "copy", dataset: { citation: citationText(c) },
        onclick: () => copyOut(citationText(c), status) }),
      el("button", { type: "button", class: "btn-ghost", t: "open_clause", onclick: () => openClause(c, terms) })),
    status);
}

export function renderCompare(body) {
  state.lastCompare = body;
  const terms = body.topic.split(/\s+/).filter(Boolean);
  compareBox.replaceChildren(...body.columns.map((col) => {
    const head = el("h3", { dataset: { city: col.region }, text: cityName(col.region) });
    return col.stated ? stated(col, head, terms) : notStated(col, body, head, terms);
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

export function renderTopics() {
  $("#topics").replaceChildren(...(data().topics || []).map((name) => el("li", {},
    el("button", { type: "button", class: "chip", onclick: () => runCompare(name) }, name))));
}

export function wireCompare() {
  $("#compare-form").addEventListener("submit", (e) => { e.preventDefault(); runCompare(); });
}
