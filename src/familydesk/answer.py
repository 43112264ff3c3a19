"""The extractive answerer: quote the sentence that answers, frame it in the question's language,
cite the clause exactly, and abstain when the documents do not say.

Every sentence it writes around a quote comes from prompts/answers.json; every figure comes from
the quoted clause. `number_guard` checks that last promise on the finished text, so a template
edit or a future LLM answerer cannot slip an unstated number past it.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from langchain_core.documents import Document as LCDocument
from langchain_core.runnables import Runnable, RunnableConfig

from .corpus import Corpus
from .lead import Leads
from .models import Answer, Citation, Clause
from .query import Query
from .retrieval import Hit
from .text import (
    CHINESE_MULTIPLIERS,
    chinese_numeral_value,
    sentence_ends,
    sentence_pieces,
    split_phrases,
    split_sentences,
)

log = logging.getLogger(__name__)

_CN = "零〇一二两三四五六七八九十百千万亿"
# units after which a Chinese numeral is a figure (一律, 统一, 进一步 are not); 一、二孩 counts both
_CN_UNITS = r"(?:[天元%岁个米周所家年月日名项处倍孩胎次人户份张床位]|小时|公里)"
_ARABIC = r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s*[十百千万亿]+)?"
_NUMBER = re.compile(
    _ARABIC
    + rf"|百分之([{_CN}]+)"
    + rf"|(?<![\d{_CN}])([{_CN}]+)(?=(?:[、，,和及或至到~—\-][{_CN}]+)*\s*{_CN_UNITS})")
_EN_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
             "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
             "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9}
_EN_WORD = "|".join(sorted(list(_EN_UNITS) + list(_EN_SCALES), key=len, reverse=True))
_EN_NUMBER = re.compile(rf"\b(?:{_EN_WORD})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{_EN_WORD}))*\b", re.I)
_EN_NOUN = r"[\s-]+(?:days?|weeks?|months?|years?|yuan|rmb|child|children|kids?|bab(?:y|ies)|births?|times?|" \
           r"percent|per\s*cent|people|persons?|hours?|beds?|places?|institutions?|hospitals?|centres?|centers?)\b"
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                "eighth": 8, "ninth": 9, "tenth": 10}
_EN_ORDINAL = re.compile(rf"\b({'|'.join(_EN_ORDINALS)})(?=[\s-]+(?:child|children|kids?|bab(?:y|ies)|births?)\b)",
                         re.I)
MAX_CITIES = 3
# Share of the question's concepts (idf-weighted) a clause must contain to answer, whatever the embeddings
# say: in a corpus of documents on one topic every clause is near any question of that topic, so the dense
# part alone cannot tell "about this" from "about something else here" (chosen on the dev sets, docs/retrieval.md).
MIN_COVERAGE = 0.1
# two documents of a region covering a question equally: the one saying it in one sentence answers when that sentence
# holds this much more of the question, and the clause scores at least this share of the best
SENTENCE_MARGIN, SENTENCE_SCORE = 0.3, 0.9
# two sentences of a clause sharing as much of the question: a window this much nearer the question (cosine) answers;
# a smaller difference is noise, and the first sentence, which states the rule before its exceptions, answers
NEAR_STEP = 0.05
TIER_SHARE = 0.8  # a place's own clause answers when it covers at least this share of the best coverage in scope
CITY_SHARE = 0.6  # a second city answers too when its best clause scores at least this share of the best


def _canonical(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _en_value(words: str) -> Decimal:
    total = current = 0
    for w in re.split(r"[\s-]+", words.lower()):
        if w in _EN_UNITS:
            current += _EN_UNITS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALES:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
    return Decimal(total + current)


def figures_in(text: str) -> dict[str, str]:
    """Every figure in `text` as {as written: value}: Arabic numbers (10,000 and 1.5万 too), Chinese
    numerals before a unit (三天, 十五岁, 一、二孩), 百分之五十, English number words (twenty-five days,
    one child — a bare "one" is not a figure) and ordinals of children (third child)."""
    text = unicodedata.normalize("NFKC", text)
    found: dict[str, str] = {}
    for m in _NUMBER.finditer(text):
        arabic, multiplier, percent, chinese = m.groups()
        if arabic:
            written = arabic.replace(",", "")
            if "." in written:
                written = written.rstrip("0").rstrip(".")
            value = Decimal(written)
            if multiplier:
                for ch in multiplier.strip():
                    value *= CHINESE_MULTIPLIERS[ch]
                written += multiplier.strip()
            found[written] = _canonical(value)
        elif percent:
            found[percent] = _canonical(Decimal(chinese_numeral_value(percent)))
        else:
            found[chinese] = _canonical(Decimal(chinese_numeral_value(chinese)))
    for m in _EN_NUMBER.finditer(text):
        words = m.group(0)
        if words.lower() == "one" and not re.match(_EN_NOUN, text[m.end():], re.I):
            continue  # "one of the measures", "no one"
        found[words] = _canonical(_en_value(words))
    for m in _EN_ORDINAL.finditer(text):
        found[m.group(1)] = str(_EN_ORDINALS[m.group(1).lower()])
    return found


def numbers_in(text: str) -> set[str]:
    """The figures of `text` as written (see `figures_in`): {"25", "三", "1.3"}."""
    return set(figures_in(text))


def number_guard(answer: str, sources: list[str]) -> list[str]:
    """Figures in `answer` whose value none of `sources` contains (an empty list means the answer is safe).
    Values, not spellings, are compared: 二十五天 is 25天, 2.5万元 is 25,000 yuan; 5元 is not 5万元."""
    allowed = set()
    for s in sources:
        allowed |= set(figures_in(s).values())
    return sorted(written for written, value in figures_in(answer).items() if value not in allowed)


class Texts:
    """The answer, framing and abstain texts of prompts/answers.json."""

    def __init__(self, prompts_dir: Path) -> None:
        self.data = json.loads((prompts_dir / "answers.json").read_text(encoding="utf-8"))

    def __call__(self, lang: str, name: str, **kw) -> str:
        return self.data[lang][name].format(**{"covered": self.covered(lang), **kw})

    def covered(self, lang: str) -> str:
        """The covered regions, named from the knowledge base (set by the assistant when it loads)."""
        names = [self.city(lang, c) for c in getattr(self, "regions", [])]
        shown = ("、" if lang == "zh" else ", ").join(names[:8])
        if len(names) > 8:  # a long list is cut: the count says how many there are
            shown += f"等{len(names)}个地区" if lang == "zh" else f" and {len(names) - 8} more regions"
        return shown

    @property
    def constants(self) -> str:
        """Numbers the texts themselves carry (the 12345 hotline): allowed in any answer."""
        return json.dumps(self.data, ensure_ascii=False)

    def what(self, lang: str, kind: str | None) -> str:
        return self.data[lang]["what"].get(kind or "", self.data[lang]["what"][""])

    def city(self, lang: str, city: str) -> str:
        if lang != "en":
            return city
        known = self.data["en"]["city"].get(city)
        if known:
            return known
        english = getattr(self, "english", None)  # set by the assistant: the division dataset's English names
        return english(city) if english else city

    def dated(self, lang: str, doc) -> str:
        """The document's date, and its effective date where the text gives one (自…起施行)."""
        if doc.effective and doc.effective != doc.date:
            return self.data[lang]["dated_effective"].format(date=doc.date or "—", effective=doc.effective)
        return doc.date

    def level(self, lang: str, level: str) -> str:
        return self.data[lang].get("levels", {}).get(level, level)

    def unit_en(self, unit: str) -> str:
        return self.data["en"]["units"].get(unit, unit)

    def reference(self, clause: Clause, title: str, number: str | None, path_style: bool = False,
                  quote: str = "") -> str:
        r = self.data["reference"]
        num = r["number"].format(number=number) if number else ""
        if path_style:  # the whole numbering path as printed: 《…》第七条第（一）项, 《…》二、（三）1. (the five
            # shipped texts, recorded before paths, keep the form their users know: 《…》第（二）条)
            where = clause.path + _item_of(clause, quote)
            return r["path"].format(title=title, number=num, path=where) if where else \
                r["closing"].format(title=title, number=num)
        if clause.kind == "paragraph":
            key = "paragraph" if clause.section else "closing"
        else:
            key = clause.kind
        return r[key].format(title=title, number=num, label=clause.label, numeral=clause.numeral,
                             section=clause.section)


