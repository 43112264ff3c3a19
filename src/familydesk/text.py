"""Small Chinese-text rules shared by the parser, the retriever and the answerer.

Kept in one place so "what counts as a sentence" or "what counts as a number" is decided once.
"""
from __future__ import annotations

import re
import unicodedata

CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018-\u201d\u2014\u2026"
_SPACE_NEAR_CJK = re.compile(rf"[ \t\u00a0\u3000]+(?=[{CJK}])|(?<=[{CJK}])[ \t\u00a0\u3000]+")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
                  "六": 6, "七": 7, "八": 8, "九": 9}


def squeeze(text: str) -> str:
    """Drop the spaces PDF conversion put around Chinese characters ("享受 25 天" → "享受25天")."""
    return _SPACE_NEAR_CJK.sub("", text).strip()


def has_cjk(text: str) -> bool:
    return bool(_HAS_CJK.search(text or ""))


def nospace(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def split_sentences(text: str) -> list[str]:
    """Split on 。！？； keeping the mark; a sentence never spans a paragraph break."""
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(s.strip() for s in _SENTENCE_END.split(para) if s.strip())
    return out


def split_phrases(sentence: str) -> list[str]:
    """Split a sentence on commas and enumeration marks into phrases, for short answers."""
    return [p for p in re.split(r"[，,：:]", sentence.rstrip("。；;！？!?")) if p.strip()]


def chinese_numeral_value(numeral: str) -> int:
    """'十五' → 15, '二十二' → 22, '三' → 3 (clause numerals only go up to the nineties)."""
    if not numeral:
        raise ValueError("empty numeral")
    if "十" not in numeral:
        value = 0
        for ch in numeral:
            value = value * 10 + CHINESE_DIGITS[ch]
        return value
    tens, _, units = numeral.partition("十")
    return (CHINESE_DIGITS[tens] if tens else 1) * 10 + (CHINESE_DIGITS[units] if units else 0)


def clean_input(text: str) -> str:
    """Normalise a user's question: NFKC, no control characters, no lone surrogates."""
    if not isinstance(text, str):
        return ""
    text = "".join(ch for ch in text if not (0xD800 <= ord(ch) <= 0xDFFF))  # lone surrogates
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if (ch in "\n\t" or unicodedata.category(ch)[0] != "C") else " " for ch in text)
    return re.sub(r"\s+", " ", text).strip()
