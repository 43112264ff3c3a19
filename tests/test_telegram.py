"""The Telegram bot end to end: the real python-telegram-bot Application polls a stand-in Bot API on
127.0.0.1 (tests/fake_bot_api.py) and answers with the real Assistant (USE embeddings, Chroma)."""
from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from familydesk.models import Answer
from familydesk.telegram_bot import LIMIT, Texts, build_application, split_message, tg_len, webhook_router

from .fake_bot_api import BOT_USERNAME, FakeBotAPI
from .helpers import wait_until

# python-telegram-bot itself reads RetryAfter.retry_after, which it deprecated in 22.2
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

TOKEN = "7000001:AAF-test-token-Zq9xK3vLm2Np8Rt5Yw"
PATERNITY = "how long is paternity leave in Baotou"


@pytest.fixture(autouse=True)
def _no_real_token(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)


def bot_settings(settings, api: FakeBotAPI, data_dir: Path, **overrides):
    return settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN), "telegram_base_url": api.base_url,
                                       "data_dir": data_dir, **overrides})


class RunningBot:
    """The real Application's `run_polling` (as `familydesk telegram` runs it) in a thread of its own."""

    def __init__(self, application) -> None:
        self.application = application
        self.error: BaseException | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.application.run_polling(poll_interval=0, timeout=1, stop_signals=None, close_loop=False)
        except BaseException as e:  # reported by __enter__
            self.error = e
        finally:
            self.loop.close()

    def __enter__(self) -> "RunningBot":
        self.thread.start()
        up = lambda: self.application.running and self.application.updater.running  # noqa: E731
        wait_until(lambda: up() or self.error is not None or not self.thread.is_alive(), timeout=30, interval=0.02,
                   what="the bot")
        if not up():
            raise RuntimeError(f"the bot did not start: {self.error!r}")
        return self

    def settle(self, api: FakeBotAPI) -> None:
        """The end marker: a /start from a chat of its own, sent after everything else, and its welcome. Updates are
        fetched and taken up in order, so by the welcome every earlier update has started; once none is in progress
        any more, everything sent before the marker has been handled and whatever it was going to send, sent."""
        chat = next(_marker_chats)
        api.send("/start", chat_id=chat)
        api.wait_sent(chat)
        processor = self.application.update_processor
        wait_until(lambda: processor.current_concurrent_updates == 0 and self.application.update_queue.empty(),
                   timeout=30, interval=0.01, what="the bot's updates in progress")

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.application.stop_running)
        self.thread.join(20)
        assert not self.thread.is_alive(), "the bot did not stop"