_ITEM = re.compile(r"^(?:[（(]\s*([一二三四五六七八九十]+)\s*[)）]|(\d{1,2})\s*[.．、]|[（(]\s*(\d{1,2})\s*[)）])")


def _item_of(clause: Clause, quote: str) -> str:
    """The 项 / 目 inside a clause that holds the quote: 第（一）项 of an article, 1. of an outline item."""
    if not quote or quote not in clause.text:
        return ""
    start = clause.text.index(quote)
    line = clause.text[clause.text.rfind("\n", 0, start) + 1:]
    if not line or line.startswith(quote) and clause.text.startswith(line):
        return ""
    m = _ITEM.match(line)
    if not m:
        return ""
    if m.group(1):
        return f"第（{m.group(1)}）项" if clause.kind == "article" else f"（{m.group(1)}）"
    return f"{m.group(2)}." if m.group(2) else f"（{m.group(3)}）"


@dataclass
class Pick:
    """The sentence of a clause that answers, and the short phrase holding the figure."""

    sentence: str
    key: str  # phrase with the figure ('' when the question asks for no figure)
    figures: list[tuple[str, str]]  # (number, unit) pairs in `key`
    topic: str  # corpus term of the question found in the sentence


def answer_events(answer: Answer) -> Iterator[dict]:
    """A finished answer as stream events: its sentences as deltas, then the answer."""
    for piece in sentence_pieces(answer.answer):
        yield {"type": "delta", "text": piece}
    yield {"type": "answer", "answer": answer}


