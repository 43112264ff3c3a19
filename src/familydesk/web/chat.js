// The parents' chat: ask, read the answer as it streams in, open the cited clauses, vote.
import {
  applyTexts, cityName, copyText, data, el, errorMessage, fillSelect, highlight, langToggle,
  loadTexts, onLangChange, t, currentLang,
} from "./common.js";

const $ = (sel) => document.querySelector(sel);
const log = $("#log");
const form = $("#ask-form");
const question = $("#question");
const send = $("#send");
const city = $("#city");
const status = $("#status");
let busy = false;
// the conversation so far, sent with each question so a follow-up ("包头呢？") is understood
const HISTORY_LIMIT = 20;
const history = [];

function renderExamples() {
  const examples = (data().examples || {})[currentLang()] || [];
  $("#examples").replaceChildren(...examples.map((q) => el("li", {},
    el("button", { type: "button", class: "chip", onclick: () => ask(q) }, q))));
}

/** A button that says what it did for a moment ("已复制"), then its label again. */
function actionButton(key, act) {
  const button = el("button", { type: "button", class: "card-action", t: key });
  button.addEventListener("click", async () => {
    const done = await act();
    if (!done) return;
    button.dataset.t = done;
    button.textContent = t(done);
    setTimeout(() => { button.dataset.t = key; button.textContent = t(key); }, 2000);
  });
  return button;
}

const clauseUrl = (c) => `${location.origin}/clause/${encodeURIComponent(c.id)}`;
const citeLine = (c) => c.reference + (c.date ? `（${c.date}）` : "");

/** Share the clause's page: the phone's share sheet where there is one, else its link copied. */
async function share(c, lead) {
  if (navigator.share) {
    try { await navigator.share({ title: c.reference, text: lead || c.quote, url: clauseUrl(c) }); return null; }
    catch (_) { /* cancelled, or not allowed: copy instead */ }
  }
  return (await copyText(clauseUrl(c))) ? "link_copied" : null;
}

/** One used clause: the quote (once), the citation line; a tap opens the whole clause and the document. */
function evidence(c, lead, { number = null, closest = false } = {}) {
  const facts = el("dl", { class: "facts" },
    [el("dt", { t: "document" }), el("dd", { text: `《${c.title}》` })],
    c.doc_number ? [el("dt", { t: "number" }), el("dd", { text: c.doc_number })] : null,
    [el("dt", { t: "issuer" }), el("dd", { text: c.issuer })],
    [el("dt", { t: "date" }), el("dd", { text: c.effective && c.effective !== c.date
      ? t("dated_effective", { date: c.date, effective: c.effective }) : c.date })],
    c.section ? [el("dt", { t: "section" }), el("dd", { text: c.section })] : null,
    c.responsible_units ? [el("dt", { t: "units" }), el("dd", { text: c.responsible_units })] : null);
  return el("section", { class: "evidence", dataset: { id: c.id } },
    closest ? el("p", { class: "evidence-label", t: "closest_clause" }) : null,
    el("details", { class: "clause-fold" },
      el("summary", {},
        c.quote ? el("q", { class: "answer-quote", text: c.quote }) : null,
        el("span", { class: "cite-line" },
          number ? el("span", { class: "cite-number", text: `[${number}] ` }) : null,
          el("span", { class: "cite-prefix", t: "source_prefix" }), citeLine(c)),
        el("span", { class: "cite-more", t: "show_clause" })),
      el("div", { class: "cite-body" },
        el("p", { class: "clause-text" }, highlight(c.text, [c.quote], "quote")),
        facts,
        el("p", { class: "clause-link" }, el("a", { href: `/clause/${encodeURIComponent(c.id)}`, t: "open_clause_page" })))),
    el("div", { class: "card-actions" },
      actionButton("copy_cite", async () => ((await copyText(citeLine(c))) ? "cite_copied" : null)),
      actionButton("share_clause", () => share(c, lead))));
}

/** Clauses retrieved with the answer that it does not quote: apart, folded, never called sources. */
function related(citations) {
  if (!citations.length) return null;
  return el("details", { class: "related" },
    el("summary", { dataset: { t: "related", n: citations.length }, text: t("related", { n: citations.length }) }),
    el("ul", { class: "related-list" }, citations.map((c) => el("li", {},
      el("a", { href: `/clause/${encodeURIComponent(c.id)}` }, citeLine(c)),
      el("span", { class: "badge", dataset: { city: c.region }, text: cityName(c.region) })))));
}

