"""What a document says about itself: title, 文号, issuer, date, effective date, kind, what it repeals.

Read from the printed text first (the covering notice, the document's own title, its closing
"自…起施行" paragraph), then from the hints a scraper or a form gave (YAML front matter, HTML meta),
and last from the file name. Every guess is reported as `assumed`, so `familydesk ingest` can say
what it detected and what it assumed; flags override any of it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .clauses import DATE_LINE, ISSUER_LINE, ParsedDocument, _strip_marks

KINDS = ("rule", "guide", "interpretation")
KIND_NAMES = {"rule": "政策文件", "guide": "办事指南", "interpretation": "政策解读"}
# a page title that is a portal's label rather than a document's title
JUNK_TITLE = re.compile(r"^附件|日期|来源|发布时间|门户网站|政府信息公开|部门文件|^\W*$|^[^\u4e00-\u9fff]*$")
KIND_OF_TYPE = {"政策规章": "rule", "政策法规": "rule", "办事指南": "guide", "官方解读": "interpretation",
                "政策解读": "interpretation", "rule": "rule", "guide": "guide", "interpretation": "interpretation"}
_KIND_WORDS = (("interpretation", re.compile(r"解读|问答|答问|问与答|答记者问|一图读懂")),
               ("guide", re.compile(r"指南|申领|操作|流程|怎么办|攻略|提醒|开始|可以申")))
_FORMS = {  # the printed forms a document's details are read from
    "title_words": r"方案|办法|细则|措施|规定|意见|通知|指南|解读|问答|清单|条例|决定|公告|通告|规范",
    "in_notice_order": r"现将[〈<《]([^》〉>]{4,80})[》〉>]印发|[〈<《]([^》〉>]{4,80})[》〉>](?:已经[^，。]{0,20}同意，)?现予?印发",
    "in_headline": r"印发[了]?[〈<《]([^》〉>]{4,80})[》〉>]$",
    "number_at": r"^(?P<n>[\u4e00-\u9fff]{1,8}[〔\[［(（](?:19|20)\d{2}[〕\]］)）]\d{1,4}号)",
    "number_cell": r"(?:^|\|)(?P<n>[\u4e00-\u9fff]{1,8}[〔\[［(（](?:19|20)\d{2}[〕\]］)）]\d{1,4}号)\s*(?:\||$)",
    "cn_date": r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
    "iso_date": r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})",
    "table_date": r"(?:成文日期|发文日期|发布日期|印发日期)\s*[:：]?\s*\|?\s*((?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)",
    "table_issuer": r"(?:发布机构|发文机关|发文单位)\s*[:：]?\s*\|?\s*([^|\n]{2,40})",
    "effective": r"(?:自|从|于)\s*((?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:起)?\s*(?:施行|实施|执行|生效)",
    "table_effective": r"生效日期\s*[:：]?\s*\|?\s*((?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2})",
    "repeal": r"废止\s*[〈<《]([^》〉>]{4,80})[》〉>]|[〈<《]([^》〉>]{4,80})[》〉>][^。]{0,20}(?:同时|予以|即行)?废止",
    "national_issuer": r"国务院|中共中央|国家卫生健康委|国家卫健委|财政部|国家医保局|国家发展改革委|全国",
}
_RE = {name: re.compile(form) for name, form in _FORMS.items()}


@dataclass
class Detected:
    """What was read off a document, and which of it was assumed rather than printed."""

    title: str = ""
    number: str | None = None
    issuer: str = ""
    date: str = ""
    effective: str = ""
    kind: str = "rule"
    national: bool = False  # issued by a national body (国务院, 国家卫生健康委…)
    repeals: list[str] = field(default_factory=list)  # titles of documents it repeals
    assumed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def iso_date(text: str) -> str:
    """'2025年12月1日' / '2025-12-1' → '2025-12-01'; '' when there is no date."""
    m = _RE["cn_date"].search(text or "") or _RE["iso_date"].search(text or "")
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("**", "")).strip("：:，,。 ")


def detect(text: str, parsed: ParsedDocument, hints: dict | None = None, file_stem: str = "") -> Detected:
    """Read a document's metadata from its text; `hints` (front matter, HTML meta) fill the gaps."""
    hints = {k: v for k, v in (hints or {}).items() if v}
    d = Detected()
    preamble = parsed.preamble
    lines = [ln.strip() for ln in preamble.splitlines() if ln.strip()]
    head = re.sub(r"\s+", "", preamble)
    top = text[:3000]

    raw_lines = [_strip_marks(ln)[0] for ln in text.splitlines()]
    raw_lines = [ln for ln in raw_lines if ln][:60]
    # title: the last title-like line before the body (the document's own title follows its notice);
    # a notice's title (关于印发《X》的通知) names the document X
    titles = [ln for ln in lines if len(ln) <= 70 and _RE["title_words"].search(ln) and "|" not in ln and "，" not in ln
              and not re.search(r"[。；]$", ln) and not ln.startswith(("各", "根据", "为", "现将"))]
    # a news-style heading "X厅印发《Y》": the document is Y
    titles = [(_RE["in_headline"].search(t).group(1) if _RE["in_headline"].search(t) and not t.endswith("通知") else t)
              for t in titles]
    joined_notice = re.search(r"关于印发[〈<《]([^》〉>]{4,80})[》〉>]的?通知", head)
    m = _RE["in_notice_order"].search(head)
    if titles and not re.search(r"关于印发|的通知$", titles[-1]):
        d.title = _clean(titles[-1])
    elif joined_notice:
        d.title = _clean(joined_notice.group(1))
    elif m:
        d.title = _clean(m.group(1) or m.group(2))
    elif titles:
        d.title = _clean(titles[-1])
    elif hints.get("title") and not JUNK_TITLE.search(str(hints["title"])):
        d.title = _clean(str(hints["title"]))
        d.assumed.append("title (from the page's metadata)")
    elif hints.get("title"):
        d.title = ""  # the page's title is a scraper's label (日期…来源…, 部门文件_…门户网站): named after the issuer below
        d.assumed.append("title (none printed; named after the issuer and kind)")
    else:
        first = next((ln for ln in raw_lines), file_stem)
        d.title = _clean(first)[:60] or file_stem
        d.assumed.append("title (the first line)")
    # 文号: on a line of its own, at the start of a line, or in a metadata table — never one cited in a sentence
    for ln in raw_lines[:40]:
        flat = re.sub(r"\s+", "", ln).lstrip("[")
        m = _RE["number_at"].match(flat) or (_RE["number_cell"].search(flat) if "|" in flat else None)
        if m:
            d.number = m.group("n").replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")
            break
    # issuer and date: the signature of the covering notice (issuer lines, then a date line)
    for i, ln in enumerate(raw_lines):
        if DATE_LINE.match(ln) or re.fullmatch(r".{2,60}\s+(?:19|20)\d{2}年\d{1,2}月\d{1,2}日", ln):
            d.date = iso_date(ln)
            issuers = []
            own = re.sub(r"\s*(?:19|20)\d{2}年\d{1,2}月\d{1,2}日$", "", ln).replace("|", " ").strip()
            if own and not DATE_LINE.match(ln) and ISSUER_LINE.match(own):
                issuers.append(own)
            for prev in reversed(raw_lines[:i]):
                if ISSUER_LINE.match(prev):
                    issuers.insert(0, prev)
                else:
                    break
            if issuers:
                d.issuer = "、".join(re.sub(r"[\s|]+", "、", x).strip("、") for x in issuers)
            break
    if not d.date:
        m = _RE["table_date"].search(top) or re.search(r"(?:发布时间|发布日期|日期)\s*[:：]\s*\**\s*((?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2})", top)
        if m:
            d.date = iso_date(m.group(1))
    if not d.issuer:
        m = _RE["table_issuer"].search(top) or re.search(r"来源\s*[:：]\s*\**\s*([^*\s|]{2,40}?(?:委员会|政府|办公厅|办公室|厅|局|中心))", top)
        if m and m.group(1).strip():
            d.issuer = _clean(m.group(1))
    if not d.issuer:
        m = re.search(r"^([^《》〈〉，。]{2,40}?)(?:关于|印发)", re.sub(r"\s+", "", raw_lines[0]) if raw_lines else "")
        if m and re.search(r"(委员会|政府|厅|局|办公室|部|委)$", m.group(1)):
            d.issuer = _clean(m.group(1))
    if not d.issuer:  # a signature at the end of the text
        tail = [_strip_marks(ln)[0] for ln in text.strip().splitlines()[-8:]]
        tail = [ln for ln in tail if ln]
        for i, ln in enumerate(tail):
            if DATE_LINE.match(ln) and i and ISSUER_LINE.match(tail[i - 1]):
                d.issuer, d.date = tail[i - 1], d.date or iso_date(ln)
    if not d.date and (hints.get("date") or hints.get("timestamp")):
        d.date = iso_date(str(hints.get("date") or hints.get("timestamp")))
        d.assumed.append("date (from the page's metadata, not printed)")
    if not d.issuer:
        d.assumed.append("issuer (not printed)")
    # effective date: the closing 自…起施行, else a 生效日期 field
    found = _RE["effective"].findall(text)
    if found:
        d.effective = iso_date(found[-1])
    else:
        m = _RE["table_effective"].search(top)
        d.effective = iso_date(m.group(1)) if m else ""
    # kind
    hinted = KIND_OF_TYPE.get(str(hints.get("type", "")).strip())
    for kind, pattern in _KIND_WORDS:
        if pattern.search(d.title):
            d.kind = kind
            break
    else:
        d.kind = hinted or "rule"
        if not hinted and parsed.style in ("qa",):
            d.kind = "interpretation"
    # repeal notices
    if "废止" in d.title or "废止" in head:
        for a, b in _RE["repeal"].findall(re.sub(r"\s+", "", text[:5000])):
            t = _clean(a or b)
            if t and t != d.title and t not in d.repeals:
                d.repeals.append(t)
    # where it applies: the issuer's place, else the title's, else the hint
    d.repeals = [r for r in d.repeals if "废止" not in r]
    d.national = bool(_RE["national_issuer"].search(d.issuer)) and not re.search(r"[省市区县州盟旗]", d.issuer.replace("国务院", ""))
    if parsed.warnings:
        d.warnings.extend(parsed.warnings)
    return d
