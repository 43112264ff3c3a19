"""A stand-in Telegram Bot API on 127.0.0.1 (aiohttp in a thread of its own) for end-to-end bot tests.

It speaks the methods the bot uses — getMe, deleteWebhook, setWebhook, setMyCommands, getUpdates with
long polling and offset semantics, sendMessage, sendChatAction, answerCallbackQuery, editMessageText —
accepts python-telegram-bot's form fields with JSON-encoded values (and JSON bodies), checks HTML the
way Telegram does (unknown tags, bare `<`/`&`, over 4,096 characters → 400), records every call, and
lets a test inject updates (messages, button presses) and errors (a 429 with retry_after).
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "familydesk_test_bot"
# values PTB sends as plain strings that must not be JSON-decoded ("25" stays text)
_STRING_FIELDS = {"text", "caption", "parse_mode", "callback_query_id", "secret_token", "url", "action",
                  "inline_message_id", "query", "description", "short_description", "name", "language_code"}
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
              "tg-spoiler", "span", "tg-emoji"}


@dataclass
class Call:
    """One request the bot made (recorded on arrival): method, decoded parameters, how it was sent,
    what we answered."""

    method: str
    params: dict
    content_type: str
    status: int | None = None  # None while the request is in flight (a long poll)
    result: object = None
    at: float = field(default_factory=time.monotonic)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Checker(HTMLParser):
    """Telegram's HTML rules, roughly: only its tags, balanced; entities must be escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in _HTML_TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = f"Unmatched end tag \"{tag}\""

    def handle_data(self, data):
        self.text.append(data)


def check_html(text: str) -> tuple[str | None, str]:
    """(error or None, the visible text) for a message sent with parse_mode HTML."""
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return "Can't parse entities: unsupported entity", text
    if re.search(r"<(?![a-zA-Z/])", text):
        return "Can't parse entities: unexpected character", text
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        return f"Can't parse entities: {checker.error or 'unclosed tag'}", text
    return None, html.unescape("".join(checker.text))


