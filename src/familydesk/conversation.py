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
MAX_QUESTION = 1000  # of a user message in the history, what is read as its question
MAX_CARRIED = 300  # of the question as understood so far, what the next turn builds on
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
    said = ""  # the last reply: what a follow-up's "这种优惠" may point at
    for message in history or []:
        content = (message.get("content") or "").strip()
        if message.get("role") == "user" and content:
            # a question is at most 1,000 characters; what the folding carries over stays short too
            previous = _fold(reader, content[:MAX_QUESTION], previous, said).question[:MAX_CARRIED]
        elif message.get("role") == "assistant":
            said = content[:MAX_MESSAGE_CHARS]
    return _fold(reader, question, previous, said)


def _fold(reader: QueryReader, question: str, previous: str | None, said: str = "") -> Understood:
    if not previous:
        return Understood(question, None)
    cur = reader.read(question)
    language = cur.language if _has_words(question) else None
    places = cur.cities + cur.uncovered + ([cur.place] if cur.place else [])
    topic = _topic(reader, cur)
    if places and topic:
        topic = _not_pointed_at(reader, question, topic, previous + said)
    # "Is there a kids' discount like that in Baotou?": what was just asked, for Baotou, its own words beside it
    pointed = bool(places and topic and reader.kind_reference_en and reader.kind_reference_en.search(question))
    if pointed:
        topic = []
    qualified = any(set(g.terms) & set(reader.qualifiers) for g in cur.groups)
    if places and topic:
        return Understood(question, language)  # a new, complete question
    prev = reader.read(previous)
    prev_places = prev.cities + prev.uncovered + ([prev.place] if prev.place else [])
    if places:  # a place alone: the previous question, asked for this place (with a qualifier, or the figure
        # now asked — "赣州具体能领多少钱" after a comparison — if one came)
        again = _replace_place(reader, previous, prev_places, places)
        asks = cur.quantity and cur.quantity != prev.quantity
        return Understood(f"{again} {question}" if qualified or asks or pointed else again, language)
    previous = _asking_anew(previous, prev, cur)
    if not prev_places:
        return Understood(f"{previous} {question}", language)
    if topic and cur.language == "en" and reader.reference_en and reader.reference_en.search(question):
        # "Is it paid?", "any insurance for families like us?": about what was just asked, so it stays in the question
        return Understood(f"{previous} {question}", language)
    if topic and _modifier_only(reader, question, topic, prev):  # "普惠的占几成": the 普惠 ones of what was asked
        return Understood(f"{previous} {question}", language)
    if topic:  # a new topic for the previous place; an elliptical one ("那产假呢") keeps the kind of figure
        asked = " ".join(prev_places)
        extra = prev.quantity_text if prev.quantity and not cur.quantity and _elliptical(question) else ""
        return Understood(f"{asked} {question} {extra}".strip(), language)
    return Understood(f"{previous} {question}", language)  # a qualifier alone (三孩呢): add it


def _asking_anew(previous: str, prev, cur) -> str:
    """The previous question without its question words when the follow-up asks for another kind of figure
    ("能休到娃几岁" after "育儿假一年几天啊": until what age, not how many days)."""
    if cur.quantity and prev.quantity and cur.quantity != prev.quantity and prev.quantity_text:
        return re.sub(re.escape(prev.quantity_text), " ", previous, count=1, flags=re.I)
    return previous


def _topic(reader: QueryReader, q) -> list:
    """The concepts of a turn that make it a question of its own: not a qualifier (三孩, 男方), not a filler
    (算了, 还是说); an English word no glossary knows (weather) counts, and so does a Chinese word the
    documents never use unless it is a filler."""
    qualifiers = set(reader.qualifiers)
    topic = [g for g in q.groups if g.source not in qualifiers and not set(g.terms) & qualifiers
             and g.source not in reader.fillers and not g.weak and not _fragment(reader, g)]
    # one English word the glossary lacks (even if the dictionary reads it) is usually the rest of an
    # elliptical follow-up ("and for a third?"); two or more ("weather … weekend") make a question of its own
    unreviewed = [g.source for g in q.groups if g.weak] + list(q.unknown_words)
    return topic + (unreviewed if len(unreviewed) >= 2 else [])