/** The answer card: the line that answers, then each used clause once, then the related clauses. */
function answerCard(payload) {
  const used = payload.citations.filter((c) => c.used);
  // a generated answer cites [n]: the n-th citation
  const cited = new Set([...payload.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  const lead = payload.lead || payload.answer;
  return el("div", { class: "answer-card" },
    el("p", { class: payload.lead ? "answer-text answer-lead" : "answer-text", text: lead }),
    used.map((c) => evidence(c, lead, {
      number: cited.has(payload.citations.indexOf(c) + 1) ? payload.citations.indexOf(c) + 1 : null,
      closest: payload.reason === "figure_not_stated",
    })),
    related(payload.citations.filter((c) => !c.used)));
}

function feedbackRow(answerId) {
  const note = el("span", { class: "feedback-note", role: "status" });
  const vote = async (kind, button) => {
    row.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    try {
      const r = await fetch("/api/feedback", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answer_id: answerId, vote: kind }),
      });
      if (!r.ok) throw new Error(await errorMessage(r));
      note.dataset.t = "feedback_thanks";
    } catch (_) {
      note.dataset.t = "feedback_failed";
    }
    note.textContent = t(note.dataset.t);
  };
  const up = el("button", { type: "button", class: "vote", "aria-pressed": "false", "data-vote": "up",
    dataset: { tAria: "feedback_up" }, "aria-label": t("feedback_up"), onclick: () => vote("up", up) }, "👍");
  const down = el("button", { type: "button", class: "vote", "aria-pressed": "false", "data-vote": "down",
    dataset: { tAria: "feedback_down" }, "aria-label": t("feedback_down"), onclick: () => vote("down", down) }, "👎");
  const row = el("div", { class: "feedback" }, el("span", { t: "feedback_q" }), up, down, note);
  return row;
}

/** Read server-sent events from a fetch body: calls onEvent(name, data) per event. */
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const lines = [];
      for (const line of frame.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
      }
      if (lines.length) onEvent(name, JSON.parse(lines.join("\n")));
    }
  }
}

async function ask(text, chosenRegion = null) {
  const q = text.trim();
  if (!q || busy) return;
  busy = true;
  send.disabled = true;
  const region = chosenRegion || city.value || null;
  const mine = el("div", { class: "msg msg-user" },
    el("h2", { class: "sr-only", t: "you" }),
    el("p", { class: "bubble", text: q }));
  const answerText = el("p", { class: "answer-text" });
  const typing = el("p", { class: "typing", t: "thinking" });
  const bot = el("article", { class: "msg msg-bot", "aria-busy": "true" },
    el("h2", { class: "who", t: "assistant" }), typing, answerText);
  log.append(mine, bot);
  mine.scrollIntoView({ block: "start", behavior: "smooth" });
  status.textContent = "";
  try {
    const r = await fetch("/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question: q, region, history: history.slice(-HISTORY_LIMIT) }),
    });
    if (!r.ok) throw new Error(await errorMessage(r));
    await readEvents(r, (name, payload) => {
      if (name === "delta") {
        typing.remove();
        answerText.append(payload.text);
      } else if (name === "reset") {
        answerText.textContent = ""; // what was shown failed a check; the checked answer follows
      } else if (name === "answer") {
        typing.remove();
        const card = answerCard(payload);
        answerText.replaceWith(card);
        if (payload.standalone_question && payload.standalone_question.normalize("NFKC") !== q.normalize("NFKC")) {
          // how a follow-up was read, said discreetly: 理解为：包头有生育补贴吗
          card.before(el("p", { class: "understood", text: t("understood", { question: payload.standalone_question }) }));
        }
        history.push({ role: "user", content: q }, { role: "assistant", content: payload.answer.slice(0, 4000) });
        if (payload.abstained) {
          bot.classList.add("abstained");
          card.before(el("p", { class: "badge badge-abstained", t: "abstained_label" }));
        }
        if (payload.reason === "clarify" && (payload.options || []).length) {
          // the answer depends on where: one button per region, which asks the same question for it
          bot.append(el("div", { class: "chips options", role: "group" }, payload.options.map((region) =>
            el("button", { type: "button", class: "chip", text: cityName(region), onclick: () => {
              if ([...city.options].some((o) => o.value === region)) city.value = region;
              ask(q, region);
            } }))));
        }
        bot.append(feedbackRow(payload.answer_id));
        // the question at the top again, now that the page is long enough: the whole card in view on a phone
        mine.scrollIntoView({ block: "start", behavior: "smooth" });
        bot.dataset.region = payload.region || "";
        status.textContent = t("answer_done");
      } else if (name === "error") {
        throw new Error(payload.detail);
      }
    });
  } catch (e) {
    typing.remove();
    bot.classList.add("failed");
    bot.append(el("p", { class: "error", role: "alert", text: t("error", { detail: e.message }) }));
  } finally {
    bot.setAttribute("aria-busy", "false");
    busy = false;
    send.disabled = false;
  }
}

function grow() {
  if (!question.value) { question.style.height = ""; return; } // Chrome counts the placeholder in scrollHeight
  question.style.height = "auto";
  question.style.height = `${Math.min(question.scrollHeight, 200)}px`;
}

function submit() {
  const q = question.value;
  if (!q.trim() || busy) return;
  question.value = "";
  grow();
  ask(q);
}

form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
question.addEventListener("keydown", (e) => {
  // Enter sends, Shift+Enter is a new line; never while an input method is composing a word.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
    e.preventDefault();
    submit();
  }
});
question.addEventListener("input", grow);

async function start() {
  try {
    await loadTexts();
    fillSelect(city, [{ value: "", t: "city_all" }, ...(data().covered || []).map((c) => ({ value: c, city: c }))]);
    applyTexts();
    renderExamples();
    onLangChange(renderExamples);
  } catch (e) {
    status.textContent = e.message;
  }
  langToggle($("#lang"));
  $("#new-chat").addEventListener("click", () => {  // a new conversation: follow-ups no longer read the old one
    history.length = 0;
    log.querySelectorAll(".msg").forEach((m) => m.remove());
    status.textContent = t("new_chat_done");
    question.focus();
  });
  document.body.classList.add("ready");
}

start();
