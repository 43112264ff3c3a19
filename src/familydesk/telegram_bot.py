"""The Telegram bot (python-telegram-bot v22): thin async callbacks over the Assistant facade.

`build_application` does all the wiring (token, Bot API URL, flood control, per-chat state under
FAMILYDESK_DATA_DIR, handlers, the one error handler); `familydesk telegram` polls with it, and
`webhook_router` serves the same Application inside the API app. Every text comes from
prompts/telegram.json; answers and citations come from the facade, exactly as on the web.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import secrets
import traceback
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from fastapi import APIRouter, Request, Response
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    PersistenceInput,
    PicklePersistence,
    filters,
)

from .errors import BadRequest
from .models import Answer
from .ratelimit import SlidingWindow
from .privacy import redact
from .text import clean_input, sentence_pieces
from .settings import Settings

if TYPE_CHECKING:  # the bot is given an Assistant: `familydesk telegram` refuses a missing token before loading one
    from .assistant import Assistant

log = logging.getLogger(__name__)

LIMIT = 4096  # characters per message (Telegram counts UTF-16 code units)
HISTORY = 20  # messages of a chat kept for follow-up questions (10 questions and their answers)
MAX_QUESTION = 1000  # as in the API
QUOTE_CHARS = 220  # of a quoted sentence, what a message shows (the whole clause is behind 📄 原文)
RELATED_KEPT = 20  # answers per chat whose related clauses the 相关条款 button can still list
ECHO_CHARS = 200  # how much of a question is repeated above its answer
CALLBACK_BYTES = 64  # Telegram's limit on callback_data
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
STATE_FILE = "telegram.pickle"


# ---- texts and formatting ----------------------------------------------------------------
class Texts:
    """prompts/telegram.json: every text the bot says, per language, plus the buttons' labels."""

    def __init__(self, prompts_dir: Path) -> None:
        data = json.loads((prompts_dir / "telegram.json").read_text(encoding="utf-8"))
        self.by_lang = {lang: data[lang] for lang in ("zh", "en")}
        self.examples: list[str] = data["example_questions"]
        self.city_buttons: dict[str, str] = data["city_buttons"]
        self.language_buttons: dict[str, str] = data["language_buttons"]

    def __call__(self, lang: str, key: str, **values) -> str:
        return self.by_lang.get(lang, self.by_lang["zh"])[key].format(**values)


def esc(text: str) -> str:
    """Text made safe for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _pieces(text: str, limit: int = LIMIT) -> list[str]:
    """Escaped sentence pieces of plain `text`, each within `limit` (an over-long sentence is cut)."""
    out = []
    for sentence in sentence_pieces(text, at_semicolons=True):
        while sentence:
            n = len(sentence)
            while tg_len(esc(sentence[:n])) > limit:  # rare: one sentence longer than a message
                n = max(1, n * 9 // 10)
            out.append(esc(sentence[:n]))
            sentence = sentence[n:]
    return out


def pack(pieces: list[str], limit: int = LIMIT) -> list[str]:
    """Join HTML pieces into as few messages as fit in `limit`, never cutting inside a piece."""
    messages, current = [], ""
    for piece in pieces:
        if current and tg_len(current + piece) > limit:
            messages.append(current)
            current = ""
        current += piece
    messages.append(current)
    return [m.strip() for m in messages if m.strip()]


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Plain text as escaped HTML messages of at most `limit` characters, split at sentence ends."""
    return pack(_pieces(text, limit), limit)


def _clause_button(texts: Texts, lang: str, n: int, clause_id: str) -> InlineKeyboardButton | None:
    data = f"clause:{clause_id}"
    return InlineKeyboardButton(texts(lang, "source_button", n=n), callback_data=data) \
        if len(data.encode()) <= CALLBACK_BYTES else None


def _quoted(quote: str) -> str:
    """The quoted sentence, cut to fit one phone screen (the whole clause is behind 📄 原文)."""
    return quote if len(quote) <= QUOTE_CHARS else quote[:QUOTE_CHARS].rstrip("，、；,; ") + "……"