def _fragment(reader: QueryReader, group) -> bool:
    """A piece of a chatty follow-up (能报, 加发, 休到: "能报多少钱？", "市里会自己再加发不") rather than a topic: a
    Chinese word the documents never use, no glossary reads as theirs, and the general dictionary does not know
    either. A word of the language the documents never use (天气, 学费) is still a question of its own."""
    word = group.source
    return (has_cjk(word) and reader.known is not None and group.terms == (word,) and word not in reader.known
            and word not in reader.vocabulary and not reader.tokenizer.in_dictionary(word))


def _not_pointed_at(reader: QueryReader, question: str, topic: list, before: str) -> list:
    """The topic of a turn without what it points back at: in "包头有这种优惠吗" (after a reply about free rides and
    their 优惠) or "北京这两项能报吗" the words after 这种 / 这两项 name what was just discussed. A word after a pointer
    of kind (这种, 同样) is always what was discussed; after 这个 / 这两项, when the conversation used it or the
    documents never do. With a pointer, only the documents' own words can still make a question of its own."""
    found = next(((m.start(), ref) for ref in reader.references if (m := re.search(re.escape(ref), question))), None)
    if not found:
        return topic
    start, ref = found
    after = re.sub(r"^[的地]", "", question[start + len(ref):])
    known = reader.known or frozenset()
    rest = []
    for g in topic:
        source = _source(g)
        if source in reader.references or source == ref:
            continue
        if after.startswith(source) and (ref in reader.kind_references or source in before or source not in known):
            continue  # the thing pointed at
        if reader.known is not None and source not in known and source not in reader.vocabulary:
            continue  # a word the documents never use (能报): the question is still about what was discussed
        rest.append(g)
    return rest


def _modifier_only(reader: QueryReader, question: str, topic: list, prev) -> bool:
    """A Chinese follow-up whose only topic word modifies what was just asked, its noun left out ("普惠的占几成" after
    a question on 托位): the word with the previous topic makes a term the documents use (普惠托位). A topic of its own
    ("产假的呢" after 护理假) makes none."""
    if len(topic) != 1 or not has_cjk(question):
        return False
    source = _source(topic[0])
    if not re.match(rf"^(?:那|那么|还有)?{re.escape(source)}的", question.strip()):
        return False
    words = (reader.known or frozenset()) | reader.vocabulary
    return any(f"{source}{t}" in words for g in prev.groups for t in (g.source, *g.terms))


def _source(concept) -> str:
    """A topic entry's words as the turn wrote them (a concept read, or an English word no glossary knows)."""
    return concept if isinstance(concept, str) else concept.source


def _elliptical(question: str) -> bool:
    """"那产假呢", "what about maternity leave?": a topic named, nothing asked of it."""
    q = question.strip().rstrip("?？!！。. ")
    return bool(re.search(r"呢$|^那|^还有|^and\b|^what about\b|^how about\b", q, re.I))


def _replace_place(reader: QueryReader, previous: str, old: list[str], new: list[str]) -> str:
    """The previous question with its place(s) swapped for the new one(s), in the previous question's script;
    a comparison's "A和B" / "A and B" becomes the new place alone."""
    forms = sorted({f for name in old for f in reader.places.forms(name)}, key=len, reverse=True)
    target = " ".join(new) if has_cjk(previous) else " ".join(reader.places.english(n) for n in new)
    replaced, n = previous, 0
    for form in forms:
        pattern = re.escape(form) if has_cjk(form) else rf"(?i)\b{re.escape(form)}\b"
        replaced, k = re.subn(pattern, lambda _m: "\0", replaced)
        n += k
    if not n:
        return f"{target} {previous}"
    replaced = re.sub(r"\0(?:\s*(?:和|与|跟|及|、|,|，|and|vs\.?|or)?\s*\0)*", lambda _m: target, replaced, count=1,
                      flags=re.I)
    return replaced.replace("\0", "")


def _has_words(question: str) -> bool:
    """Does the message carry words of its own (beyond a place and a particle)?"""
    stripped = _FILLER_ZH.sub("", question.strip()) if has_cjk(question) else _FILLER_EN.sub("", question.strip())
    return bool(stripped.strip())
