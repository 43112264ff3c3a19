"""Cut a Chinese government document into the clauses we quote and cite.

The heading grammar is data (HEADINGS below), in the spirit of RAGFlow's laws.py: each
line start is matched against ordered families, and a per-document vote decides whether
"一、" opens a section (when the document also has bracketed clauses) or is itself an item
(赣州's flat list). Page breaks that cut a sentence are repaired, stray Markdown marks are
dropped, and the responsible-units parenthetical moves out of the quoted text into metadata.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from .models import Clause, Document
from .text import squeeze

NUMERALS = "一二三四五六七八九十"

# Heading grammar, most specific first. A line is matched after its Markdown marks are removed.
HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rule", re.compile(r"^-{3,}$")),
    ("clause", re.compile(rf"^[（(]\s*([{NUMERALS}]+)\s*[)）]\s*(.*)$", re.S)),
    ("numbered", re.compile(rf"^([{NUMERALS}]+)\s*[、．.]\s*(.+)$", re.S)),
)
# A "numbered" line is a section heading when it is short and is not a sentence.
SECTION_MAX_CHARS = 30
# A paragraph that does not end like this was cut by a page break and continues below.
PARAGRAPH_END = tuple("。！？；!?;)）〕」”")
OPENERS, CLOSERS = "（(〔[", "）)〕]"
UNITS_MARKERS = (re.compile(r"^\s*责任单位\s*[：:]\s*"), re.compile(r"负责"))
HEADING_TITLE_MAX = 24


@dataclass
class _Paragraph:
    text: str
    start: int
    end: int
    kind: str = "body"  # body | section | clause | numbered | rule
    numeral: str = ""
    label: str = ""
    rest: str = ""


@dataclass
class _Unit:
    kind: str
    label: str
    numeral: str
    section: str
    start: int
    end: int
    parts: list[str] = field(default_factory=list)
    units: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """A document's preamble (context, not cited) and its clauses in order."""

    preamble: str
    clauses: tuple[Clause, ...]


def _strip_marks(line: str) -> str:
    line = re.sub(r"^\s*#+\s*", "", line)
    line = re.sub(r"^\*\*(.*)\*\*$", r"\1", line.strip())
    return line.strip()


def _lines(source: str) -> list[tuple[str, int, int]]:
    out, pos = [], 0
    for raw in source.splitlines(keepends=True):
        start, pos = pos, pos + len(raw)
        text = _strip_marks(raw.rstrip("\r\n"))
        if text:
            out.append((text, start, start + len(raw.rstrip("\r\n"))))
        else:
            out.append(("", start, start))
    return out


def _classify(text: str) -> tuple[str, re.Match[str] | None]:
    for kind, pattern in HEADINGS:
        m = pattern.match(text)
        if m:
            return kind, m
    return "body", None


def _paragraphs(source: str) -> list[_Paragraph]:
    """Group lines into paragraphs, joining lines a page break cut mid-sentence."""
    paras: list[_Paragraph] = []
    open_para: _Paragraph | None = None  # a body paragraph still waiting for its sentence end
    for text, start, end in _lines(source):
        if not text:
            continue
        kind, m = _classify(text)
        if kind == "body" and open_para is not None:
            open_para.text += text
            open_para.end = end
        else:
            para = _Paragraph(text=text, start=start, end=end, kind=kind)
            paras.append(para)
        last = paras[-1]
        is_open = last.kind in ("body", "clause") or (last.kind == "numbered" and "。" in last.text)
        open_para = last if is_open and not last.text.rstrip().endswith(PARAGRAPH_END) else None
    for para in paras:  # read the number only now: a page break may have extended the text
        if para.kind in ("clause", "numbered"):
            m = _classify(para.text)[1]
            para.numeral, para.rest = m.group(1), m.group(2).strip()
    return paras


def _vote(paras: list[_Paragraph]) -> str:
    """Does "一、" open sections (bracketed clauses below them) or is it the clause itself?"""
    bracketed = sum(p.kind == "clause" for p in paras)
    return "sections" if bracketed else "items"