class ExtractiveAnswerer(Runnable[dict, Answer]):
    """Default answerer: fully offline, verbatim quotes, exact citations. As the chain's answer step (a
    LangChain Runnable) it takes {"query": Query, "documents": the ClauseRetriever's Documents}."""

    def __init__(self, corpus: Corpus, texts: Texts, units_for, min_relevance: float, gloss=None,
                 qualifiers: tuple[str, ...] = (), vocabulary: frozenset[str] = frozenset()) -> None:
        self.corpus, self.texts, self.units_for = corpus, texts, units_for
        self.leads = Leads(texts, gloss, qualifiers, vocabulary)  # the line that answers, before the quote
        self.min_relevance = min_relevance
        self.term_weight = None  # the index's idf of a term (set by the assistant once the index is built)

    # ---- the chain's step ----------------------------------------------------------------
    def invoke(self, state: dict, config: RunnableConfig | None = None, **kwargs) -> Answer:
        """{"query", "documents"} → the answer. As another answerer's fallback, `error` (why that one
        failed, see answer_llm.Rejected) is handed in too: the answer says it in `fallback_reason`."""
        return self._call_with_config(self._answer, state, config)

    def _answer(self, state: dict) -> Answer:
        answer = self(state["query"], self.hits(state["documents"]))
        error = state.get("error")
        if error is None:
            return answer
        return dataclasses.replace(answer, fallback_reason=getattr(error, "reason", type(error).__name__))

    def stream(self, state: dict, config: RunnableConfig | None = None, **kwargs) -> Iterator[dict]:
        """The answer as stream events: its sentences as deltas, then {"type": "answer", "answer"}."""
        yield from answer_events(self.invoke(state, config))

    def hits(self, documents: list[LCDocument]) -> list[Hit]:
        """The retriever's Documents back as scored clauses."""
        return [Hit.from_document(d, self.corpus.clause(d.metadata["clause_id"])) for d in documents]

    # ---- citations -----------------------------------------------------------------------
    def citation(self, clause: Clause, score: float = 0.0, quote: str = "", used: bool = False) -> Citation:
        doc = self.corpus.documents[clause.doc_id]
        # the label as printed; an unnumbered paragraph under a numbered section is cited by the section
        label = clause.label or (clause.path.split()[-1] if clause.path else "")
        return Citation(id=clause.id, doc_id=doc.id, title=doc.title, doc_number=doc.number,
                        issuer=doc.issuer, date=doc.date, region=doc.city, clause=label,
                        section=clause.section, text=clause.text, quote=quote,
                        reference=self.texts.reference(clause, doc.title, doc.number,
                                                       path_style=bool(doc.format) or clause.kind == "article",
                                                       quote=quote),
                        responsible_units=clause.responsible_units, authority=doc.authority,
                        score=round(float(score), 4), region_level=doc.level, path=clause.path,
                        kind=doc.kind, effective=doc.effective, sentence_ends=sentence_ends(clause.text), used=used)

    # ---- sentence choice -----------------------------------------------------------------
    def pick(self, q: Query, hit: Hit) -> Pick:
        """The sentence that answers: most of the question's concepts (each by its rarest name the sentence
        holds, then two-character pieces of those it lacks; ties: see `_best`); for a figure question, a sentence
        holding a figure of the asked kind wins whenever it shares anything with the question."""
        units = self.units_for(q.quantity, q.quantity_text)
        calendar = q.quantity == "deadline"
        sentences = split_sentences(hit.clause.text)
        terms = list(dict.fromkeys(hit.matched))  # in the question's order: ties break the same way every run
        grams = {t[i:i + 2] for t in q.terms for i in range(len(t) - 1)}

        weight = self.term_weight or (lambda t: 1.0)

        # the place asked about, named in a province's clause (其余资金由厦门市区两级承担), says what applies there:
        # its sentence outweighs any that does not name it
        places = [n for n in q.place_names if n in hit.clause.text]
        named = sum(weight(t) for t in terms) + 0.5 * len(grams) if places else 0.0

        # each concept of the question counts once, by its rarest name in the sentence (主要目标 and 目标 are one
        # concept, not two words). A concept asked twice (失独家庭 and 计划生育特殊家庭) is one; a name two concepts
        # are also said by (幼儿园…免费: 免费学前教育) counts for each
        distinct = [g for i, g in enumerate(q.groups)
                    if not any(set(g.terms) <= set(e.searched) for e in q.groups[:i])]
        concepts: list[list[str]] = []
        claimed: set[str] = set()
        for g in distinct:
            concepts.append([t for t in terms if t in g.searched and t not in claimed])
            claimed |= {t for t in concepts[-1] if t in g.terms}
        concepts += [[t] for t in terms if not any(t in c for c in concepts)]

        def overlap(text: str) -> float:
            # a rarer word of the question says more about what is asked (二孩 over 育儿补贴); a concept the sentence
            # lacks still counts a little for each two-character piece of its names the sentence has
            shared = sum(max((weight(t) for t in c if t in text), default=0.0) for c in concepts)
            pieces = {t[i:i + 2] for g in distinct if not any(t in text for t in g.searched)
                      for t in g.searched for i in range(len(t) - 1)}
            return (shared + 0.5 * sum(1 for g in pieces if g in text)
                    + (named if shared and any(n in text for n in places) else 0.0))

        scored = []
        for i, s in enumerate(sentences):
            score = overlap(s)
            if i == 0 and hit.clause.heading and s.startswith(hit.clause.heading) and len(sentences) > 1:
                # the clause's own title says little; prefer a sentence with content. A title alone (主要目标。)
                # says nothing: it is quoted only when no other sentence shares a word with the question
                score = min(score, 0.5) if s.rstrip("。.：: ") == hit.clause.heading else score - 0.5
            scored.append((score, hit.near.get(i, 0.0), sum(len(t) * weight(t) for t in terms if t in s), -i, s))

        # a date answers "when", and a count "how many", only beside a word of the question: in
        # 对2025年1月1日后出生的婴幼儿，补贴发放至… the date is a birth cutoff, not when the subsidy is paid; in
        # 建设至少2个普惠托育服务联合体，普惠托位占比不低于70% no count of 托位 is given
        beside = calendar or q.quantity == "count"

        def dated(phrase: str) -> list[tuple[str, str]]:
            return _figures(phrase, units, calendar) if not beside or any(t in phrase for t in terms) else []

        def stating(text: str) -> bool:
            return any(dated(p) for p in split_phrases(text)) if beside else bool(_figures(text, units))

        with_figure = [x for x in scored if x[0] > 0 and stating(x[-1])] if units else []
        every_unit = self.units_for(q.quantity)
        if not with_figure and units != every_unit and q.quantity == "duration":
            # "几个月" asked, the clause counts in days (188天): a span in another unit answers; a count of times is
            # never answered by a count of people (1名申领人), nor "which months" by a year (2025年一次性发放)
            units = every_unit
            with_figure = [x for x in scored if x[0] > 0 and stating(x[-1])]
        # "when" with no date given, but a sentence saying it in words (每个季度的第2个月初) answers before one that does not
        worded = [x for x in scored if x[0] > 0 and any(w in x[-1] for w in q.figure_words)] \
            if calendar and not with_figure else []
        best = _best(with_figure or worded or scored)
        # name the topic in the question's own words when the sentence uses them (产假, not 生育假)
        topic = next((t for t in sorted(terms, key=lambda t: (t not in q.qualifiers, t in q.text, len(t)), reverse=True)
                      if t in best), "")
        key, figures = "", []
        if with_figure:
            phrases = [p for p in split_phrases(best) if dated(p)] or [best]  # 9:1 spans a split
            # a qualifier of the question (二孩, 男职工) picks its figure among several
            qualified = [p for p in phrases if any(w in _spelled_out(p) for w in q.qualifiers)]
            key = max(qualified or phrases, key=overlap).strip()
            figures = dated(key) if beside else _figures(key, units)
        return Pick(sentence=best, key=key, figures=figures, topic=topic)

    # ---- the answer ----------------------------------------------------------------------
    def __call__(self, q: Query, hits: list[Hit]) -> Answer:
        """The answer to a question read as `q` from its retrieved clauses `hits` (best first), or an
        abstention that says why."""
        lang, T = q.language, self.texts
        refused = self._refusal(q)
        if refused:
            return refused
        pool, tier = self._tier(q, hits)
        relevant = self._relevant(q, pool)
        if not relevant:
            return Answer(T(lang, "no_match"), True, q.city, [], lang, "no_match")
        if not (q.city or q.cities or q.place):
            regions = list(dict.fromkeys(self._city(h) for h in relevant))
            if len(regions) > MAX_CITIES:  # the answer depends on where: ask back rather than list them all
                return Answer(T(lang, "ask_region"), True, None,
                              [self.citation(h.clause, h.score) for h in relevant[:MAX_CITIES]], lang, "clarify",
                              options=regions)
        chosen = self._cities(q, relevant)
        parts, citations, stated = zip(*(self._part(q, hit) for hit in chosen))
        parts = self._framed(q, list(parts), chosen, tier)
        # the rest of the relevant clauses follow as further citations (best first)
        shown = {c.id for c in citations}
        citations = list(citations) + [self.citation(h.clause, h.score) for h in hits if h.clause.id not in shown][:5]
        return self._checked(q, "\n\n".join(parts), citations, chosen, any(stated), _leads(parts))

    def _refusal(self, q: Query) -> Answer | None:
        """The answers given before any clause is read: an injection, only places not covered, a place
        and nothing else."""
        lang, T = q.language, self.texts
        if q.injection:
            return Answer(T(lang, "injection"), True, q.city, [], lang, "injection")
        if q.uncovered and not q.cities:
            place = "、".join(q.uncovered) if lang == "zh" else ", ".join(q.uncovered)
            text = T(lang, "uncovered_city", place=place)
            if q.parent_of:
                sep = "、" if lang == "zh" else ", "
                for p, children in q.parent_of.items():
                    text += T(lang, "uncovered_parent", place=T.city(lang, p),
                              children=sep.join(T.city(lang, c) for c in children))
            return Answer(text, True, None, [], lang, "uncovered_city")
        if (q.cities or q.place) and not q.groups and not q.quantity and not q.unknown_words:
            # a place and nothing else ("我在包头"): ask what the person wants to know
            place = T.city(lang, q.place or q.city or q.cities[0])
            return Answer(T(lang, "ask_topic", city=place), True, q.city, [], lang, "clarify")
        return None

    def _tier(self, q: Query, hits: list[Hit]) -> tuple[list[Hit], str | None]:
        """The clauses that may answer and the region they come from: a place's own documents first, then
        its province's, then the nation's; the first that has a relevant clause answers (and says "not
        stated" when that clause states no figure)."""
        pool, tier = hits, (q.scope[0] if q.place and len(q.scope) == 1 else None)
        if len(q.scope) > 1:
            answering = [h for h in hits if self._sure(h)]
            best = max(answering, key=lambda h: h.coverage, default=None)
            best_cover = best.coverage if best else 0.0
            # the policy concepts the question names (育儿假, 二孩, 育儿补贴; not how a figure is counted, 每年)
            policy = [set(g.searched) & self.leads.vocabulary for g in q.groups if not (g.weak or g.measure)]
            policy = [terms for terms in policy if terms]

            def named(h: Hit) -> set[int]:
                return {i for i, terms in enumerate(policy) if terms & set(h.matched)}

            best_named = named(best) if best else set()
            for region in q.scope:
                # a region answers when one of its clauses covers about as much of the question as the best
                # clause of the whole scope: the city wins a tie, the province wins when the city's documents
                # only share the common words (育儿补贴) and not what is asked; and a region naming every policy the
                # best clause names and more (育儿假 beside 父母, 二孩 beside 育儿补贴) answers before it
                if any(self._city(h) == region and (h.coverage >= TIER_SHARE * best_cover or named(h) > best_named)
                       for h in answering):
                    pool, tier = [h for h in hits if self._city(h) == region], region
                    break
        return pool, tier

    def _relevant(self, q: Query, pool: list[Hit]) -> list[Hit]:
        """The clauses that answer, best first: near the top and relevant enough on their own."""
        # a clause sharing no word with the question never answers
        relevant = [h for h in pool if h.score >= CITY_SHARE * pool[0].score and self._sure(h)] if pool else []
        # a narrow ask (which months, how many days) wants that figure itself (5月、8月), not words for it (上旬)
        narrow = bool(q.quantity) and self.units_for(q.quantity, q.quantity_text) != self.units_for(q.quantity)

        def gives(h: Hit) -> bool:
            return bool(self.pick(q, h).figures) if narrow else self._states(q, h)

        if relevant:
            # another document of the region says in one sentence (推动义务教育学校课后服务全覆盖) what the best clause's
            # words only touch on across several (课后服务 in one sentence, 义务教育 in another): it answers
            top = relevant[0]
            said = [h for h in relevant[1:] if h.clause.doc_id != top.clause.doc_id and h.coverage >= top.coverage
                    and h.score >= SENTENCE_SCORE * top.score and h.sentence >= top.sentence + SENTENCE_MARGIN]
            if said:
                relevant = [said[0]] + [h for h in relevant if h is not said[0]]
        if q.quantity and relevant and not gives(relevant[0]):
            # of clauses that cover as much of the question, the one that states the kind of figure asked for
            # (a number of days, an amount, a date) answers
            near = [h for h in pool if h is not relevant[0] and h.relevance >= self.min_relevance
                    and h.coverage >= relevant[0].coverage]
            stating = [h for h in near if gives(h)]
            if not stating and narrow and not self._states(q, relevant[0]):
                # a narrow ask no clause gives as a figure: one saying it in words still answers
                stating = [h for h in near if self._states(q, h)]
            if stating:
                relevant = [stating[0]] + [h for h in relevant if h is not stating[0]]
            elif q.needs_figure and not any(self._states(q, h) for h in relevant):
                # no clause states it: the region's newest document says so first (the current policy), so the
                # not-stated answer cites the same clause however the question is worded (of the clauses near the
                # top, and of those covering as much of the question however the ranking scored them)
                region = self._city(relevant[0])
                newest = max((h for h in relevant + near if self._city(h) == region), key=self._date)
                relevant = [newest] + [h for h in relevant if h is not newest]
        if self._comparing(q):  # each region named answers on its own merits, not against the best region's score
            relevant = [h for h in pool if self._sure(h)]
        return relevant or self._on_policy(q, pool)

    def _on_policy(self, q: Query, pool: list[Hit]) -> list[Hit]:
        """A covered place named with a policy term its documents use (托育, 学校, 护理假: a term the reviewed
        vocabulary knows, written as the question writes it) is never "no match", however chatty the rest of
        the question: the best clause holding that term answers, or says the figure is not stated."""
        place = q.cities[0] if len(q.cities) == 1 else q.city
        if not place or q.place:
            return []
        # the question's own word, not one an everyday word was read as (月子 → 产后保健 does not count)
        terms = {g.source for g in q.groups if not g.weak and g.source in self.leads.vocabulary}
        return [h for h in pool if self._city(h) == place and any(t in h.clause.text for t in terms)][:1]

    def _sure(self, hit: Hit) -> bool:
        """Relevant on its own merits (the relevance bar and some coverage), not only through a policy term
        (_on_policy)."""
        return hit.relevance >= self.min_relevance and hit.coverage >= MIN_COVERAGE

    @staticmethod
    def _comparing(q: Query) -> bool:
        return len(q.cities) > 1 and not q.place

    def _part(self, q: Query, hit: Hit) -> tuple[str, Citation, bool]:
        """One region's paragraph of the answer, its citation, and whether it states what was asked."""
        lang, T = q.language, self.texts
        doc = self.corpus.documents[hit.clause.doc_id]
        pick = self.pick(q, hit)
        cite = self.citation(hit.clause, hit.score, pick.sentence, used=True)
        city = T.city(lang, doc.city)
        # a figure (an amount, a date) is only ever given from a clause relevant on its own merits: one reached
        # through a policy term alone may say what the question is about, never how much or when
        stated = (self._sure(hit) or not q.quantity) and (
            not q.needs_figure or bool(pick.figures) or any(w in pick.sentence for w in q.figure_words))
        # one shape: the line that answers, the quoted sentence once, one citation line
        lead = self.leads(q, city, pick.topic or hit.clause.heading, pick.key, pick.figures, stated)
        return T(lang, "city_answer" if stated else "city_not_stated", lead=lead, quote=pick.sentence,
                 reference=cite.reference, date=T.dated(lang, doc)), cite, stated

    def _framed(self, q: Query, parts: list[str], chosen: list[Hit], tier: str | None) -> list[str]:
        """The paragraphs with what goes before them: a comparison's or several regions' introduction,
        and where the answer comes from when it is not the place asked about."""
        lang, T = q.language, self.texts
        if self._comparing(q):
            answered = {self._city(h) for h in chosen}
            # a region named that says nothing on it gets its cell too ("not stated"), in the order named
            parts += [T(lang, "region_says_nothing", city=T.city(lang, c)) for c in q.cities if c not in answered]
            parts.insert(0, T(lang, "compare_intro"))
        elif len(chosen) > 1:
            parts.insert(0, T(lang, "multi_city_intro"))
        asked = q.place or q.city
        if tier and asked and tier != asked:  # the answer comes from the province or the nation
            parts.insert(0, T(lang, "from_parent", place=T.city(lang, asked), region=T.city(lang, tier),
                              level=T.level(lang, self._level(chosen[0]))))
        return parts

    def _checked(self, q: Query, text: str, citations: list[Citation], chosen: list[Hit], stated_any: bool,
                 lead: str = "") -> Answer:
        """The answer, once the number guard found no figure its citations do not hold."""
        lang, T = q.language, self.texts
        # an English gloss is the vocabulary's wording, not a figure ("zero bride price (零彩礼)")
        glossed = [self.leads.gloss(t) for t in self.leads.vocabulary if t in text] if lang == "en" else []
        # the reference, date and effective date apart: a label ending in a number (1.) would run into the year (1.2026)
        leaked = number_guard(text, [c.text for c in citations] + [f"{c.reference} {c.date} {c.effective}" for c in citations]
                              + [T.constants] + glossed)
        if leaked:  # cannot happen with these templates; never let it through if it does
            log.error("number guard rejected an extractive answer (numbers %s)", leaked)
            return Answer(T(lang, "no_match"), True, q.city, citations[:1], lang, "number_guard")
        region = q.city or (self.corpus.documents[chosen[0].clause.doc_id].city if len(chosen) == 1 else None)
        reason = None if stated_any else "figure_not_stated"
        return Answer(text, not stated_any, region, citations, lang, reason, lead=lead)

    def _states(self, q: Query, h: Hit) -> bool:
        pick = self.pick(q, h)
        return bool(pick.figures) or any(w in pick.sentence for w in q.figure_words)

    def _date(self, h: Hit) -> str:
        return self.corpus.documents[h.clause.doc_id].date or ""

    def _city(self, h: Hit) -> str:
        return self.corpus.documents[h.clause.doc_id].city

    def _level(self, h: Hit) -> str:
        return self.corpus.documents[h.clause.doc_id].level

    def _cities(self, q: Query, hits: list[Hit]) -> list[Hit]:
        """The best clause, plus the best of each other city when the question names no city; for a
        comparison (several regions named), the best clause of each region named, in the order named."""
        best = hits[0]
        if len(q.cities) > 1 and not q.place:
            per_region = {}
            for h in hits:
                per_region.setdefault(self._city(h), h)
            return [per_region[c] for c in q.cities if c in per_region]
        if q.city:
            return [best]
        chosen, seen = [best], {self.corpus.documents[best.clause.doc_id].city}
        for h in hits[1:]:
            city = self.corpus.documents[h.clause.doc_id].city
            if city not in seen and h.score >= CITY_SHARE * best.score and len(chosen) < MAX_CITIES:
                chosen.append(h)
                seen.add(city)
        return chosen