def _decode_value(name: str, value: str):
    if name in _STRING_FIELDS:
        return value
    if value[:1] in "{[" or re.fullmatch(r"-?\d+(\.\d+)?|true|false|null", value):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotAPI:
    """The stand-in server. Use as a context manager; `base_url` goes to FAMILYDESK_TELEGRAM_BASE_URL."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "familydesk", "username": BOT_USERNAME,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> message, every one we know
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        self._chats: dict[int, dict] = {}
        self._lock = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self.port: int | None = None

    # ---- life cycle ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> "FakeBotAPI":
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the fake Bot API did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)

    def _serve(self, started: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main(started))
        self._loop.close()

    async def _main(self, started: threading.Event) -> None:
        self._wakeup, self._stop = asyncio.Event(), asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        started.set()
        await self._stop.wait()
        self._wakeup.set()  # a long poll still open (a bot that was stopped or killed) ends now, not at its timeout
        await runner.cleanup()

    # ---- HTTP ----------------------------------------------------------------------------
    async def _decode(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            body = await request.read()
            return json.loads(body) if body else {}
        raw = dict(request.query)
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return {k: _decode_value(k, v) for k, v in raw.items()}

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._decode(request)
        call = Call(method, params, request.content_type)
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()
        if request.match_info["token"] != self.token:
            return self._reply(call, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with self._lock:
            failure = self._failures[method].pop(0) if self._failures[method] else None
        if failure:
            return self._reply(call, *failure)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._reply(call, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except _ApiError as e:
            return self._reply(call, 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {e}"})
        call.result = result
        return self._reply(call, 200, {"ok": True, "result": result})

    def _reply(self, call: Call, status: int, body: dict) -> web.Response:
        with self._lock:
            call.status = status
            self._lock.notify_all()
        return web.json_response(body, status=status)

    # ---- the Bot API methods -------------------------------------------------------------
    def _api_getMe(self, p):
        return self.bot_user

    def _api_deleteWebhook(self, p):
        return True

    def _api_setWebhook(self, p):
        return True

    def _api_setMyCommands(self, p):
        return True

    def _api_sendChatAction(self, p):
        return True

    def _api_answerCallbackQuery(self, p):
        return True

    async def _api_getUpdates(self, p):
        offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
        deadline = self._loop.time() + float(p.get("timeout") or 0)
        while True:
            self._wakeup.clear()
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            remaining = deadline - self._loop.time()
            if ready or remaining <= 0 or self._stop.is_set():
                return ready
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _text(self, p) -> str:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError("message text is empty")
        visible = text
        if p.get("parse_mode") == "HTML":
            error, visible = check_html(text)
            if error:
                raise _ApiError(error)
        if utf16(visible) > 4096:
            raise _ApiError("message is too long")
        return visible

    def _api_sendMessage(self, p):
        chat_id = int(p["chat_id"])
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "from": self.bot_user,
                   "chat": self._chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "?"}),
                   "text": self._text(p)}
        if isinstance(p.get("reply_markup"), dict):
            message["reply_markup"] = p["reply_markup"]
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = message
        return message

    def _api_editMessageText(self, p):
        key = (int(p["chat_id"]), int(p["message_id"]))
        with self._lock:
            if key not in self.messages:
                raise _ApiError("message to edit not found")
            message = dict(self.messages[key], text=self._text(p), edit_date=int(time.time()))
            message.pop("reply_markup", None)
            if isinstance(p.get("reply_markup"), dict):
                message["reply_markup"] = p["reply_markup"]
            self.messages[key] = message
        return message

    # ---- what tests do -------------------------------------------------------------------
    def fail_next(self, method: str, status: int = 429, body: dict | None = None) -> None:
        """The next call of `method` gets this error (default: 429, retry after 1 s)."""
        body = body or {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1}}
        with self._lock:
            self._failures[method].append((status, body))

    def push(self, update: dict) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        with self._lock:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)
        return update["update_id"]

    def user(self, user_id: int, language_code: str = "zh-hans") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"Parent{user_id}", "language_code": language_code}

    def send(self, text: str, *, chat_id: int = 1001, user_id: int | None = None, group: bool = False,
             reply_to: dict | None = None, language_code: str = "zh-hans") -> dict:
        """A user's text message (commands and @mentions get their entities, as Telegram adds them)."""
        user = self.user(user_id or chat_id if not group else user_id or 501, language_code)
        chat = ({"id": chat_id, "type": "supergroup", "title": "Parents"} if group
                else {"id": chat_id, "type": "private", "first_name": user["first_name"]})
        self._chats[chat_id] = chat
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": utf16(text.split()[0])})
        for m in re.finditer(r"@\w+", text):
            entities.append({"type": "mention", "offset": utf16(text[:m.start()]), "length": utf16(m.group())})
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user,
                   "text": text}
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        with self._lock:
            self.messages[(chat_id, message["message_id"])] = message
        self.push({"message": message})
        return message

    def press(self, message: dict, callback_data: str, *, user_id: int | None = None) -> int:
        """A user presses the inline button with `callback_data` under the bot's `message`."""
        buttons = [b.get("callback_data") for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                   for b in row]
        assert callback_data in buttons, f"no button {callback_data!r} under that message: {buttons}"
        chat_id = message["chat"]["id"]
        query = {"id": str(next(self._update_ids) + 9_000_000), "chat_instance": f"ci{chat_id}",
                 "from": self.user(user_id or (chat_id if chat_id > 0 else 501)), "message": message,
                 "data": callback_data}
        return self.push({"callback_query": query})

    def calls_to(self, method: str, chat_id: int | None = None, ok: bool | None = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method
                    and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
                    and (ok is None or (c.status is not None and (c.status == 200) == ok))]

    def sent(self, chat_id: int) -> list[dict]:
        """Messages the bot sent to a chat, in order (parameters as the bot sent them)."""
        return [c.params for c in self.calls_to("sendMessage", chat_id)]

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "a call"):
        """Block until `predicate()` returns something truthy; return it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; calls: "
                                         f"{[(c.method, c.status) for c in self.calls if c.method != 'getUpdates']}")
                self._lock.wait(min(remaining, 0.2))

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 30.0) -> list[dict]:
        """Block until the bot has sent `count` messages to `chat_id`; return them all."""
        return self.wait_for(lambda: (lambda s: s if len(s) >= count else None)(self.sent(chat_id)), timeout,
                             f"{count} message(s) to chat {chat_id}")

    def bot_message(self, chat_id: int, index: int = -1) -> dict:
        """The bot's message as Telegram stores it (with its buttons), for `press`."""
        sent = self.calls_to("sendMessage", chat_id)
        result = sent[index].result
        return self.messages[(chat_id, result["message_id"])]


class _ApiError(Exception):
    pass
