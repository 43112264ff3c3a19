"""The web pages in a real browser: Debian's Chromium driven by Playwright against the app served by
uvicorn over HTTP with the real assistant. Also the routes only the pages use (/api/ask/stream,
/api/feedback, /api/compare) over HTTP, the Content-Security-Policy and the feedback store."""
from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from familydesk import Assistant
from familydesk.app import create_app
from familydesk.settings import PROJECT_ROOT, Settings

from .helpers import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
WEB = PROJECT_ROOT / "src" / "familydesk" / "web"
PATERNITY = "how long is paternity leave in Baotou"
BAOTOU_DOC = "baotou-2025-task-list"


# ---- fixtures ----------------------------------------------------------------------------
class Web:
    def __init__(self, server: LiveServer, data_dir: Path) -> None:
        self.url = server.url
        self.data_dir = data_dir


@pytest.fixture(scope="module")
def web(assistant, tmp_path_factory):
    """The app over HTTP with its own data folder in tmp (not created yet); the index and the model are the
    shared assistant's, so nothing is embedded again."""
    data_dir = tmp_path_factory.mktemp("web") / "data"
    settings = Settings(rate_limit=0, data_dir=data_dir, prompts_dir=PROJECT_ROOT / "prompts",
                        chroma_dir=assistant.settings.chroma_dir)
    own = Assistant(settings, embeddings=assistant.embeddings, embedding_fingerprint=assistant.embedding_fingerprint)
    with LiveServer(create_app(own.load(), settings)) as server:
        yield Web(server, data_dir)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup-browser` installs Debian's chromium")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page plus everything that went wrong in it: console errors, uncaught errors, dialogs."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def open_page(browser, web):
    """open_page(path, **context options) → a loaded page; after the test: no console errors."""
    opened: list[tuple] = []

    def _open(path: str = "/", **options) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        page = context.new_page()
        watched = Watched(page)
        page.watched = watched
        opened.append((context, watched))
        page.goto(web.url + path)
        page.wait_for_selector("body.ready", state="attached")
        return page

    yield _open
    for context, watched in opened:
        context.close()
        assert watched.errors == [], watched.errors
        assert watched.dialogs == [], watched.dialogs


def ask(page: Page, question: str, n: int) -> None:
    """Type a question, press Enter and wait for the n-th answer to finish."""
    page.fill("#question", question)
    page.press("#question", "Enter")
    expect(page.locator(".msg-bot")).to_have_count(n)
    expect(page.locator(".msg-bot").nth(n - 1)).to_have_attribute("aria-busy", "false")


# ---- the parents' chat -------------------------------------------------------------------
def test_chat_streams_a_cited_answer(open_page):
    page = open_page("/")  # how soon the first text shows: bench/deadlines.py
    page.fill("#question", PATERNITY)
    page.press("#question", "Enter")
    page.wait_for_selector(".msg-bot .answer-text:not(:empty)")  # streamed text, then the answer card's lead

    bot = page.locator(".msg-bot").first
    expect(bot).to_have_attribute("aria-busy", "false")
    expect(bot.locator(".answer-lead")).to_have_text("Baotou: 25 days of paternity leave (护理假)")
    card = bot.locator(".evidence")
    expect(card).to_have_count(1)  # the one clause the answer quotes; the others are related clauses
    expect(card.locator(".cite-line")).to_contain_text("第（二）条")
    expect(card.locator(".cite-line")).to_contain_text("包府办发〔2025〕49号")
    expect(card.locator(".cite-line")).to_contain_text("2025-08-06")
    expect(card.locator(".answer-quote")).to_contain_text("25天的护理假")
    # the full clause and the document are folded; a tap opens them, the quoted sentence marked inside
    body = card.locator(".cite-body")
    expect(body).to_be_hidden()
    card.locator("summary").click()
    expect(body).to_be_visible()
    expect(body.locator(".clause-text")).to_contain_text("全面落实生育休假制度")
    expect(body.locator("mark.quote")).to_contain_text("男职工享受25天的护理假")
    expect(body.locator(".facts")).to_contain_text("包头市人民政府办公室")
    related = bot.locator(".related")
    expect(related.locator("summary")).to_contain_text("Related clauses")
    expect(related.locator(".related-list")).to_be_hidden()
    expect(page.locator(".msg-user .bubble")).to_have_text(PATERNITY)


def test_city_choice_carries_into_follow_ups(open_page):
    page = open_page("/")
    bodies = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/api/ask/stream") else None)
    page.select_option("#city", "包头")
    ask(page, "产假多少天", 1)
    ask(page, "育儿假呢？", 2)
    assert [b["region"] for b in bodies] == ["包头", "包头"]
    assert [b["question"] for b in bodies] == ["产假多少天", "育儿假呢？"]
    expect(page.locator("#city")).to_have_value("包头")
    expect(page.locator(".msg-bot").first).to_contain_text("158天")
    page.select_option("#city", "")
    ask(page, "托育", 3)
    assert bodies[-1]["region"] is None


def test_language_follows_the_browser_and_toggles(open_page):
    page = open_page("/", locale="zh-CN")
    expect(page.locator("h1")).to_have_text("生育政策问答")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#examples .chip").first).to_have_text("包头护理假有多少天？")
    page.click("#lang")
    expect(page.locator("h1")).to_have_text("Family policy Q&A")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#city option").nth(2)).to_have_text("Baotou")
    page.locator("#examples .chip").first.click()  # the English example is asked at once
    expect(page.locator(".msg-bot .answer-text")).to_contain_text("25 days")

    english = open_page("/", locale="en-US")
    expect(english.locator("h1")).to_have_text("Family policy Q&A")
    expect(english.locator("#question")).to_have_attribute("placeholder", "Type your question…")


def test_abstained_answer_points_to_12345_and_shift_enter_is_a_new_line(open_page):
    page = open_page("/", locale="zh-CN")
    page.fill("#question", "杭州产假")
    page.press("#question", "Shift+Enter")
    page.keyboard.type("多少天")
    expect(page.locator("#question")).to_have_value("杭州产假\n多少天")
    expect(page.locator(".msg-bot")).to_have_count(0)  # Shift+Enter did not send
    page.press("#question", "Enter")
    bot = page.locator(".msg-bot").first
    expect(bot).to_have_class(re.compile("abstained"))
    expect(bot).to_contain_text("12345")
    expect(bot.locator(".badge-abstained")).to_have_text("文件中没有写明")


def test_script_in_a_question_or_a_clause_stays_text(open_page, web):
    page = open_page("/")
    attack = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    ask(page, attack, 1)
    expect(page.locator(".msg-user .bubble")).to_have_text(attack)
    assert page.locator("#log script, #log img").count() == 0

    # a document text holding markup: served by a faked /api/search, rendered by the staff console
    staff = open_page("/staff")
    hit = httpx.get(web.url + "/api/search", params={"q": "护理假", "k": 1}).json()["hits"][0]
    evil = '<script>alert(3)</script><img src=x onerror="alert(4)">'
    hit.update(text=f"护理假{evil}", quote=f"护理假{evil}")
    staff.route(re.compile(r"/api/search\?"), lambda route: route.fulfill(json={"hits": [hit]}))
    staff.fill("#q", "护理假")
    expect(staff.locator(".result")).to_have_count(1)
    expect(staff.locator(".r-snippet")).to_contain_text(evil)
    staff.press("#q", "Enter")
    expect(staff.locator("#clause-body .clause-text")).to_contain_text(evil)
    assert staff.locator("#results script, #results img, #clause-body script, #clause-body img").count() == 0


def test_feedback_is_stored_without_personal_data(open_page, web):
    page = open_page("/")
    ask(page, "我的电话13812345678，产假多少天", 1)
    page.locator('.msg-bot button[data-vote="down"]').click()
    expect(page.locator(".feedback-note")).to_have_text("Thanks for the feedback!")
    expect(page.locator('button[data-vote="down"]')).to_have_attribute("aria-pressed", "true")

    db = web.data_dir / "feedback.sqlite3"
    assert db.exists()
    with sqlite3.connect(db) as con:
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute("SELECT * FROM feedback")]
    row = rows[-1]
    assert row["vote"] == "down" and row["language"] == "zh" and row["abstained"] == 0
    assert f"{BAOTOU_DOC}:2" in row["citations"] and re.fullmatch(r"[0-9a-f]{32}", row["question_hash"])
    raw = db.read_bytes()  # the votes keep no question text at all (the query log keeps it redacted)
    assert b"13812345678" not in raw and "电话".encode() not in raw
    for path in web.data_dir.rglob("*"):
        if path.is_file():
            assert b"13812345678" not in path.read_bytes(), path

    # the API refuses anything that is not an answer id and a vote
    for payload in ({"answer_id": "13812345678 is my phone", "vote": "up"}, {"answer_id": "ab" * 16, "vote": "meh"},
                    {"vote": "up"}):
        assert httpx.post(web.url + "/api/feedback", json=payload).status_code == 422


# ---- the staff console ---------------------------------------------------------------------
def test_staff_search_filters_keyboard_and_copy(open_page, web):
    page = open_page("/staff", permissions=["clipboard-read", "clipboard-write"])
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("产假")
    results = page.locator("#results .result")
    expect(results.first).to_be_visible()
    expect(page.locator("#results")).to_contain_text("158")
    expect(page.locator("#results")).to_contain_text("188")
    cities = set(page.locator("#results .result .badge").all_inner_texts())
    assert {"北京", "包头", "赣州"} <= cities or {"Beijing", "Baotou", "Ganzhou"} <= cities
    marks = page.locator("#results mark").all_inner_texts()
    assert marks and set(marks) == {"产假"}

    # filters: city (server side), document and section (in the page)
    page.select_option("#f-city", "包头")
    expect(page.locator("#results .result .badge").first).to_have_text("Baotou")
    assert set(page.locator("#results .result").evaluate_all("ns => ns.map(n => n.dataset.id.split(':')[0])")) \
        == {BAOTOU_DOC}
    page.select_option("#f-doc", BAOTOU_DOC)
    page.select_option("#f-section", "二、加强育幼服务体系建设")
    expect(page.locator("#search-status")).to_contain_text("matching")
    ids = page.locator("#results .result").evaluate_all("ns => ns.map(n => n.dataset.id)")
    outline = {c["id"]: c["section"] for d in httpx.get(web.url + "/api/documents").json() for c in d["clauses"]}
    assert ids and all(outline[i] == "二、加强育幼服务体系建设" for i in ids)
    page.select_option("#f-section", "")
    page.select_option("#f-city", "")
    expect(page.locator("#f-doc")).to_have_value(BAOTOU_DOC)  # still a valid choice for every city

    # keyboard: arrows move, Enter opens, c copies 《title》（number）第（二）条：quote
    page.focus("#q")
    first_id = results.first.get_attribute("data-id")
    assert first_id == f"{BAOTOU_DOC}:2"
    expect(results.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    view = page.locator("#clause-body .clause")
    expect(view).to_have_attribute("data-id", first_id)
    expect(view).to_contain_text("市人社局、总工会、卫健委")
    expect(view).to_contain_text("一、完善生育服务支持措施")
    expect(page.locator("#clause-title")).to_be_focused()
    page.keyboard.press("c")
    hit = httpx.get(web.url + "/api/search", params={"q": "产假", "region": "包头", "k": 1}).json()["hits"][0]
    expected = f"{hit['reference']}：{hit['quote']}"
    assert expected.startswith("《包头市加快完善生育支持政策体系推动建设生育友好型社会重点任务清单》（包府办发〔2025〕49号）第（二）条：")
    expect(page.locator("#copy-status")).to_contain_text(expected)
    assert page.evaluate("navigator.clipboard.readText()") == expected
    assert page.get_attribute("#copy", "data-citation") == expected
    # another sentence of the clause can be quoted instead
    page.locator("#clause-body .sent").filter(has_text="加大对生育休假落实情况的监督力度").click()
    page.click("#copy")
    assert page.evaluate("navigator.clipboard.readText()").endswith("：加大对生育休假落实情况的监督力度，依法维护劳动者生育休假权利。")
    # ... or chosen with the keyboard: Tab reaches each sentence (its focus visible), Space or Enter picks it
    sents = page.locator("#clause-body .sent")
    assert sents.count() >= 2
    page.focus("#clause-title")
    page.keyboard.press("Tab")
    expect(sents.first).to_be_focused()
    assert sents.first.evaluate("n => getComputedStyle(n).outlineStyle") != "none"
    page.keyboard.press("Space")
    expect(sents.first).to_have_attribute("aria-pressed", "true")
    expect(sents.first).to_have_class(re.compile("is-quote"))
    assert page.get_attribute("#copy", "data-citation") == f"{hit['reference']}：{sents.first.inner_text().strip()}"
    page.keyboard.press("Tab")
    expect(sents.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(sents.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(sents.first).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#clause-body .sent.is-quote")).to_have_count(1)
    page.keyboard.press("c")  # a sentence is not a text field: the shortcut copies the chosen one
    second = f"{hit['reference']}：{sents.nth(1).inner_text().strip()}"
    expect(page.locator("#copy-status .copied-text")).to_have_text(second)
    assert page.evaluate("navigator.clipboard.readText()") == second
    page.keyboard.press("Escape")
    expect(page.locator("#q")).to_be_focused()


def test_staff_single_key_shortcuts_can_be_switched_off(open_page):
    page = open_page("/staff", permissions=["clipboard-read", "clipboard-write"])
    toggle, q = page.locator("#shortcuts"), page.locator("#q")
    expect(toggle).to_be_visible()
    expect(toggle).to_be_checked()  # on by default
    page.keyboard.press("/")
    expect(q).to_be_focused()
    page.keyboard.type("产假/c")  # in a text field the keys are text, never shortcuts
    expect(q).to_have_value("产假/c")
    q.fill("产假")
    page.locator("#results .result").first.click()
    expect(page.locator("#clause-title")).to_be_focused()

    toggle.uncheck()
    expect(page.locator("#copy kbd")).to_be_hidden()  # no hint for a key that is off
    page.focus("#clause-title")
    page.keyboard.press("c")
    page.keyboard.press("/")
    expect(q).not_to_be_focused()
    expect(page.locator("#copy-status")).to_be_empty()  # nothing was copied
    page.click("#copy")  # the button still copies
    expect(page.locator("#copy-status .copied-text")).not_to_be_empty()

    page.reload()  # the choice is remembered in this browser
    page.wait_for_selector("body.ready", state="attached")
    expect(toggle).not_to_be_checked()
    page.keyboard.press("/")
    expect(q).not_to_be_focused()
    toggle.check()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("/")
    expect(q).to_be_focused()


def test_staff_compare_and_browse(open_page, web):
    page = open_page("/staff", locale="zh-CN")
    page.click("#tab-compare")
    page.fill("#topic", "产假")
    page.press("#topic", "Enter")
    cols = page.locator("#compare .compare-col")
    expect(cols).to_have_count(3)
    expect(cols.locator("h3")).to_have_text(["北京", "包头", "赣州"])
    baotou = page.locator('.compare-col[data-region="包头"]')
    expect(baotou).to_have_attribute("data-id", f"{BAOTOU_DOC}:2")
    expect(baotou).to_contain_text("第（二）条")
    expect(baotou.locator(".quote")).to_contain_text("158天的产假")

    page.locator("#topics .chip", has_text="护理假").click()
    ganzhou = page.locator('.compare-col[data-region="赣州"]')
    expect(ganzhou).to_have_class(re.compile("not-stated"))
    expect(ganzhou.locator(".not-stated-label")).to_have_text("未规定")
    expect(page.locator('.compare-col[data-region="包头"] .quote')).to_contain_text("25天的护理假")

    body = httpx.get(web.url + "/api/compare", params={"topic": "护理假"}).json()
    by_city = {c["region"]: c for c in body["columns"]}
    assert by_city["包头"]["stated"] and by_city["包头"]["citation"]["id"] == f"{BAOTOU_DOC}:2"
    assert not by_city["赣州"]["stated"] and by_city["赣州"]["citation"] is None and by_city["赣州"]["closest"]
    assert httpx.get(web.url + "/api/compare", params={"topic": ""}).status_code == 422

    # browse a document by its outline, open a clause, and find it back in its document
    page.click("#tab-browse")
    page.select_option("#b-doc", BAOTOU_DOC)
    expect(page.locator("#doc-view .outline h4").first).to_have_text("一、完善生育服务支持措施")
    page.locator("#doc-view .outline-item", has_text="全面落实生育休假制度").click()
    expect(page.locator("#clause-body .clause")).to_have_attribute("data-id", f"{BAOTOU_DOC}:2")
    expect(page.locator("#clause-title")).to_have_text(re.compile(r"第（二）条$"))
    page.click("text=在文件中查看")
    expect(page.locator("#doc-view .outline-item.is-current")).to_have_attribute("data-id", f"{BAOTOU_DOC}:2")


# ---- layout ----------------------------------------------------------------------------------
def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 640, "height": 450}],
                         ids=["phone", "1280px-at-200%"])
def test_small_screens_never_scroll_sideways(open_page, viewport):
    scale = 3 if viewport["width"] == 390 else 2
    page = open_page("/", viewport=viewport, device_scale_factor=scale, has_touch=True, locale="zh-CN")
    _no_horizontal_scroll(page)
    ask(page, PATERNITY, 1)
    page.locator(".evidence summary").first.click()
    _no_horizontal_scroll(page)
    expect(page.locator("#send")).to_be_in_viewport()

    staff = open_page("/staff", viewport=viewport, device_scale_factor=scale, has_touch=True, locale="zh-CN")
    staff.fill("#q", "产假")
    expect(staff.locator(".result").first).to_be_visible()
    staff.locator(".result").first.click()
    expect(staff.locator("#clause-body .clause")).to_be_visible()
    _no_horizontal_scroll(staff)
    staff.click("#tab-compare")
    staff.locator("#topics .chip").first.click()
    expect(staff.locator(".compare-col")).to_have_count(3)
    _no_horizontal_scroll(staff)


PHONE = {"width": 390, "height": 844}
# the flagship question, and one the documents answer only with "not stated" (and the closest clause)
ON_A_PHONE = [("包头陪产假多少天", "【包头】男职工护理假（陪产假）25天", False),
              ("赣州育儿补贴有多少", "【赣州】文件没有写明育儿补贴的具体金额", True)]


def _settled(page: Page) -> None:
    """Wait until the page stops scrolling (the chat scrolls a new question into view, smoothly)."""
    page.wait_for_function("""() => new Promise((done) => { const y = scrollY;
        requestAnimationFrame(() => requestAnimationFrame(() => done(scrollY === y))); })""")


@pytest.mark.parametrize("question, lead, not_stated", ON_A_PHONE, ids=["flagship", "not-stated"])
def test_phone_answer_fits_one_screen_quote_once_source_in_view(open_page, web, question, lead, not_stated):
    page = open_page("/", viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True, locale="zh-CN")
    ask(page, question, 1)
    _settled(page)
    bot = page.locator(".msg-bot").first
    expect(bot.locator(".answer-lead")).to_contain_text(lead)
    height = bot.bounding_box()["height"]
    print(f"\nanswer block {height:.0f} px tall at 390×844")
    assert height <= PHONE["height"]  # before any expansion

    reply = httpx.post(web.url + "/api/ask", json={"question": question}).json()
    assert reply["abstained"] is not_stated
    used = [c for c in reply["citations"] if c["used"]]
    assert len(used) == 1 and len(reply["citations"]) > 1
    sentence = used[0]["quote"]
    assert page.evaluate("document.body.innerText").count(sentence) == 1  # the quoted sentence, once

    # the used citation, whole, between the sticky top bar and the composer: read without scrolling
    line = bot.locator(".evidence .cite-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text(used[0]["reference"])
    top, bottom = page.evaluate("""() => [document.querySelector('.topbar').getBoundingClientRect().bottom,
                                          document.querySelector('.composer-wrap').getBoundingClientRect().top]""")
    box = line.bounding_box()
    assert top <= box["y"] and box["y"] + box["height"] <= bottom, (top, box, bottom)
    # the related clauses are not sources: folded apart, none of them shown
    expect(bot.locator(".related .related-list")).to_be_hidden()
    assert page.evaluate("document.body.innerText").count("出处：") == 1


def test_answer_card_copies_the_citation_and_shares_the_clause_page(open_page, web):
    page = open_page("/", locale="zh-CN", permissions=["clipboard-read", "clipboard-write"])
    ask(page, "包头陪产假多少天", 1)
    card = page.locator(".evidence").first
    card.locator(".card-action", has_text="复制出处").click()
    expect(card.locator(".card-action").first).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "《包头市加快完善生育支持政策体系推动建设生育友好型社会重点任务清单》（包府办发〔2025〕49号）第（二）条（2025-08-06）"
    card.locator(".card-action", has_text="分享条款").click()  # no share sheet on a desktop: the link is copied
    expect(card.locator(".card-action").nth(1)).to_have_text("链接已复制")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == f"{web.url}/clause/{BAOTOU_DOC}%3A2"
    clause = open_page(link.removeprefix(web.url), locale="en-US")  # the page a shared link opens, for a person
    expect(clause.locator("h1")).to_contain_text("第（二）条")
    expect(clause.locator(".clause-text")).to_contain_text("男职工享受25天的护理假")
    expect(clause.locator(".facts")).to_contain_text("包头市人民政府办公室")
    expect(clause.locator("main a[href='/']")).to_have_text("← Back to the questions")


def test_clause_page_is_html_for_a_person_and_404s_readably(web):
    r = httpx.get(f"{web.url}/clause/{BAOTOU_DOC}:2", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    assert "<h1 class=\"clause-ref\">《包头市" in r.text and "责任单位" in r.text and "<script" not in r.text
    assert "http://" not in r.text and "https://" not in r.text  # nothing remote
    r = httpx.get(f"{web.url}/clause/{BAOTOU_DOC}:2?lang=en")
    assert "Responsible units" in r.text and 'lang="en"' in r.text
    missing = httpx.get(f"{web.url}/clause/<b>nope:1", headers={"Accept-Language": "zh-CN"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "没有找到这个条款：&lt;b&gt;nope:1" in missing.text


# ---- HTTP: pages, headers, stream ------------------------------------------------------------
def test_pages_carry_the_csp_and_use_no_inline_or_remote_code(web):
    for path in ("/", "/staff"):
        r = httpx.get(web.url + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff"
        html = r.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
        assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son\w+=", html)
        for asset in re.findall(r'(?:src|href)="(/[^"]*)"', html):
            assert httpx.get(web.url + asset).status_code == 200, asset
        assert httpx.head(web.url + path).status_code == 200
    assert httpx.get(web.url + "/static/app.css").headers["content-security-policy"] == CSP
    assert httpx.get(web.url + "/favicon.ico").status_code == 200
    for path in WEB.iterdir():  # no CDN: nothing is fetched from another host
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href|url|import)\W+https?://", text, re.I), path.name
        assert ".innerHTML" not in text and "insertAdjacentHTML" not in text and "eval(" not in text, path.name
    texts = httpx.get(web.url + "/texts.json").json()
    assert texts["covered"] == ["北京", "包头", "赣州"] and set(texts["zh"]) == set(texts["en"])
    assert httpx.get(web.url + "/static/%2e%2e/web_routes.py").status_code == 404


def test_stream_sends_deltas_then_the_answer(web):
    events = []  # how soon the first byte comes: bench/deadlines.py
    with httpx.stream("POST", web.url + "/api/ask/stream", json={"question": PATERNITY}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        buffer = "".join(r.iter_text())
        for frame in buffer.strip().split("\n\n"):
            lines = dict(line.split(": ", 1) for line in frame.split("\n"))
            events.append((lines["event"], json.loads(lines["data"])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "delta" and kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"}
    answer = events[-1][1]
    assert "".join(d["text"] for _, d in events[:-1]) == answer["answer"]
    assert answer["region"] == "包头" and answer["citations"][0]["clause"] == "（二）"
    assert re.fullmatch(r"[0-9a-f]{32}", answer["answer_id"])
    # client errors are answered before the stream starts, as JSON
    for payload in ({"question": ""}, {"question": "产假", "region": "Hangzhou"}):
        r = httpx.post(web.url + "/api/ask/stream", json=payload)
        assert r.status_code == 422 and "detail" in r.json()


def test_web_files_ship_with_the_package():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "web/*" in config["tool"]["setuptools"]["package-data"]["familydesk"]
    names = {p.name for p in WEB.iterdir()}
    assert {"index.html", "staff.html", "app.css", "common.js", "chat.js", "staff.js", "favicon.svg"} <= names
    # the staff console's modules, imported by the browser with relative paths (no build step)
    staff = {"staff-state.js", "staff-tabs.js", "staff-filters.js", "staff-search.js", "staff-clause.js",
             "staff-browse.js", "staff-compare.js", "staff-keys.js"}
    assert staff <= names
    imported = {m for p in WEB.glob("*.js") for m in re.findall(r'from "\./([\w-]+\.js)"', p.read_text(encoding="utf-8"))}
    assert staff <= imported <= names  # every module is used, every import is shipped


def test_chat_follow_up_is_understood_and_new_conversation_forgets(open_page):
    page = open_page("/")
    ask(page, "北京有生育补贴吗", 1)
    ask(page, "包头呢？", 2)
    second = page.locator(".msg-bot").nth(1)
    expect(second.locator(".understood")).to_have_text("Understood as: 包头有生育补贴吗")  # the page is in English
    expect(second.locator(".answer-text")).to_contain_text("包头")
    page.click("#new-chat")
    expect(page.locator(".msg")).to_have_count(0)
    ask(page, "包头呢？", 1)  # read on its own now: a place alone is asked back
    expect(page.locator(".msg-bot").first.locator(".understood")).to_have_count(0)