def _best(scored: list[tuple[float, float, float, int, str]]) -> str:
    """The sentence of (score, nearness, words held, -position, sentence) that answers: the best score; among equals,
    one clearly nearer the question's meaning (by NEAR_STEP, when the vector search fetched its window) wins, then
    the one holding more of the question's words (longer ones first), then the first."""
    top = max(x[0] for x in scored)
    tied = [x for x in scored if x[0] == top]
    nearest = max(x[1] for x in tied)
    return max((x for x in tied if x[1] >= nearest - NEAR_STEP), key=lambda x: (x[2], x[3]))[-1]


def _leads(parts: list[str]) -> str:
    """The lines of an answer that answer, without the evidence: each part's first line (the templates of
    answers.json put a region's lead first; an introduction is one line)."""
    return "\n".join(p.split("\n", 1)[0] for p in parts)


def _spelled_out(text: str) -> str:
    """一、二孩 → 一孩、二孩 (and 一二孩, 二、三孩): a list of child orders names each child."""
    return re.sub(r"([一二三四])[、，,和及]?(?=[一二三四][、，,和及]?[一二三四]?孩)", r"\1孩", text)


# a unit that begins a longer unit of another kind: 3周岁 is an age, not weeks; 6个月 and 15个工作日 are durations,
# not counts of something; 一次性 (in one lump sum) says how, not how many times
_NOT_AFTER = {"周": "(?!岁)", "个": "(?!月|工作日)", "次": "(?!性)"}


