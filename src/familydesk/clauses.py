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

from .models import Clause
from .text import squeeze

NUMERALS = "一二三四五六七八九十百零〇两"
_N = NUMERALS

# Heading grammar, most specific first (GB/T 9704-2012 and the 章/节/条 of rules). A line is matched
# after its Markdown marks are removed. Position in the body decides the level, not this order.
HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rule", re.compile(r"^(?:-{3,}|[*_](?:\s*[*_]){2,})$")),
    ("chapter", re.compile(rf"^第\s*([{_N}]+)\s*[编章]\s*(.*)$", re.S)),
    ("part", re.compile(rf"^第\s*([{_N}]+)\s*节\s*(.*)$", re.S)),
    ("article", re.compile(rf"^第\s*([{_N}]+)\s*条(?![例件款])\s*(.*)$", re.S)),
    ("clause", re.compile(rf"^[（(]\s*([{_N}]+)\s*[)）]\s*(.*)$", re.S)),
    ("numbered", re.compile(rf"^([{_N}]+)\s*[、．.]\s*(.+)$", re.S)),
    ("sub", re.compile(r"^(\d{1,2})\s*(?:[.．、)）](?!\d)|\s(?![年月日]))\s*(\S.*)$", re.S)),
    ("subsub", re.compile(r"^[（(]\s*(\d{1,2})\s*[)）]\s*(.*)$", re.S)),
    ("circled", re.compile(r"^([\u2460-\u2473])\s*(.*)$", re.S)),
    ("attachment", re.compile(r"^附\s*件\s*(\d{0,2})\s*[：:]?\s*(.{0,80})$", re.S)),
)
# Lines that close a document rather than belong to its last clause: an issuer alone, a date alone.
ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）()、\s]{2,60}(?:委员会|人民政府|政府|办公厅|办公室|厅|局|部|委|中心|管委会|院)"
                         r"(?:[\s　]+[\u4e00-\u9fff（）()、]{2,40}(?:委员会|人民政府|政府|办公厅|办公室|厅|局|部|委|中心))*$")
DATE_LINE = re.compile(r"^(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2})(?:印发)?$")
NOTE_LINE = re.compile(r"^[（(](?:此件|联系人|此页)[^）)]{0,40}[）)]$")
# A "numbered" line is a section heading when it is short and is not a sentence.
SECTION_MAX_CHARS = 30
# A paragraph that does not end like this was cut by a page break and continues below.
PARAGRAPH_END = tuple("。！？；!?;)）〕」”")
OPENERS, CLOSERS = "（(〔[", "）)〕]"
UNITS_MARKERS = (re.compile(r"^\s*责任单位\s*[：:]\s*"), re.compile(r"负责"))
HEADING_TITLE_MAX = 24
# the covering notice's own lines: addressees (各区卫生健康委：) and the order to implement
NOTICE_LINE = re.compile(r"^各[^。]{1,80}[：:]$|现将.{0,60}印发给你们|现予印发|请认真(?:贯彻|组织|遵照)|请遵照执行|请参照执行")
QUESTION_END = ("？", "?")
_LINK = re.compile(r"!?\[([^\]]*)\]\(<?[^)>]*>?\)")


@dataclass
class _Paragraph:
    text: str
    start: int
    end: int
    kind: str = "body"  # body | rule | chapter | part | article | clause | numbered | sub | subsub | circled | attachment | table | closing
    numeral: str = ""
    label: str = ""
    rest: str = ""
    bold: bool = False


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
    path: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    """A document's preamble (context, not cited) and its clauses in order."""

    preamble: str
    clauses: tuple[Clause, ...]
    style: str = "outline"  # articles | outline | items | qa | paragraphs
    warnings: tuple[str, ...] = ()


def _strip_marks(line: str) -> tuple[str, bool]:
    """Markdown out of a line: # marks, bold, links (their text stays), list bullets. Also says whether
    the whole line was a heading mark-up (bold or #), a hint that it stands alone as a title."""
    raw = line.strip()
    line = _LINK.sub(r"\1", raw)
    hashed = bool(re.match(r"^#+\s*", line))
    line = re.sub(r"^#+\s*", "", line)
    if not re.fullmatch(r"[-*_](?:\s*[-*_]){2,}", line):
        line = re.sub(r"^[*+-]\s+(?=\S)", "", line)
    bold = bool(re.fullmatch(r"\*\*.*\*\*", line.strip())) or hashed
    line = line.replace("**", "").replace("~~", "").replace("\u3000", " ")
    return line.strip(), bold


def _lines(source: str) -> list[tuple[str, int, int, bool]]:
    out, pos = [], 0
    for raw in source.splitlines(keepends=True):
        start, pos = pos, pos + len(raw)
        text, bold = _strip_marks(raw.rstrip("\r\n"))
        out.append((text, start, start + len(raw.rstrip("\r\n")), bold) if text else ("", start, start, False))
    return out


