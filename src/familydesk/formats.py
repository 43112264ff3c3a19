"""Turn a source file of any common format into plain text plus hints, for the clause parser.

`read_source(path)` dispatches on the file's suffix and returns a `SourceText`: the text with one
paragraph per line (the clause parser in clauses.py joins lines a page break or a PDF line wrap cut
mid-sentence, and reads a line with "|" as a table row), the hints a format carries (YAML front
matter of Markdown, a web page's title and date), and warnings worth showing to whoever adds the
document. Whatever cannot be read raises BadRequest with a message that says what to do.

Libraries: trafilatura (a saved web page's main content; never given a URL, so it never fetches),
python-docx, pypdf and PyYAML. Each is imported where its format is read, so importing this module
stays cheap.
"""
from __future__ import annotations

import copy
import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadRequest

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf")

# Fewer non-space characters than this per page, on average, means a PDF is a scanned image.
MIN_PDF_CHARS_PER_PAGE = 20
OCR_HINT = "run OCR first, e.g. `ocrmypdf --language chi_sim in.pdf out.pdf`, then ingest the result"
# Old or proprietary formats people will try: say how to convert them rather than only "unsupported".
CONVERT_HINTS = {
    ".doc": "save it as .docx (Word: Save As; or `libreoffice --headless --convert-to docx FILE`)",
    ".wps": "save it as .docx (WPS: 另存为 .docx; or `libreoffice --headless --convert-to docx FILE`)",
    ".rtf": "save it as .docx (`libreoffice --headless --convert-to docx FILE`)",
    ".odt": "save it as .docx (`libreoffice --headless --convert-to docx FILE`)",
    ".mhtml": "save the page as 'Web page, HTML only' (.html) instead",
    ".mht": "save the page as 'Web page, HTML only' (.html) instead",
    ".ofd": "export it to PDF from the OFD reader, then ingest the PDF",
}


@dataclass(frozen=True)
class SourceText:
    text: str  # plain text, one paragraph per line; Markdown kept as is for .md
    front_matter: dict  # YAML front matter of .md, title/date hints of .html; {} otherwise. A hint only
    format: str  # "txt" | "md" | "html" | "docx" | "pdf"
    warnings: tuple[str, ...] = ()


def read_source(path: Path) -> SourceText:
    """Read `path` by its suffix into plain text plus hints; BadRequest says what to do otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        hint = CONVERT_HINTS.get(suffix, "convert it to one of these first")
        raise BadRequest(
            f"{path.name}: unsupported file type {suffix or '(no suffix)'!r}; "
            f"supported: {', '.join(SUPPORTED)}. {hint[0].upper() + hint[1:]}."
        )
    if not path.is_file():
        raise BadRequest(f"{path}: no such file; check the path")
    data = path.read_bytes()
    if not data.strip():
        raise BadRequest(f"{path.name} is empty: nothing to ingest; check that the right file was exported")
    reader = {
        ".txt": _read_txt, ".md": _read_md, ".markdown": _read_md,
        ".html": _read_html, ".htm": _read_html, ".docx": _read_docx, ".pdf": _read_pdf,
    }[suffix]
    source = reader(path.name, data)
    if not source.text.strip():
        raise BadRequest(f"{path.name} has no text to ingest (only markup or empty paragraphs)")
    return source


# --- plain text and Markdown ---------------------------------------------------------------------

def _decode(name: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    """UTF-8 (a BOM is dropped), UTF-16 with a BOM, else GB18030 (a superset of GBK/GB2312) with a
    warning; anything else is refused with an iconv hint."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _check_text(name, data.decode("utf-16")), ()
        except UnicodeDecodeError:
            pass
    try:
        return _check_text(name, data.decode("utf-8")), ()
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise BadRequest(
            f"{name} is neither UTF-8 nor GBK/GB18030 text; convert it to UTF-8 first, "
            f"e.g. `iconv -f BIG5 -t UTF-8 {name} > converted{Path(name).suffix}` (use the file's real encoding)"
        ) from None
    return _check_text(name, text), (
        f"{name} is not UTF-8: read it as GB18030/GBK; check the text, or convert it with "
        f"`iconv -f GB18030 -t UTF-8`",
    )