def render_answer(answer: Answer, texts: Texts, question: str, related_key: str | None = None
                  ) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The answer in one shape, within a phone screen: the question, the line that answers (bold), each used
    clause's sentence and its citation line; a 📄 原文 button per used clause, one button for the related ones."""
    lang = answer.language
    asked = question if len(question) <= ECHO_CHARS else question[:ECHO_CHARS] + "…"
    pieces = [f"<i>{esc(texts(lang, 'asked', question=asked))}</i>\n"]
    if answer.standalone_question and clean_input(answer.standalone_question) != clean_input(question):  # a follow-up
        pieces.append(f"<i>{esc(texts(lang, 'understood', question=answer.standalone_question))}</i>\n")
    used = answer.used
    if answer.lead:  # the extractive shape: lead, then each used clause's sentence once and its citation line
        pieces += ["\n", f"<b>{esc(answer.lead)}</b>"]
        for c in used:
            pieces += _pieces(f"\n\n“{_quoted(c.quote)}”" if c.quote else "")
            pieces += _pieces("\n" + texts(lang, "source_line", reference=c.reference + (f"（{c.date}）" if c.date else "")))
    else:  # a generated answer or one with nothing to quote: its text, then the clauses it cites
        pieces += ["\n", *_pieces(answer.answer)]
        if used:
            pieces.append(f"\n\n<b>{esc(texts(lang, 'sources'))}</b>")
            for n, c in enumerate(used, 1):
                pieces += _pieces(f"\n{n}. {c.reference}" + (f"（{c.date}）" if c.date else ""))
    buttons = [b for n, c in enumerate(used, 1) if (b := _clause_button(texts, lang, n, c.id))]
    if related_key and answer.related:
        buttons.append(InlineKeyboardButton(texts(lang, "related_button", n=len(answer.related)),
                                            callback_data=f"related:{related_key}"))
    return pack(pieces), (InlineKeyboardMarkup([buttons]) if buttons else None)


def remember_related(state: dict, answer: Answer) -> str | None:
    """Keep the ids of an answer's related clauses in the chat's state (the last few answers) for the
    相关条款 button; the key that button carries."""
    if not answer.related:
        return None
    kept = state.setdefault("related", {})
    key = str(state.get("related_seq", 0) + 1)
    state["related_seq"] = int(key)
    kept[key] = [c.id for c in answer.related]
    for old in list(kept)[:-RELATED_KEPT]:
        del kept[old]
    return key


# ---- per-chat and per-user state ---------------------------------------------------------
class Limited(NamedTuple):
    seconds: int
    first: bool  # the first refusal in this window: say so once, then stay quiet


class UserLimit:
    """Questions per user per minute (a sliding window); 0 turns it off. The first refusal in a
    window is flagged so the bot says so once, then stays quiet."""

    def __init__(self, per_minute: int, storage_url: str | None = None) -> None:
        self.per_minute = per_minute
        self._window = SlidingWindow(per_minute, storage_url, "familydesk-telegram")
        self._warned: set[int] = set()

    def check(self, user: int) -> Limited | None:
        """None when the question may go ahead, else how long to wait."""
        wait = self._window.check(user)
        if wait is None:
            self._warned.discard(user)
            return None
        first = user not in self._warned
        self._warned.add(user)
        return Limited(wait, first)


@dataclass
class Desk:
    """What the callbacks share, kept in `application.bot_data["desk"]` (never persisted)."""

    assistant: Assistant
    texts: Texts
    limit: UserLimit


def _desk(context: ContextTypes.DEFAULT_TYPE) -> Desk:
    return context.bot_data["desk"]


def _chat(context: ContextTypes.DEFAULT_TYPE) -> dict:
    return context.chat_data if context.chat_data is not None else {}


