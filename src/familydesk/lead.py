"""The lead line of an answer: what a parent reads first, before the quote and the citation.

【包头】男职工护理假（陪产假）25天 · Baotou: 25 days of paternity leave (护理假)

It is composed from the answer's own data — the figures of the phrase that answers (found in the quoted
sentence), the term the sentence uses and the one the question used, the region — in the question's
language. Its wording is prompts/answers.json's "lead" section; English glosses of the documents' terms
come from the glossary the retrieval reads (index/glossary.tsv, through the policy term classes).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable

from .query import Query
from .text import chinese_numeral_value


def _grouped(value: Decimal) -> str:
    """3600 → 3,600; 1.5 → 1.5."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return format(value.normalize(), "f")


class Leads:
    """Composes lead lines from a Pick of the extractive answerer; texts from answers.json."""

    def __init__(self, texts, gloss: Callable[[str], str] | None = None, qualifiers: tuple[str, ...] = (),
                 vocabulary: frozenset[str] = frozenset()) -> None:
        self.texts, self.qualifiers = texts, qualifiers
        self.gloss = gloss or (lambda term: "")
        self.vocabulary = vocabulary  # the documents' terms the glossaries know (护理假, 育儿补贴)

    def topic(self, topic: str, key: str) -> str:
        """What the figure is of: the question's term the sentence uses, unless that only says who (男职工, from
        "dads"); then the longest known term of the phrase holding the figure (护理假)."""
        if topic and topic not in self.qualifiers:
            return topic
        found = [t for t in self.vocabulary if t in key and t not in self.qualifiers and not re.search(r"\d", t)]
        return max(found, key=lambda t: (len(t), t), default=topic)  # the same term every run, whatever the set order

    def _data(self, lang: str) -> dict:
        return self.texts.data[lang]["lead"]

    def term(self, q: Query, term: str) -> str:
        """The term as the sentence says it, with the question's own word for it (护理假（陪产假）), or in
        English with its gloss (paternity leave (护理假))."""
        if not term:
            return ""
        d = self._data(q.language)
        if q.language == "en":
            gloss = self.gloss(term)
            return d["glossed"].format(gloss=gloss, term=term) if gloss else d["unglossed"].format(term=term)
        asked = next((g.source for g in q.groups if term in g.terms and g.source != term and g.source in q.text), "")
        return d["aka"].format(term=term, asked=asked) if asked else term

    def figure(self, lang: str, number: str, unit: str, key: str) -> str:
        """One figure as a parent reads it: 25天, 每年3600元; 25 days, 3,600 yuan a year."""
        d = self._data(lang)
        per = next((p for p in sorted(d["per"], key=len, reverse=True) if p in key), "")
        if lang != "en":
            return f"{d['per'][per] if per else ''}{number}{unit}"
        value = Decimal(number) if number[0].isdigit() else Decimal(chinese_numeral_value(number))
        scale, base = d["scale"].get(unit, [1, unit])
        shown = " ".join(x for x in (_grouped(value * scale), self.texts.unit_en(base)) if x)
        return f"{shown} {d['per'][per]}" if per else shown

    def who(self, key: str) -> str:
        """Who or which child the figure is for, as the phrase says it (男职工, 三孩): the qualifiers of the
        question reader (index/query_rules.json) the phrase names, in its order; none when it names many."""
        found = sorted((key.find(w), w) for w in self.qualifiers if w in key)
        return "".join(w for _, w in found) if len(found) <= 2 else ""

    def __call__(self, q: Query, city: str, topic: str, key: str, figures: list[tuple[str, str]],
                 stated: bool) -> str:
        """The lead line for one region's answer."""
        lang, T = q.language, self.texts
        d, term = self._data(lang), self.term(q, self.topic(topic, key))
        if not stated:
            tail = T(lang, "not_stated_tail", what=T.what(lang, q.quantity), city=city)
            return d["not_stated"].format(city=city, term=term or d["it"], what=T.what(lang, q.quantity), tail=tail)
        if q.quantity == "deadline":
            # a sentence holding a date may date something else (出生 before 2025年1月1日, not the payment): the
            # quote answers when, the lead never asserts a date
            figures = []
        if len(figures) == 1:
            n, u = figures[0]
            kind = q.quantity if q.quantity in d["figure"] else ""
            return d["figure"][kind].format(city=city, who=self.who(key) if lang != "en" else "", term=term,
                                            figure=self.figure(lang, n, u, key))
        if figures:  # several figures (一、二孩158天、三孩188天): the phrase itself tells which is which
            shown = ", " if lang == "en" else "、"
            return d["figures"].format(city=city, term=term or d["it"], key=key,
                                       figures=shown.join(self.figure(lang, n, u, key) for n, u in figures))
        return d["quote" if term else "quote_plain"].format(city=city, term=term)