def _split_units(text: str) -> tuple[str, str]:
    """Move a trailing (责任单位：…) / (…按职责分工负责) into metadata; brackets may nest."""
    body = text.rstrip()
    if not body or body[-1] not in CLOSERS:
        return text, ""
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        ch = body[i]
        if ch in CLOSERS:
            depth += 1
        elif ch in OPENERS:
            depth -= 1
            if depth == 0:
                inner = body[i + 1:-1].strip()
                if UNITS_MARKERS[0].search(inner) or UNITS_MARKERS[1].search(inner):
                    return body[:i].rstrip(), UNITS_MARKERS[0].sub("", inner).strip()
                return text, ""
    return text, ""


def _heading_of(text: str) -> str:
    first = text.split("。", 1)[0]
    return first if len(first) <= HEADING_TITLE_MAX and "。" in text else ""


def parse_text(source: str, doc_id: str, every_paragraph: bool = False) -> ParsedDocument:
    """Parse one source text into its preamble and clauses (ids "<doc_id>:<ordinal>").

    every_paragraph: make each body paragraph its own unit, for texts (reposts) whose
    numbering cannot be trusted to say where a clause ends.
    """
    paras = _paragraphs(source)
    mode = _vote(paras)
    preamble: list[str] = []
    units: list[_Unit] = []
    section = ""
    current: _Unit | None = None
    for p in paras:
        if p.kind == "rule":
            if units:  # a horizontal rule after the body starts the trailer (抄送, 印发)
                break
            continue
        is_section = p.kind == "numbered" and (
            mode == "sections" or (len(p.text) <= SECTION_MAX_CHARS and "。" not in p.text))
        if is_section:
            section, current = squeeze(p.text), None
            continue
        if p.kind == "clause" or p.kind == "numbered":
            label = f"（{p.numeral}）" if p.kind == "clause" else f"{p.numeral}、"
            current = _Unit(kind="clause" if p.kind == "clause" else "item", label=label,
                            numeral=p.numeral, section=section, start=p.start, end=p.end,
                            parts=[squeeze(p.rest)])
            units.append(current)
            current.units = _split_units(current.parts[0])[1]
            continue
        # A body paragraph: preamble, continuation of the open clause, or a unit of its own.
        if not units and not section:
            preamble.append(squeeze(p.text))
            continue
        if every_paragraph:
            current = None
        if current is not None and (current.kind == "paragraph" or not current.units):
            current.parts.append(squeeze(p.text))
            current.end = p.end
        else:
            current = _Unit(kind="paragraph", label="", numeral="", section=section,
                            start=p.start, end=p.end, parts=[squeeze(p.text)])
            units.append(current)
        if current.kind != "paragraph":
            current.units = _split_units("\n".join(current.parts))[1]
    clauses = []
    for ordinal, u in enumerate(units, start=1):
        text, responsible = _split_units("\n".join(u.parts))
        clauses.append(Clause(
            id=f"{doc_id}:{ordinal}", doc_id=doc_id, ordinal=ordinal, label=u.label,
            numeral=u.numeral, heading=_heading_of(text) if u.numeral else "", section=u.section,
            text=text, responsible_units=responsible, span=(u.start, u.end), kind=u.kind,
            sha256=hashlib.sha256(text.encode()).hexdigest()[:16]))
    return ParsedDocument(preamble="\n".join(preamble), clauses=tuple(clauses))


# ---- the repost: align each paragraph with the official clause it paraphrases ------------

def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s\W_]+", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def align_repost(repost: ParsedDocument, official: ParsedDocument, min_overlap: float = 0.2
                 ) -> ParsedDocument:
    """Point every repost paragraph at the official clause it paraphrases (bigram Dice)."""
    targets = [(c, _bigrams(c.text)) for c in official.clauses]
    aligned = []
    for c in repost.clauses:
        grams = _bigrams(c.text)
        best, best_score = None, 0.0
        for target, tg in targets:
            score = 2 * len(grams & tg) / max(1, len(grams) + len(tg))
            if score > best_score:
                best, best_score = target, score
        aligned.append(replace(c, maps_to=best.id if best and best_score >= min_overlap else None))
    return ParsedDocument(preamble=repost.preamble, clauses=tuple(aligned))


def parse_document(doc: Document, source: str) -> ParsedDocument:
    return parse_text(source, doc.id, every_paragraph=not doc.official)