def _lang(update: object, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The chat's interface language: chosen with /lang, else the user's Telegram language."""
    chosen = _chat(context).get("lang")
    if chosen:
        return chosen
    user = update.effective_user if isinstance(update, Update) else None
    code = (user.language_code or "") if user else ""
    return "en" if code and not code.startswith("zh") else "zh"


def _addressed_text(message: Message, bot) -> str | None:
    """The question in a message: all of it in a private chat; in a group only when the bot is
    mentioned (the mention removed) or its message is replied to."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if (entity.type == MessageEntity.MENTION and value[1:].lower() == (bot.username or "").lower()) or \
                (entity.user is not None and entity.user.id == bot.id):
            mentioned = True
            text = text.replace(value, " ")
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == bot.id
    return text.strip() if mentioned or replied else None


@asynccontextmanager
async def _typing(chat):
    """Keep the "typing…" indicator on while the answer is worked out (it lasts 5 s each time)."""
    async def keep() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)
            await asyncio.sleep(4)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str,
                  reply_to: Message | None = None, region: str | None = None) -> None:
    """Ask the facade (in a thread, typing meanwhile) and send the answer with its citations."""
    desk, lang, chat = _desk(context), _lang(update, context), update.effective_chat
    question = question.strip()
    if not question:
        return
    if len(question) > MAX_QUESTION:
        await chat.send_message(esc(desk.texts(lang, "too_long", limit=MAX_QUESTION)))
        return
    user = update.effective_user
    limited = desk.limit.check(user.id if user else chat.id)
    if limited:
        if limited.first:
            await chat.send_message(esc(desk.texts(lang, "rate_limited", seconds=limited.seconds)))
        return
    state = _chat(context)
    history = state.setdefault("history", [])  # the conversation so far, redacted: follow-ups ("包头呢？") read with it
    async with _typing(chat):
        answer = await asyncio.to_thread(desk.assistant.ask, question, region or state.get("city"), history[-HISTORY:])
    history += [{"role": "user", "content": redact(question)[:4000]}, {"role": "assistant", "content": answer.answer[:4000]}]
    del history[:-HISTORY]
    messages, keyboard = render_answer(answer, desk.texts, question, remember_related(state, answer))
    if answer.reason == "clarify" and answer.options:  # the answer depends on where: one button per region
        state["pending"] = redact(question)[:MAX_QUESTION]
        buttons = [InlineKeyboardButton(desk.texts.city_buttons.get(r) or f"{r} {desk.assistant.english_name(r)}",
                                        callback_data=f"in:{r}") for r in answer.options
                   if len(f"in:{r}".encode()) <= CALLBACK_BYTES]
        keyboard = InlineKeyboardMarkup([buttons[i:i + 3] for i in range(0, len(buttons), 3)])
    quote = None
    if reply_to is not None and chat.type != ChatType.PRIVATE:
        quote = ReplyParameters(message_id=reply_to.message_id, allow_sending_without_reply=True)
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        await chat.send_message(text, reply_markup=keyboard if last else None,
                                reply_parameters=quote if i == 0 else None)


# ---- callbacks ---------------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome in Chinese and English, what the bot covers, example questions as buttons."""
    desk, lang = _desk(context), _lang(update, context)
    t = desk.texts
    cities = desk.assistant.cities
    zh_covered = "、".join(cities)
    en_covered = ", ".join(desk.assistant.english_name(c) for c in cities)
    text = "\n\n".join([f"<b>{esc(t('zh', 'welcome'))}</b>\n{esc(t('zh', 'covers', covered=zh_covered))}",
                        f"<b>{esc(t('en', 'welcome'))}</b>\n{esc(t('en', 'covers', covered=en_covered))}",
                        esc(t(lang, "examples"))])
    keyboard = [[InlineKeyboardButton(q, callback_data=f"ask:{i}")] for i, q in enumerate(t.examples)]
    await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup(keyboard))


async def new_conversation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget the conversation so far: the next question is read on its own."""
    _chat(context).pop("history", None)
    await update.effective_message.reply_text(esc(_desk(context).texts(_lang(update, context), "new_done")))


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to ask, the commands, and how the bot behaves in groups."""
    await update.effective_message.reply_text(esc(_desk(context).texts(_lang(update, context), "help")))