def _is_date(m: re.Match, text: str) -> bool:
    """A calendar date, not a figure: a four-digit year (2025年), a month named after a year or before a day
    (2025年3月, 每年12月31日), and the day of a month (the 1日 of 1月1日)."""
    number, unit = m.group(1), m.group(2)
    before, after = text[:m.start()].rstrip(), text[m.end():]
    if unit.startswith("年"):
        return len(number) == 4
    if unit in ("日", "号"):
        return bool(re.search(r"[\d一二三四五六七八九十]\s*月$", before))
    if unit == "月":
        return before.endswith("年") or bool(re.match(r"\s*[\d一二三四五六七八九十]+\s*[日号]", after))
    return False


def _is_month(m: re.Match) -> bool:
    """A month of the year on its own (于每年7月、1月发放): 1 to 12 before 月 (6个月 never reaches here)."""
    number, unit = m.group(1), m.group(2)
    return unit == "月" and number.isdigit() and 1 <= int(number) <= 12


def _figures(text: str, units: tuple[str, ...], calendar: bool = False) -> list[tuple[str, str]]:
    """(number, unit) pairs in text whose unit is one the question asks for. A four-digit number before 年
    is a calendar year, not a duration; a ratio (9:1) answers a question about a share. A question asking
    when (`calendar`) is answered by dates only (2025年12月31日, 5月), never by a span (分两年)."""
    alternatives = "|".join(re.escape(u) + _NOT_AFTER.get(u, "") for u in sorted(units, key=len, reverse=True))
    pattern = rf"(\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)\s*({alternatives})"
    months = calendar and set(units) == {"月"}  # "几月份", "which months": a month of every year, not 2025年1月
    found = [(m.group(1), m.group(2)) for m in re.finditer(pattern, text)
             if ((_is_month(m) and not re.search(r"\d{4}\s*年\s*$", text[:m.start()])) if months
                 else (_is_date(m, text) or _is_month(m)) if calendar else not _is_date(m, text))]
    if "%" in units:
        found += [(m, ":") for m in re.findall(r"\d+\s*[:：]\s*\d+", text)]
    return found