def _check_text(name: str, text: str) -> str:
    if "\x00" in text:
        raise BadRequest(f"{name} looks like a binary file, not text; export the document as .txt, .docx or .pdf")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_txt(name: str, data: bytes) -> SourceText:
    text, warnings = _decode(name, data)
    return SourceText(text=text, front_matter={}, format="txt", warnings=warnings)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_YAML_KEY_LINE = re.compile(r"^\s*[\w\u4e00-\u9fff][\w\u4e00-\u9fff .-]*:(\s|$)")


def _read_md(name: str, data: bytes) -> SourceText:
    text, warnings = _decode(name, data)
    front, body, more = split_front_matter(text)
    return SourceText(text=body, front_matter=front, format="md", warnings=warnings + more)


def split_front_matter(text: str) -> tuple[dict, str, tuple[str, ...]]:
    """A leading `--- … ---` YAML block as a dict, and the body after it. A block that fails to parse
    but looks like front matter (its first line is `key:`) is dropped with a warning; one that does
    not (a Markdown rule followed by prose) is left in the body."""
    import yaml

    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text, ()
    block, body = m.group(1) or "", text[m.end():]
    try:
        data = yaml.safe_load(block) if block.strip() else {}
        error = None
    except yaml.YAMLError as err:
        data, error = None, " ".join(str(err).split())
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}, body, ()
    first = next((line for line in block.splitlines() if line.strip()), "")
    if not _YAML_KEY_LINE.match(first):
        return {}, text, ()  # not front matter: a horizontal rule opening the text
    reason = error or f"it is a {type(data).__name__}, not a mapping of key: value"
    return {}, body, (f"front matter dropped: not valid YAML ({reason[:200]}); fix the block between the --- lines",)


def _plain(value):
    """YAML dates as ISO strings, like the other formats' hints."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


# --- a saved web page ----------------------------------------------------------------------------

# Page chrome that trafilatura's recall mode may keep on government CMS pages (a menu in <div id="nav">).
_CHROME_TOKENS = ("nav", "navbar", "nav-bar", "menu", "topmenu", "mainmenu", "footer", "foot", "bottom",
                  "breadcrumb", "crumb", "crumbs", "position", "location", "share", "sidebar", "copyright")
_CHROME_XPATH = (
    "//nav | //footer | //aside | //header[not(ancestor::article or ancestor::main)]"
    " | //*[@role='navigation' or @role='contentinfo' or @role='banner']"
)


def _read_html(name: str, data: bytes) -> SourceText:
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(data)  # bytes: trafilatura decodes by BOM, <meta charset> or detection (GBK too)
    if tree is None:
        raise BadRequest(f"{name} could not be parsed as HTML; save the page again as 'Web page, HTML only'")
    hints = _html_hints(copy.deepcopy(tree))
    _prune_chrome(tree)
    text = trafilatura.extract(tree, favor_recall=True, include_tables=True, include_comments=False,
                               include_images=False, include_links=False, output_format="txt",
                               with_metadata=False, deduplicate=False)
    if not text or not text.strip():
        raise BadRequest(f"{name}: no main text found in the page; save the article page itself "
                         "(not a list or search page), or copy its text into a .txt file")
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if len(line) > 1 and line.startswith("|") and line.endswith("|"):  # a table row: "| a | b |"
            line = " | ".join(cell.strip() for cell in line[1:-1].split("|"))
        lines.append(line)
    return SourceText(text="\n".join(lines).strip() + "\n", front_matter=hints, format="html")


def _prune_chrome(tree) -> None:
    """Drop semantic page chrome (<nav>, <footer>, …) and elements whose id or class names a menu,
    footer or breadcrumb, unless such an element holds most of the page's text (then it is a
    layout wrapper around the article)."""
    body = tree.find("body") if tree.find("body") is not None else tree
    total = len("".join(body.itertext()))
    candidates = [(el, False) for el in tree.xpath(_CHROME_XPATH)]
    for el in body.iter():
        if not isinstance(el.tag, str) or el is body:
            continue
        tokens = (el.get("id", "") + " " + el.get("class", "")).lower().replace("_", "-").split()
        if any(t in _CHROME_TOKENS for t in tokens):
            candidates.append((el, True))
    for el, guarded in candidates:
        parent = el.getparent()
        if parent is None or (guarded and len("".join(el.itertext())) > 0.5 * total):
            continue
        prev, tail = el.getprevious(), el.tail
        parent.remove(el)
        if tail and tail.strip():  # text after the element is not part of it
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail


def _html_hints(tree) -> dict:
    """Title, date and site from trafilatura's metadata (htmldate without its extensive text search,
    which reads "2000元" as the year 2000), plus the <title> and a government CMS's ContentSource."""
    import trafilatura

    page_title = " ".join("".join(tree.xpath("//head/title//text()")).split())
    upper, lower = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
    # government CMS pages (TRS, Hanweb) name the issuing office here
    source = [s.strip() for s in tree.xpath(
        f"//meta[translate(@name, '{upper}', '{lower}')='contentsource']/@content") if s.strip()]
    hints: dict = {}
    try:
        meta = trafilatura.extract_metadata(tree, date_config={"extensive_search": False, "original_date": True})
    except Exception:  # a hint only: never fail the whole read on metadata
        meta = None
    if meta is not None:
        for key in ("title", "date", "author", "sitename", "description"):
            value = getattr(meta, key, None)
            if isinstance(value, str) and value.strip():
                hints[key] = value.strip()
    if page_title:
        hints.setdefault("title", page_title)
        if page_title != hints["title"]:
            hints["page_title"] = page_title
    if source:
        hints["source"] = source[0]
    return hints