@pytest.fixture(scope="module")
def api():
    with FakeBotAPI(TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def running(assistant, settings, api, tmp_path_factory) -> RunningBot:
    """One bot for the tests that only talk to it; each test uses its own chat."""
    with RunningBot(build_application(assistant, bot_settings(settings, api, tmp_path_factory.mktemp("tg")))) as bot:
        yield bot


@pytest.fixture(scope="module")
def bot(running, api) -> FakeBotAPI:
    """The stand-in Bot API the running bot polls."""
    return api


_chats = iter(range(2001, 3000))
_marker_chats = iter(range(9001, 10000))


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


# ---- commands and answers -----------------------------------------------------------------
def test_start_welcomes_in_both_languages_with_example_buttons(bot, assistant):
    chat = next(_chats)
    bot.send("/start", chat_id=chat)
    [welcome] = bot.wait_sent(chat)
    texts = Texts(assistant.settings.prompts_dir)
    assert texts("zh", "welcome") in welcome["text"] and texts("en", "welcome") in welcome["text"]
    assert "北京" in welcome["text"] and "Baotou" in welcome["text"] and welcome["parse_mode"] == "HTML"
    buttons = [b for row in welcome["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == texts.examples
    # an example button is answered like a typed question
    bot.press(bot.bot_message(chat), "ask:0")
    answer = bot.wait_sent(chat, 2)[1]
    assert "188天" in answer["text"] and "（二）" in answer["text"]
    assert bot.calls_to("answerCallbackQuery") and bot.calls_to("setMyCommands")
    # python-telegram-bot posts form fields (JSON-encoded values); the stand-in decoded them
    assert bot.calls_to("sendMessage", chat)[0].content_type == "application/x-www-form-urlencoded"


def test_paternity_leave_answer_cites_clause_and_shows_it(bot):
    chat = next(_chats)
    bot.send(PATERNITY, chat_id=chat, language_code="en")
    [reply] = bot.wait_sent(chat)
    assert "25天" in reply["text"] and "（二）" in reply["text"] and "包府办发〔2025〕49号" in reply["text"]
    assert reply["parse_mode"] == "HTML"
    actions = bot.calls_to("sendChatAction", chat)
    assert actions and actions[0].params["action"] == "typing"
    # the lead glosses the term; one citation line and one 📄 原文 button for the clause used, one for the related
    assert "<b>Baotou: 25 days of paternity leave (护理假)</b>" in reply["text"]
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    lines = [line for line in reply["text"].splitlines() if line.startswith("Source: 《")]
    assert len(lines) == 1 and [b["text"] for b in buttons[:-1]] == ["📄 原文 1"]
    assert buttons[0]["callback_data"] == "clause:baotou-2025-task-list:2"
    assert buttons[-1]["text"].startswith("Related clauses (") and buttons[-1]["callback_data"].startswith("related:")
    bot.press(bot.bot_message(chat), buttons[0]["callback_data"])
    clause = bot.wait_sent(chat, 2)[1]["text"]
    assert "男职工享受25天的护理假" in clause and "第（二）条" in clause


def test_flagship_answer_fits_a_phone_screen_and_lists_only_used_clauses_as_sources(bot, assistant):
    chat = next(_chats)
    bot.send("包头陪产假多少天", chat_id=chat)
    [reply] = bot.wait_sent(chat)
    text = unescape(re.sub(r"<[^>]+>", "", reply["text"]))  # what the phone shows (Telegram counts it so)
    assert tg_len(text) <= 600, (tg_len(text), text)
    answer = assistant.ask("包头陪产假多少天")
    [used] = answer.used
    assert len(answer.related) >= 2
    assert text.startswith("❓ 包头陪产假多少天\n\n【包头】男职工护理假（陪产假）25天\n")
    assert text.count(used.quote) == 1 and text.count("出处：") == 1
    assert f"出处：{used.reference}（{used.date}）" in text
    for c in answer.related:  # retrieved, not used: never listed as a source
        assert c.clause not in text.split(used.quote)[-1] and c.reference not in text
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["📄 原文 1", f"相关条款（{len(answer.related)}）"]
    # the related clauses, on demand: under their own title, each behind its 📄 原文 button
    bot.press(bot.bot_message(chat), buttons[1]["callback_data"])
    listed = bot.wait_sent(chat, 2)[1]
    assert listed["text"].startswith("<b>相关条款") and "出处" not in listed["text"].split("</b>", 1)[1]
    assert all(c.reference in unescape(listed["text"]) for c in answer.related)
    related_buttons = [b["callback_data"] for row in listed["reply_markup"]["inline_keyboard"] for b in row]
    assert related_buttons == [f"clause:{c.id}" for c in answer.related]


def test_three_child_maternity_leave(bot):
    chat = next(_chats)
    bot.send("包头三孩产假多少天", chat_id=chat)
    [reply] = bot.wait_sent(chat)
    assert "188天" in reply["text"] and "（二）" in reply["text"]


def test_help_and_lang(bot):
    chat = next(_chats)
    bot.send("/help", chat_id=chat)
    assert "/city" in bot.wait_sent(chat)[0]["text"]
    bot.send("/lang", chat_id=chat)
    bot.wait_sent(chat, 2)
    bot.press(bot.bot_message(chat), "lang:en")
    bot.wait_for(lambda: bot.calls_to("editMessageText", chat), what="the language confirmation")
    bot.send("/help", chat_id=chat)
    assert "Just send a question" in bot.wait_sent(chat, 3)[2]["text"]


def test_html_in_a_question_is_escaped(bot):
    chat = next(_chats)
    bot.send("<b>包头</b>三孩产假多少天 & 护理假", chat_id=chat)
    [reply] = bot.wait_sent(chat)
    # the stand-in rejects bad HTML with a 400, as Telegram does; this one went through
    assert "&lt;b&gt;包头&lt;/b&gt;" in reply["text"] and "&amp;" in reply["text"] and reply["parse_mode"] == "HTML"
    assert not bot.calls_to("sendMessage", chat, ok=False)


def test_bot_api_429_is_survived(bot):
    chat = next(_chats)
    bot.fail_next("sendMessage")  # 429, retry_after 1
    bot.send("包头三孩产假多少天", chat_id=chat)
    [reply] = bot.wait_sent(chat)
    assert "188天" in reply["text"]
    [refused] = bot.calls_to("sendMessage", chat, ok=False)
    assert refused.status == 429
    assert bot.calls_to("sendMessage", chat)[0].at - refused.at >= 1.0  # waited retry_after


def test_groups_answer_only_when_mentioned_or_replied_to(bot, running):
    chat = -1001234567
    bot.send("包头三孩产假多少天", chat_id=chat, group=True, user_id=601)
    asked = bot.send(f"@{BOT_USERNAME} 包头三孩产假多少天", chat_id=chat, group=True, user_id=601)
    [reply] = bot.wait_sent(chat)
    assert "188天" in reply["text"] and "@" not in reply["text"]
    assert reply["reply_parameters"]["message_id"] == asked["message_id"]
    bot.send(PATERNITY, chat_id=chat, group=True, user_id=602,
             reply_to=bot.bot_message(chat))
    assert "25天" in bot.wait_sent(chat, 2)[1]["text"]
    running.settle(bot)
    assert len(bot.sent(chat)) == 2  # the message without mention was never answered


def test_long_answer_is_split_at_sentences(bot, assistant, monkeypatch):
    citation = assistant.clause("baotou-2025-task-list:2")
    sentences = [f"第{i}句：女职工享受一、二孩158天的产假、三孩188天的产假。" for i in range(400)]
    long = Answer(answer="".join(sentences), abstained=False, region="包头", citations=[replace(citation, used=True)],
                  language="zh")
    monkeypatch.setattr(assistant, "ask", lambda question, region=None, history=None: long)
    chat = next(_chats)
    bot.send("包头产假", chat_id=chat)
    bot.wait_for(lambda: any("reply_markup" in m for m in bot.sent(chat)), what="the last part")
    parts = bot.sent(chat)
    assert len(parts) >= 3 and all(tg_len(p["text"]) <= LIMIT for p in parts)
    assert all(p["text"].endswith("。") for p in parts[:-1])  # cut at sentence ends
    assert "reply_markup" in parts[-1] and "（二）" in parts[-1]["text"]
    joined = "".join(p["text"] for p in parts)
    assert all(s in joined for s in sentences)


def test_split_message_directly():
    text = "".join(f"这是第{i}句，<含有>要转义的字符&。" for i in range(600)) + "Last sentence. " * 300
    parts = split_message(text)
    assert len(parts) > 2 and all(tg_len(p) <= LIMIT for p in parts)
    assert "".join(unescape(p) for p in parts).replace(" ", "") == text.replace(" ", "")
    assert all(p.endswith(("。", ".")) for p in parts)
    # one sentence longer than a message is still cut to fit
    assert all(tg_len(p) <= 100 for p in split_message("长" * 1000, limit=100))


# ---- state, flood control, errors, logs -------------------------------------------------
def test_city_choice_survives_a_restart(assistant, settings, tmp_path):
    chat = 4001
    with FakeBotAPI(TOKEN) as api:
        s = bot_settings(settings, api, tmp_path)
        with RunningBot(build_application(assistant, s)):
            api.send("/city", chat_id=chat)
            [prompt] = api.wait_sent(chat)
            labels = [b["text"] for row in prompt["reply_markup"]["inline_keyboard"] for b in row]
            assert [label.split()[0] for label in labels] == ["北京", "包头", "赣州", "全部"]
            api.press(api.bot_message(chat), "city:包头")
            edit = api.wait_for(lambda: api.calls_to("editMessageText", chat), what="the city confirmation")[0]
            assert "包头" in edit.params["text"]
        assert (tmp_path / "telegram.pickle").exists()
        with RunningBot(build_application(assistant, s)):  # a new Application, same data dir
            api.send("三孩产假多少天", chat_id=chat)
            [_, answer] = api.wait_sent(chat, 2)
            assert "【包头】" in answer["text"] and "188天" in answer["text"] and "【北京】" not in answer["text"]
            api.send("/city", chat_id=chat)
            assert "包头" in api.wait_sent(chat, 3)[2]["text"]


def test_per_user_limit_replies_politely_once(assistant, settings, tmp_path):
    chat = 4002
    with FakeBotAPI(TOKEN) as api, \
            RunningBot(build_application(assistant, bot_settings(settings, api, tmp_path, telegram_user_limit=2))) as bot:
        for _ in range(2):
            api.send("包头护理假", chat_id=chat)
        api.wait_sent(chat, 2)
        api.send("包头护理假", chat_id=chat)
        api.send("包头护理假", chat_id=chat)
        refusal = api.wait_sent(chat, 3)[2]["text"]
        assert "秒" in refusal and "25天" not in refusal
        bot.settle(api)
        assert len(api.sent(chat)) == 3  # said once, then quiet


def test_errors_apologise_and_token_never_logged(assistant, settings, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    chat = 4003
    with FakeBotAPI(TOKEN) as api:
        with RunningBot(build_application(assistant, bot_settings(settings, api, tmp_path))):
            api.send(PATERNITY, chat_id=chat)
            assert "25天" in api.wait_sent(chat)[0]["text"]
            # the answer is refused for good (not a 429): the error handler apologises and the bot goes on
            api.fail_next("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat gone"})
            api.send("包头三孩产假多少天 13800138000", chat_id=chat)
            assert "抱歉" in api.wait_sent(chat, 2)[1]["text"]
            api.send("包头三孩产假多少天", chat_id=chat)
            assert "188天" in api.wait_sent(chat, 3)[2]["text"]
    [failure] = [r for r in caplog.records if r.name == "familydesk.telegram_bot" and r.levelno == logging.ERROR]
    assert "BadRequest" in failure.getMessage()
    assert "13800138000" not in failure.getMessage() and "三孩" not in failure.getMessage()
    assert "<TELEGRAM_BOT_TOKEN>" in caplog.text  # python-telegram-bot did log the API URL, without the token
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    out, err = capfd.readouterr()
    assert TOKEN not in out and TOKEN not in err


def test_webhook_route_checks_the_secret(assistant, settings, tmp_path):
    chat = 4004
    with FakeBotAPI(TOKEN) as api:
        s = bot_settings(settings, api, tmp_path, telegram_webhook_secret=SecretStr("s3cret-token_1"),
                         telegram_webhook_url="https://bot.example.org/telegram/webhook")
        app = FastAPI()
        app.include_router(webhook_router(assistant, s))
        with TestClient(app) as client:
            [hook] = api.calls_to("setWebhook")
            assert hook.params["url"] == s.telegram_webhook_url and hook.params["secret_token"] == "s3cret-token_1"
            update = {"update_id": 1, "message": {
                "message_id": 1, "date": int(time.time()), "text": "包头三孩产假多少天",
                "chat": {"id": chat, "type": "private", "first_name": "P"},
                "from": {"id": chat, "is_bot": False, "first_name": "P"}}}
            assert client.post("/telegram/webhook", json=update).status_code == 403
            assert client.post("/telegram/webhook", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
            r = client.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_1"})
            assert r.status_code == 200
            assert "188天" in api.wait_sent(chat)[0]["text"]


# ---- the command ---------------------------------------------------------------------------
def _cli_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    return {**env, **extra}


@pytest.mark.slow  # real processes
def test_cli_missing_settings_are_clear_errors(tmp_path):
    exe = Path(sys.executable).parent / "familydesk"
    r = subprocess.run([str(exe), "telegram"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                       env=_cli_env(FAMILYDESK_DATA_DIR=str(tmp_path)))
    assert r.returncode != 0 and "TELEGRAM_BOT_TOKEN" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([str(exe), "telegram", "--webhook"], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env=_cli_env(TELEGRAM_BOT_TOKEN=TOKEN, FAMILYDESK_DATA_DIR=str(tmp_path)))
    assert r.returncode != 0 and "FAMILYDESK_TELEGRAM_WEBHOOK_SECRET" in r.stderr and TOKEN not in r.stderr + r.stdout


def test_cli_polls_and_answers(hashed, tmp_path):
    exe = Path(sys.executable).parent / "familydesk"
    with FakeBotAPI(TOKEN) as api, open(tmp_path / "stderr.txt", "w+") as err:
        # the session's hash index (the process embeds with `hash`, as every test's): nothing is built again
        env = _cli_env(TELEGRAM_BOT_TOKEN=TOKEN, FAMILYDESK_TELEGRAM_BASE_URL=api.base_url,
                       FAMILYDESK_DATA_DIR=str(tmp_path / "data"),
                       FAMILYDESK_CHROMA_DIR=str(hashed.settings.chroma_path), FAMILYDESK_LOG_LEVEL="DEBUG")
        proc = subprocess.Popen([str(exe), "telegram"], stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL, env=env)
        try:
            api.wait_for(lambda: api.calls_to("getUpdates", ok=None), timeout=90, what="the bot to start polling")
            api.send(PATERNITY, chat_id=5001, language_code="en")
            reply = api.wait_sent(5001)[0]["text"]
            assert "25天" in reply and "（二）" in reply
            api.send("包头三孩产假多少天", chat_id=5001)
            assert "188天" in api.wait_sent(5001, 2)[1]["text"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err.seek(0)
        log = err.read()
    assert "telegram bot @" in log and TOKEN not in log, log[-2000:]


def test_follow_up_reads_the_chat_and_new_forgets_it(bot):
    chat = next(_chats)
    bot.send("北京有生育补贴吗", chat_id=chat)
    bot.wait_sent(chat)
    bot.send("包头呢？", chat_id=chat)
    follow = bot.wait_sent(chat, 2)[1]["text"]
    assert "理解为：包头有生育补贴吗" in follow and "包头" in follow
    bot.send("/new", chat_id=chat)
    assert "新的对话" in bot.wait_sent(chat, 3)[2]["text"]
    bot.send("包头呢？", chat_id=chat)
    alone = bot.wait_sent(chat, 4)[3]["text"]
    assert "理解为" not in alone  # read on its own: a place alone asks what to know


def test_asked_back_for_a_region_offers_buttons_that_answer_for_it(bot, assistant, monkeypatch):
    asked = []

    def ask(question, region=None, history=None):
        asked.append((question, region))
        if region is None:
            return Answer(answer="各地规定不同。您问的是哪个地区？", abstained=True, region=None, language="zh",
                          reason="clarify", options=["包头", "赣州", "北京", "济南市"])
        return assistant.__class__.ask(assistant, question, region, history)

    monkeypatch.setattr(assistant, "ask", ask)
    chat = next(_chats)
    bot.send("产假多少天", chat_id=chat)
    [reply] = bot.wait_sent(chat)
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["in:包头", "in:赣州", "in:北京", "in:济南市"]
    bot.press(bot.bot_message(chat), "in:包头")
    answer = bot.wait_sent(chat, 2)[1]["text"]
    assert asked[-1] == ("产假多少天", "包头") and "158天" in answer