def _classify(text: str) -> tuple[str, re.Match[str] | None]:
    if "|" in text:  # a table row (a page's metadata box, a 清单): text, never a heading
        return ("rule", None) if re.fullmatch(r"[-|:\s]+", text) else ("table", None)
    for kind, pattern in HEADINGS:
        m = pattern.match(text)
        if m:
            if kind == "attachment" and re.search(r"[。；]$", text):
                continue
            if kind in ("chapter", "part") and (len(m.group(2)) > 20 or re.search(r"[，。；,]", m.group(2))):
                return "body", None  # "第一章总则，明确了…" is a sentence about a chapter, not a heading
            return kind, m
    if DATE_LINE.match(text) or ISSUER_LINE.match(text) or NOTE_LINE.match(text):
        return "closing", None
    return "body", None


def _label(kind: str, numeral: str) -> str:
    return {"chapter": f"第{numeral}章", "part": f"第{numeral}节", "article": f"第{numeral}条",
            "clause": f"（{numeral}）", "numbered": f"{numeral}、", "sub": f"{numeral}.",
            "subsub": f"（{numeral}）", "circled": numeral}.get(kind, "")


def _paragraphs(source: str, repair_breaks: bool = True) -> list[_Paragraph]:
    """Group lines into paragraphs; with repair_breaks, join lines a page break cut mid-sentence."""
    paras: list[_Paragraph] = []
    open_para: _Paragraph | None = None  # a body paragraph still waiting for its sentence end
    for text, start, end, bold in _lines(source):
        if not text:
            continue
        kind, m = _classify(text)
        if kind == "body" and open_para is not None:
            open_para.text += text
            open_para.end = end
        else:
            paras.append(_Paragraph(text=text, start=start, end=end, kind=kind, bold=bold))
        last = paras[-1]
        is_open = last.kind in ("body", "clause") or (last.kind == "numbered" and "。" in last.text)
        open_para = last if (repair_breaks and is_open and not last.bold
                             and not last.text.rstrip().endswith(PARAGRAPH_END)) else None
    for para in paras:  # read the number only now: a page break may have extended the text
        m = _classify(para.text)[1]
        if m is not None and para.kind in _LABELLED:
            para.numeral = m.group(1)
            para.rest = m.group(2).strip()
            para.label = _label(para.kind, para.numeral)
    return paras


_LABELLED = ("chapter", "part", "article", "clause", "numbered", "sub", "subsub", "circled")
ARTICLES_MIN = 3


def _vote(paras: list[_Paragraph]) -> str:
    """The document's style, by counting line starts: articles (第X条), a Q&A page, sections 一、 over
    bracketed clauses （一）, flat items 一、, or only Arabic items 1."""
    count = {k: sum(p.kind == k for p in paras) for k in _LABELLED}
    if count["article"] >= ARTICLES_MIN:
        return "articles"
    questions = [p for p in paras if p.kind == "numbered" and p.text.rstrip().endswith(QUESTION_END)]
    if len(questions) >= 2 and len(questions) * 2 >= count["numbered"]:
        return "qa"
    if count["clause"]:
        return "sections"
    if count["numbered"]:
        return "items"
    if count["sub"] >= 2:
        return "arabic"
    return "paragraphs"


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
    first_line = text.split("\n", 1)[0]
    first = first_line.split("。", 1)[0]
    if "。" in first_line:
        return first if len(first) <= HEADING_TITLE_MAX else ""
    # a heading alone on its line ("（一）补贴对象" followed by its paragraphs)
    return first_line if "\n" in text and len(first_line) <= HEADING_TITLE_MAX and not first_line.endswith(("，", "：", ":")) else ""