async def city(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer the covered regions (and 全部) as buttons, showing the current choice."""
    desk, lang = _desk(context), _lang(update, context)
    current = _chat(context).get("city") or desk.texts(lang, "city_all")
    buttons = [InlineKeyboardButton(desk.texts.city_buttons.get(c) or f"{c} {desk.assistant.english_name(c)}",
                                    callback_data=f"city:{c}") for c in desk.assistant.cities]
    buttons.append(InlineKeyboardButton(desk.texts.city_buttons["*"], callback_data="city:*"))
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]  # three a row: many regions stay readable
    await update.effective_message.reply_text(esc(desk.texts(lang, "city_prompt", city=current)),
                                              reply_markup=InlineKeyboardMarkup(rows))


async def city_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remember the city pressed for this chat (across restarts)."""
    desk, query = _desk(context), update.callback_query
    choice = query.data.split(":", 1)[1]
    await query.answer()
    if choice != "*" and choice not in desk.assistant.cities:
        return
    _chat(context)["city"] = None if choice == "*" else choice
    lang = _lang(update, context)
    shown = desk.texts(lang, "city_all") if choice == "*" else choice
    await query.edit_message_text(esc(desk.texts(lang, "city_set", city=shown)))


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Choose the interface language (中文 / English); `/lang en` sets it at once."""
    desk = _desk(context)
    wanted = (context.args[0].lower()[:2] if context.args else "")
    if wanted in desk.texts.language_buttons:
        _chat(context)["lang"] = wanted
        await update.effective_message.reply_text(esc(desk.texts(wanted, "lang_set")))
        return
    buttons = [InlineKeyboardButton(label, callback_data=f"lang:{code}")
               for code, label in desk.texts.language_buttons.items()]
    await update.effective_message.reply_text(esc(desk.texts(_lang(update, context), "lang_prompt")),
                                              reply_markup=InlineKeyboardMarkup([buttons]))


async def lang_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remember the interface language pressed for this chat."""
    desk, query = _desk(context), update.callback_query
    choice = query.data.split(":", 1)[1]
    await query.answer()
    if choice in desk.texts.language_buttons:
        _chat(context)["lang"] = choice
        await query.edit_message_text(esc(desk.texts(choice, "lang_set")))


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a plain-text question (in a group only when the bot is mentioned or replied to)."""
    message = update.effective_message
    text = _addressed_text(message, context.bot)
    if text is not None:
        await _answer(update, context, text, reply_to=message)


async def example(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the example question pressed under /start."""
    query, examples = update.callback_query, _desk(context).texts.examples
    await query.answer()
    index = int(query.data.split(":", 1)[1])
    if 0 <= index < len(examples):
        await _answer(update, context, examples[index])


async def region_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the question that was asked back ("which region?") for the region pressed."""
    query = update.callback_query
    await query.answer()
    pending = _chat(context).pop("pending", None)
    if pending:
        await _answer(update, context, pending, region=query.data.split(":", 1)[1])


async def show_clause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the full text of a cited clause (the 📄 原文 button)."""
    desk, query = _desk(context), update.callback_query
    await query.answer()
    c = await asyncio.to_thread(desk.assistant.clause, query.data.split(":", 1)[1])
    head = f"<b>{esc(c.reference)}</b>" + (f"（{esc(c.date)}）" if c.date else "") + "\n\n"
    body = c.text
    if c.responsible_units:
        body += "\n\n" + desk.texts(_lang(update, context), "clause_units", units=c.responsible_units)
    for text in pack([head, *_pieces(body)]):
        await update.effective_chat.send_message(text)


async def show_related(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List an answer's related clauses (the 相关条款 button): not its sources, each with its 📄 原文 button."""
    desk, query, lang = _desk(context), update.callback_query, _lang(update, context)
    await query.answer()
    ids = _chat(context).get("related", {}).get(query.data.split(":", 1)[1], [])
    if not ids:
        await update.effective_chat.send_message(esc(desk.texts(lang, "related_gone")))
        return
    citations = [await asyncio.to_thread(desk.assistant.clause, i) for i in ids]
    pieces = [f"<b>{esc(desk.texts(lang, 'related_title'))}</b>"]
    for n, c in enumerate(citations, 1):
        pieces += _pieces(f"\n{n}. {c.reference}" + (f"（{c.date}）" if c.date else ""))
    buttons = [b for n, c in enumerate(citations, 1) if (b := _clause_button(desk.texts, lang, n, c.id))]
    messages = pack(pieces)
    for i, text in enumerate(messages):
        last = i == len(messages) - 1
        await update.effective_chat.send_message(
            text, reply_markup=InlineKeyboardMarkup([buttons[j:j + 3] for j in range(0, len(buttons), 3)])
            if last and buttons else None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure without personal data, apologise to the user, keep running."""
    error = context.error
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    kind = "no update"
    if isinstance(update, Update):
        kind = "callback" if update.callback_query else "message" if update.effective_message else "update"
    log.error("telegram %s failed: %s at %s", kind, type(error).__name__, where)
    if isinstance(update, Update) and update.effective_chat is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_chat.send_message(esc(_desk(context).texts(_lang(update, context), "apology")))


async def _post_init(application: Application) -> None:
    """Publish the command menu (zh and en) and say which bot is running."""
    texts = application.bot_data["desk"].texts
    for lang, code in (("en", None), ("zh", "zh")):
        commands = [BotCommand(name, text) for name, text in texts.by_lang[lang]["commands"].items()]
        with contextlib.suppress(TelegramError):
            await application.bot.set_my_commands(commands, language_code=code)
    log.info("telegram bot @%s ready", application.bot.username)


# ---- wiring ------------------------------------------------------------------------------
class _HideToken(logging.Filter):
    """Replace the bot token wherever a log record would show it (PTB logs the API URL at DEBUG,
    httpx every request URL at INFO, an InvalidToken error quotes it)."""

    def __init__(self, token: str) -> None:
        super().__init__("familydesk-hide-token")
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<TELEGRAM_BOT_TOKEN>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<TELEGRAM_BOT_TOKEN>")
        return True


def hide_token_in_logs(token: str) -> None:
    """Keep `token` out of every log: filter the loggers that could print it and the root handlers,
    and quiet httpx (its INFO lines are request URLs, which contain the token)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    guard = _HideToken(token)
    names = {"telegram", "httpx", "httpcore", "familydesk"}
    names |= {n for n in logging.root.manager.loggerDict if n.split(".")[0] in names}
    targets = [logging.getLogger(n) for n in names] + list(logging.getLogger().handlers)
    for target in targets:
        if not any(isinstance(f, _HideToken) and f.token == token for f in target.filters):
            target.addFilter(guard)


def bot_token(settings: Settings) -> str:
    """The token from TELEGRAM_BOT_TOKEN, or a BadRequest saying how to set it."""
    token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
    if not token:
        raise BadRequest("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export "
                         "TELEGRAM_BOT_TOKEN=<token> before running `familydesk telegram`")
    return token


def build_application(assistant: Assistant, settings: Settings, *, polling: bool = True) -> Application:
    """Wire the bot: token and Bot API URL, flood control, per-chat state under the data dir,
    handlers and the error handler. `polling=False` builds it without an Updater (webhook)."""
    token = bot_token(settings)
    hide_token_in_logs(token)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    persistence = PicklePersistence(settings.data_dir / STATE_FILE, update_interval=10,
                                    store_data=PersistenceInput(bot_data=False, user_data=False, callback_data=False))
    builder = (Application.builder().token(token)
               .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
               .rate_limiter(AIORateLimiter(max_retries=3))
               .persistence(persistence)
               .concurrent_updates(True)
               .post_init(_post_init))
    if settings.telegram_base_url:
        base = settings.telegram_base_url
        builder = builder.base_url(base).base_file_url(re.sub(r"/bot$", "/file/bot", base))
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["desk"] = Desk(assistant, Texts(settings.prompts_dir), UserLimit(settings.telegram_user_limit,
                                                                                           settings.redis_url))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_))
    application.add_handler(CommandHandler("city", city))
    application.add_handler(CommandHandler("lang", lang))
    application.add_handler(CommandHandler("new", new_conversation))
    application.add_handler(CallbackQueryHandler(city_chosen, pattern=r"^city:"))
    application.add_handler(CallbackQueryHandler(lang_chosen, pattern=r"^lang:"))
    application.add_handler(CallbackQueryHandler(example, pattern=r"^ask:\d+$"))
    application.add_handler(CallbackQueryHandler(show_clause, pattern=r"^clause:"))
    application.add_handler(CallbackQueryHandler(region_chosen, pattern=r"^in:"))
    application.add_handler(CallbackQueryHandler(show_related, pattern=r"^related:"))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, question))
    application.add_error_handler(on_error)
    return application


def webhook_router(assistant: Assistant, settings: Settings, application: Application | None = None) -> APIRouter:
    """`POST /telegram/webhook` for the API app: checks Telegram's secret-token header (403 when
    wrong) and queues the update; the router's lifespan starts the bot and registers the webhook."""
    secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    if not secret:
        raise BadRequest("FAMILYDESK_TELEGRAM_WEBHOOK_SECRET is not set")
    application = application or build_application(assistant, settings, polling=False)

    @asynccontextmanager
    async def lifespan(app):
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        if settings.telegram_webhook_url:
            await application.bot.set_webhook(settings.telegram_webhook_url, secret_token=secret)
        await application.start()
        try:
            yield
        finally:
            await application.stop()
            await application.shutdown()

    router = APIRouter(lifespan=lifespan)

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        """One update from Telegram, accepted only with the right secret-token header."""
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return Response(status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, TypeError, KeyError):
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return router