# --- Word ----------------------------------------------------------------------------------------

def _read_docx(name: str, data: bytes) -> SourceText:
    import io

    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:
        raise BadRequest(
            f"{name} could not be opened as a Word .docx file ({type(err).__name__}); open it in Word or "
            "WPS and save it again as .docx (an old .doc renamed to .docx will not do)"
        ) from None
    lines: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
        else:
            # a soft line break (Shift+Enter) often starts the next numbered item: keep it a line
            lines.extend(line.strip() for line in block.text.replace("\u00a0", " ").split("\n"))
    text = "\n".join(lines).strip()
    return SourceText(text=text + "\n" if text else "", front_matter={}, format="docx")


def _table_rows(table) -> list[str]:
    """One line per row, cells joined by " | "; a merged cell is read once, a nested table inline."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            parts = [p.text.strip() for p in cell.paragraphs]
            parts += [" ; ".join(_table_rows(t)) for t in cell.tables]
            cells.append(" ".join(p for p in parts if p))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


# --- PDF -----------------------------------------------------------------------------------------

# A line that is only a page number: "- 3 -", "— 3 —", "3", "第3页 共10页", "3/10".
_PAGE_NUMBER = re.compile(r"^[-—–－\s]*\d{1,4}[-—–－\s]*$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$|^\d+\s*/\s*\d+$")


def _read_pdf(name: str, data: bytes) -> SourceText:
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files are common
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadRequest(f"{name} is password-protected; remove the password "
                             "(e.g. `qpdf --decrypt --password=PASS in.pdf out.pdf`) and ingest the result")
        pages = [page.extract_text() or "" for page in reader.pages]
    except BadRequest:
        raise
    except Exception as err:
        raise BadRequest(
            f"{name} could not be opened as a PDF ({type(err).__name__}: {str(err)[:120]}); check that the "
            "file is complete, or print it to a new PDF and ingest that"
        ) from None
    if not pages:
        raise BadRequest(f"{name} has no pages; export the document to PDF again")
    chars = [len(re.sub(r"\s", "", p)) for p in pages]
    if sum(chars) / len(pages) < MIN_PDF_CHARS_PER_PAGE:
        raise BadRequest(f"{name} has no text layer (a scanned image): {OCR_HINT}")
    warnings: tuple[str, ...] = ()
    blank = [str(i + 1) for i, n in enumerate(chars) if n == 0]
    if blank:
        warnings = (f"{name}: page(s) {', '.join(blank[:20])} have no text layer (scanned?); their text is "
                    f"missing: {OCR_HINT}",)
    lines: list[str] = []
    for page in pages:
        page_lines = [line.strip() for line in page.replace("\r\n", "\n").split("\n")]
        while page_lines and (not page_lines[-1] or _PAGE_NUMBER.match(page_lines[-1])):
            page_lines.pop()
        while page_lines and (not page_lines[0] or _PAGE_NUMBER.match(page_lines[0])):
            page_lines.pop(0)
        lines.extend(page_lines)
    text = "\n".join(lines).strip()
    return SourceText(text=text + "\n" if text else "", front_matter={}, format="pdf", warnings=warnings)
