"""Small Chinese-text rules shared by the parser, the retriever and the answerer.

Kept in one place so "what counts as a sentence" or "what counts as a number" is decided once.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018-\u201d\u2014\u2026"
_SPACE_NEAR_CJK = re.compile(rf"[ \t\u00a0\u3000]+(?=[{CJK}])|(?<=[{CJK}])[ \t\u00a0\u3000]+")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
                  "六": 6, "七": 7, "八": 8, "九": 9}
CHINESE_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}

# ---- sentences: one rule, two readings ------------------------------------------------------
# A sentence ends at its end marks, keeps the closing quotes and the citation marks that follow them
# ("……护理假。”[1]"), and never spans a line break. Running text (an answer, a model's reply, a
# message) also ends a sentence at "…" and at a full stop before a space; a clause's sentences, the
# units a quote is chosen from, also end at ；, which closes an item of a list.
CITATION_MARK = r"[\[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]"
_CLOSERS = "”’」』）)\"'"


def _sentence_end(marks: str, running: bool) -> re.Pattern:
    loose = r"|\.(?=\s|[\[［【]|$)|…+" if running else ""
    return re.compile(rf"(?:[{marks}]+{loose})[{_CLOSERS}]*(?:\s*{CITATION_MARK})*|\n")


_RUNNING_END = _sentence_end("。！？!?", running=True)
_LIST_END = _sentence_end("。！？；!?;", running=True)
_CLAUSE_END = _sentence_end("。！？；!?;", running=False)
_PARTIAL_TAIL = re.compile(r"\s*(?:[\[［【][\d\s,，、]*)?")


def squeeze(text: str) -> str:
    """Drop the spaces PDF conversion put around Chinese characters ("享受 25 天" → "享受25天")."""
    return _SPACE_NEAR_CJK.sub("", text).strip()


def has_cjk(text: str) -> bool:
    return bool(_HAS_CJK.search(text or ""))


def nospace(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def take_sentences(buffer: str, final: bool = False, end: re.Pattern = _RUNNING_END) -> tuple[list[str], str]:
    """Complete sentences at the start of `buffer` (each with its closing quotes and citation marks:
    "……护理假。[1]" stays one sentence) and the rest. Not final: a sentence whose end might still grow
    (the buffer ends inside its marks) waits for more text. Final: the rest is the last sentence."""
    sentences, start = [], 0
    for m in end.finditer(buffer):
        if m.end() <= start:
            continue
        if not final and _PARTIAL_TAIL.fullmatch(buffer, m.end()):
            break
        sentences.append(buffer[start:m.end()])
        start = m.end()
    rest = buffer[start:]
    if final and rest.strip():
        sentences.append(rest)
        rest = ""
    return sentences, rest


def sentence_pieces(text: str, at_semicolons: bool = False) -> list[str]:
    """Running text cut after each sentence, line breaks as pieces of their own; joined, the pieces
    are `text` again (but for trailing spaces). With `at_semicolons`, ；and ; end a piece too."""
    return take_sentences(text, final=True, end=_LIST_END if at_semicolons else _RUNNING_END)[0]


def sentence_ends(text: str) -> list[int]:
    """Where each of `split_sentences(text)` ends in `text` (character offsets): what a page needs to offer a
    clause's sentences one by one without splitting them itself."""
    return list(_cut(text)[1])


def split_sentences(text: str) -> list[str]:
    """A clause's sentences, trimmed, to quote one: they end at 。！？； (with their closing quotes);
    a sentence never spans a paragraph break."""
    return list(_cut(text)[0])


@lru_cache(maxsize=8192)
def _cut(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A clause's sentences and where each ends, cut once per text: every answer picks a sentence and cites
    the same clauses again."""
    sentences = [s.strip() for s in take_sentences(text, final=True, end=_CLAUSE_END)[0] if s.strip()]
    ends, at = [], 0
    for sentence in sentences:
        at = text.index(sentence, at) + len(sentence)
        ends.append(at)
    return tuple(sentences), tuple(ends)


def split_phrases(sentence: str) -> list[str]:
    """Split a sentence on commas and enumeration marks into phrases, for short answers."""
    return [p for p in re.split(r"[，,：:]", sentence.rstrip("。；;！？!?")) if p.strip()]


def chinese_numeral_value(numeral: str) -> int:
    """'二十五' → 25, '十' → 10, '一百八十八' → 188, '两千' → 2000, '三万五千' → 35000, '万' → 10000;
    digits alone are read digit by digit: '一五八' → 158."""
    if not numeral:
        raise ValueError("empty numeral")
    if all(ch in CHINESE_DIGITS for ch in numeral):
        return int("".join(str(CHINESE_DIGITS[ch]) for ch in numeral))
    total = section = current = 0
    for ch in numeral:
        if ch in CHINESE_DIGITS:
            current = CHINESE_DIGITS[ch]
        elif ch in "十百千":
            section += (current or 1) * CHINESE_MULTIPLIERS[ch]
            current = 0
        else:  # 万, 亿
            total += ((section + current) or 1) * CHINESE_MULTIPLIERS[ch]
            section = current = 0
    return total + section + current


def clean_input(text: str) -> str:
    """Normalise a user's question: NFKC, no control characters, no lone surrogates."""
    if not isinstance(text, str):
        return ""
    text = "".join(ch for ch in text if not (0xD800 <= ord(ch) <= 0xDFFF))  # lone surrogates
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if (ch in "\n\t" or unicodedata.category(ch)[0] != "C") else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()
