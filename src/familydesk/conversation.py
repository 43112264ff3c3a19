"""Follow-up questions without a language model: turn the last message of a conversation into the
question as understood ("包头呢？" after "北京有生育补贴吗" → "包头有生育补贴吗").

What a turn leaves out it inherits from the turns before: the place, the topic, the child order
(一孩/二孩/三孩) and who is asked about (男方/女方) all ride along in the previous question as
understood, so the rules are few:
- a turn that names a place and asks about something is a new question and stands alone;
- a place alone ("包头呢", "我在包头", "and in Ganzhou?") re-asks the previous question for that place;
- a topic or a qualifier alone ("那产假呢", "生三孩呢", "what about maternity leave?") is asked for the
  previous place, keeping the previous question's kind of figure (多少天 → 多少天);
- the answer is in the language of the last message (unless it has no words of its own: "包头？").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .query import QueryReader, has_cjk

MAX_MESSAGES = 20
MAX_MESSAGE_CHARS = 4000
_FILLER_ZH = re.compile(r"^(?:那|那么|还有|再问一下|请问|我在|我是|我住在?|我们在)+|(?:呢|吗|嘞|啊|呀|的|怎么样|如何|[?？。!！，,\s])+$")
_FILLER_EN = re.compile(r"^(?:and|what|about|how|in|for|the|i'm|i am|we are|live|living|in)\b|[?.!,\s]+$", re.I)


@dataclass
class Understood:
    """The question as understood, and the language to answer in."""

    question: str
    language: str | None  # None: read it from the question


def standalone(reader: QueryReader, question: str, history: list[dict] | None) -> Understood:
    """The last user message of a conversation as a question that stands alone."""
    previous: str | None = None
    for message in history or []:
        if message.get("role") == "user" and (message.get("content") or "").strip():
            previous = _fold(reader, message["content"].strip(), previous).question
    return _fold(reader, question, previous)


def _fold(reader: QueryReader, question: str, previous: str | None) -> Understood:
    if not previous:
        return Understood(question, None)
    cur = reader.read(question)
    language = cur.language if _has_words(question) else None
    places = cur.cities + cur.uncovered + ([cur.place] if cur.place else [])
    topic = [g for g in cur.groups if g.source not in reader.qualifiers and not set(g.terms) & set(reader.qualifiers)]
    if places and topic:
        return Understood(question, language)  # a new, complete question
    prev = reader.read(previous)
    prev_places = prev.cities + prev.uncovered + ([prev.place] if prev.place else [])
    if places:  # a place alone: the previous question, asked for this place
        return Understood(_replace_place(reader, previous, prev_places, places), language)
    if not prev_places:
        return Understood(f"{previous} {question}", language)
    if topic:  # a new topic for the previous place, with the previous kind of figure
        asked = " ".join(prev_places)
        extra = prev.quantity_text if prev.quantity and not cur.quantity else ""
        return Understood(f"{asked} {question} {extra}".strip(), language)
    return Understood(f"{previous} {question}", language)  # a qualifier alone (三孩呢): add it


def _replace_place(reader: QueryReader, previous: str, old: list[str], new: list[str]) -> str:
    """The previous question with its place(s) swapped for the new one(s), in the previous question's script."""
    forms = sorted({f for name in old for f in reader.places.forms(name)}, key=len, reverse=True)
    target = " ".join(new) if has_cjk(previous) else " ".join(reader.places.english(n) for n in new)
    replaced, n = previous, 0
    for form in forms:
        pattern = re.escape(form) if has_cjk(form) else rf"(?i)\b{re.escape(form)}\b"
        replaced, k = re.subn(pattern, lambda _m: "\0", replaced)
        n += k
    if not n:
        return f"{target} {previous}"
    replaced = re.sub("\0(?:\\s*\0)*", target, replaced, count=1)
    return replaced.replace("\0", "")


def _has_words(question: str) -> bool:
    """Does the message carry words of its own (beyond a place and a particle)?"""
    stripped = _FILLER_ZH.sub("", question.strip()) if has_cjk(question) else _FILLER_EN.sub("", question.strip())
    return bool(stripped.strip())