def parse_text(source: str, doc_id: str, every_paragraph: bool = False, repair_breaks: bool = True
               ) -> ParsedDocument:
    """Parse one source text into its preamble and clauses (ids "<doc_id>:<ordinal>").

    every_paragraph: make each body paragraph its own unit, for texts (reposts) whose
    numbering cannot be trusted to say where a clause ends.
    repair_breaks: join lines a page break cut mid-sentence (plain text from PDFs); off for
    sources whose line breaks are real paragraphs (Markdown, HTML, Word).
    """
    paras = _paragraphs(source, repair_breaks)
    mode = _vote(paras)
    # the level that makes a clause, and the levels above it that are context
    clause_kinds = {"articles": ("article",), "qa": ("numbered",), "sections": ("clause",),
                    "items": ("numbered",), "arabic": ("sub",), "paragraphs": ()}[mode]
    context_kinds = {"articles": ("chapter", "part"), "qa": (), "sections": ("chapter", "part", "numbered"),
                     "items": ("chapter", "part"), "arabic": ("chapter", "part", "numbered"),
                     "paragraphs": ()}[mode]
    preamble: list[str] = []
    units: list[_Unit] = []
    warnings: list[str] = []
    section = ""
    context: dict[str, _Paragraph] = {}  # kind → the heading now open at that level
    attachment = ""
    current: _Unit | None = None
    body_started = False

    def path_for(label: str) -> tuple[str, ...]:
        path = [attachment] if attachment else []
        if mode != "articles":
            path += [context["numbered"].label] if "numbered" in context else []
        return tuple(path + ([label] if label else []))

    def parents() -> tuple[str, ...]:
        return tuple(squeeze(context[k].text) for k in ("chapter", "part", "numbered") if k in context)

    for p in paras:
        if p.kind == "rule":
            if units:  # a horizontal rule after the body starts the trailer (抄送, 印发)
                break
            continue
        if p.kind == "attachment":
            if units:
                attachment = "附件" + _classify(p.text)[1].group(1)  # 附件1, or 附件 when unnumbered
                context.clear()
                section, current = "", None
                continue
            preamble.append(squeeze(p.text))
            continue
        if p.kind == "closing":
            if not units and not body_started:
                preamble.append(squeeze(p.text))
            continue  # an issuer or a date alone on its line closes the text; it belongs to no clause
        if p.kind in context_kinds:
            is_section = p.kind != "numbered" or mode in ("sections", "arabic") or (
                len(p.text) <= SECTION_MAX_CHARS and "。" not in p.text)
            if is_section:
                if p.kind in ("chapter", "part"):
                    context.pop("part", None)
                    context.pop("numbered", None)
                context[p.kind] = p
                section, current = squeeze(p.text), None
                body_started = True
                continue
        if p.kind == "body" and p.bold and len(p.text) <= SECTION_MAX_CHARS and not p.text.endswith(PARAGRAPH_END) \
                and (units or body_started or mode == "paragraphs"):
            context.pop("numbered", None)  # an unnumbered heading in bold: a section of its own
            section, current = squeeze(p.text), None
            body_started = True
            continue
        if mode == "paragraphs" and p.kind in ("body", "table"):
            text = squeeze(p.text)
            if NOTICE_LINE.search(text) or (not units and not body_started and len(text) < 15):
                preamble.append(text)
                continue
            if len(text) < 15 and not text.endswith(PARAGRAPH_END):
                section, current = text, None
                continue
            current = _Unit(kind="paragraph", label="", numeral="", section=section, start=p.start, end=p.end,
                            parts=[text], path=path_for(""), parents=parents())
            units.append(current)
            continue
        if mode == "items" and p.kind == "numbered" and not (len(p.text) <= SECTION_MAX_CHARS and "。" not in p.text):
            pass  # an item
        elif mode == "items" and p.kind == "numbered":
            context["numbered"] = p
            section, current = squeeze(p.text), None
            body_started = True
            continue
        if p.kind in clause_kinds:
            label = p.label
            kind = {"article": "article", "clause": "clause"}.get(p.kind, "item")
            current = _Unit(kind=kind, label=label, numeral=p.numeral, section=section, start=p.start, end=p.end,
                            parts=[squeeze(p.rest)], path=path_for(label), parents=parents())
            units.append(current)
            current.units = _split_units(current.parts[0])[1]
            body_started = True
            continue
        if p.kind in _LABELLED and current is not None:  # a lower level: 项, 目 and their like stay in the clause
            current.parts.append(squeeze(p.text))
            current.end = p.end
            continue
        # A body paragraph (or a lower-level item with no clause open): preamble, continuation, or a unit.
        if not units and not section:
            preamble.append(squeeze(p.text))
            continue
        if attachment and current is None and not section:
            continue  # an attachment's loose text (a form, a list of files) is not a clause
        if every_paragraph:
            current = None
        if current is not None and (current.kind == "paragraph" or not current.units):
            current.parts.append(squeeze(p.text))
            current.end = p.end
        else:
            current = _Unit(kind="paragraph", label="", numeral="", section=section,
                            start=p.start, end=p.end, parts=[squeeze(p.text)], path=path_for(""),
                            parents=parents())
            units.append(current)
        if current.kind != "paragraph":
            current.units = _split_units("\n".join(current.parts))[1]
    clauses = []
    for ordinal, u in enumerate(units, start=1):
        text, responsible = _split_units("\n".join(x for x in u.parts if x))
        clauses.append(Clause(
            id=f"{doc_id}:{ordinal}", doc_id=doc_id, ordinal=ordinal, label=u.label,
            numeral=u.numeral, heading=_heading_of(text) if u.numeral else "", section=u.section,
            text=text, responsible_units=responsible, span=(u.start, u.end), kind=u.kind,
            sha256=hashlib.sha256(text.encode()).hexdigest()[:16], path="".join(_spaced(u.path)),
            parents=u.parents))
    if not clauses:
        warnings.append("no numbered clause found: the text is kept as unnumbered paragraphs")
    return ParsedDocument(preamble="\n".join(preamble), clauses=tuple(clauses), style=mode,
                          warnings=tuple(warnings))


def _spaced(path: tuple[str, ...]) -> list[str]:
    """附件1 二、（一）: a space only after the attachment marker."""
    return [f"{p} " if p.startswith("附件") and i < len(path) - 1 else p for i, p in enumerate(path)]


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
