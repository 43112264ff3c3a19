"""The domain records every layer passes around: documents, clauses, citations, answers.

Frozen dataclasses so a clause parsed once can be shared by the index, the retriever and
every channel without anyone mutating it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Document:
    """One source text and its manifest entry."""

    id: str
    file: str
    title: str
    issuer: str
    number: str | None
    date: str
    city: str
    authority: str = "official"  # official | repost
    repost_of: str | None = None
    sha256: str = ""
    region_code: str = ""  # division code of `city` (000000 = 全国)
    level: str = ""  # 全国 | 省级 | 地级 | 县级
    kind: str = "rule"  # rule (政策规章) | guide (办事指南) | interpretation (官方解读)
    effective: str = ""  # the date it takes effect, when printed (自…起施行)
    supersedes: tuple[str, ...] = ()  # ids of documents it repeals or replaces
    repealed_by: str | None = None  # set when a later document repeals it: never quoted as current
    format: str = ""  # the format it came in: txt | md | html | docx | pdf; "" for the shipped texts (PDF text)

    @property
    def official(self) -> bool:
        return self.authority == "official"

    @property
    def current(self) -> bool:
        return not self.repealed_by


@dataclass
class Overrides:
    """What the person adding a document says about it; each one wins over detection."""

    region: str | None = None
    title: str | None = None
    number: str | None = None
    date: str | None = None
    issuer: str | None = None
    kind: str | None = None
    effective: str | None = None
    authority: str | None = None
    supersedes: list[str] = field(default_factory=list)
    doc_id: str | None = None


@dataclass(frozen=True)
class Clause:
    """The unit we quote and cite: a numbered clause, a flat item or an unnumbered paragraph."""

    id: str  # "<doc_id>:<ordinal>"
    doc_id: str
    ordinal: int
    label: str  # as printed: "（二）", "二、"; "" for an unnumbered paragraph
    numeral: str  # "二"; "" when unnumbered
    heading: str  # the clause's own short title ("全面落实生育休假制度"), may be ""
    section: str  # "一、完善生育服务支持措施", "" when the document has no sections
    text: str  # cleaned clause text, responsible units removed
    responsible_units: str
    span: tuple[int, int]  # character offsets in the source file
    kind: str = "clause"  # clause | item | paragraph
    maps_to: str | None = None  # for a repost paragraph: the official clause it paraphrases
    sha256: str = ""
    path: str = ""  # the numbering path as printed: "二、（三）", "第七条", "附件1 一、"; "" when unnumbered
    parents: tuple[str, ...] = ()  # the headings above it, outermost first: ("第二章 补贴对象和标准",)

    @property
    def sentences(self) -> list[str]:
        from .text import split_sentences

        return split_sentences(self.text)


@dataclass(frozen=True)
class Citation:
    """A clause as shown to a user: what it says and exactly where it stands."""

    id: str
    doc_id: str
    title: str
    doc_number: str | None
    issuer: str
    date: str
    region: str
    clause: str
    section: str
    text: str
    quote: str
    reference: str  # 《title》（number）第（二）条
    responsible_units: str
    authority: str
    score: float
    region_level: str = ""  # 全国 | 省级 | 地级 | 县级
    path: str = ""  # the clause's numbering path as printed: 二、（三）, 第七条
    kind: str = "rule"
    effective: str = ""
    used: bool = False  # in an answer: the answer quotes this clause (a source), else it is only related
    sentence_ends: list[int] = field(default_factory=list)  # where each sentence of `text` ends (quotable units)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """What every channel renders: the answer text, whether we abstained, and the citations."""

    answer: str
    abstained: bool
    region: str | None
    citations: list[Citation] = field(default_factory=list)
    language: str = "zh"
    reason: str | None = None  # why we abstained: no_match, uncovered_city, figure_not_stated, ...
    mode: str = "extractive"  # extractive | llm
    fallback_reason: str | None = None  # LLM mode only: why the extractive answer was given instead (timeout, ...)
    standalone_question: str | None = None  # the question as understood, follow-ups resolved ("赣州 陪产假 天数")
    options: list[str] = field(default_factory=list)  # reason "clarify": the regions to choose from
    lead: str = ""  # the line(s) that answer, before any quote: 【包头】男职工护理假（陪产假）25天 ("" for a generated answer)

    @property
    def used(self) -> list[Citation]:
        """The clauses the answer quotes: its sources (the other citations are only related)."""
        return [c for c in self.citations if c.used]

    @property
    def related(self) -> list[Citation]:
        """Clauses retrieved with the answer that it does not quote."""
        return [c for c in self.citations if not c.used]

    def to_dict(self) -> dict:
        return {
            "options": list(self.options),
            "standalone_question": self.standalone_question,
            "answer": self.answer,
            "lead": self.lead,
            "abstained": self.abstained,
            "region": self.region,
            "language": self.language,
            "reason": self.reason,
            "mode": self.mode,
            "fallback_reason": self.fallback_reason,
            "citations": [c.to_dict() for c in self.citations],
        }
