"""Adding a document to the knowledge base: read any supported file, find its structure and its
metadata, place it in the division hierarchy, and record it in the manifest.

`prepare` reads and detects without writing anything (what `familydesk ingest` prints, what
`POST /api/admin/documents` returns); `commit` writes the text and the manifest entry. Flags given
by the person adding the document override whatever was detected.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .clauses import ParsedDocument, parse_text
from .corpus import REPAIR_BREAKS, put_document, read_manifest, write_manifest
from .errors import BadRequest
from .formats import SUPPORTED, read_source
from .metadata import KINDS, Detected, detect
from .models import Overrides
from .regions import Divisions, Region

NATIONAL = "全国"
MIN_CLAUSE_CHARS = 15  # a page with less text than this in its clauses holds no document (a list page)


@dataclass
class Prepared:
    """A document read and understood, not yet written."""

    doc_id: str
    text: str
    format: str
    parsed: ParsedDocument
    region: Region
    entry: dict
    warnings: list[str]
    assumed: list[str]

    def report(self) -> dict:
        """What was detected and what was assumed, for the CLI and the admin API."""
        e = self.entry
        return {"id": self.doc_id, "title": e["title"], "number": e["number"], "issuer": e["issuer"],
                "date": e["date"], "effective": e["effective"], "region": e["city"], "region_code": e["region_code"],
                "level": e["level"], "kind": e["kind"], "authority": e["authority"], "format": self.format,
                "style": self.parsed.style, "clauses": len(self.parsed.clauses),
                "numbered_clauses": sum(1 for c in self.parsed.clauses if c.path),
                "supersedes": e["supersedes"], "warnings": self.warnings, "assumed": self.assumed}


def doc_id_for(path: Path, region: Region, text: str) -> str:
    """A stable, readable id: the file name when it is ASCII, else the region's pinyin and a content-free
    hash of the file name (so re-ingesting a changed file under the same name replaces it)."""
    stem = path.stem
    ascii_slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if ascii_slug and stem.isascii():
        return ascii_slug
    from pypinyin import lazy_pinyin

    place = re.sub(r"[^a-z0-9]+", "", "".join(lazy_pinyin(region.short))) or "doc"
    return f"{place}-{hashlib.sha256(stem.encode('utf-8')).hexdigest()[:8]}"


def resolve_region(divisions: Divisions, det: Detected, hint: str | None, flag: str | None,
                   text: str, tags: list[str] | None = None) -> tuple[Region, list[str]]:
    """Where a document applies: the flag, else the issuer's place, else the title's, else the page's
    hint, else the place the text names most; a national issuer with no place means 全国."""
    tags = [str(t) for t in (tags or [])]
    if flag:
        return divisions.resolve(flag), []
    for source, what in ((det.issuer, "issuer"), (det.title, "title")):
        found = divisions.find(source or "")
        if found:
            return found[0], []
    if det.national:
        return divisions.resolve(NATIONAL), []
    if hint:
        parts = [p for p in re.split(r"[_/\s]+", str(hint)) if p]
        note = [f"region {hint!r} (from the page's metadata, not printed)"]
        try:
            return divisions.resolve("_".join(parts)), note
        except BadRequest:
            # a hint with other words around a place ("附普陀区"): the place, told apart by what else the text names
            candidates = divisions.find(str(hint))
            if candidates:
                named = {r.code for r in divisions.find(text[:4000] + " " + " ".join(tags))}
                best = max(candidates, key=lambda r: sum(a.code in named for a in divisions.chain(r)[1:]))
                return best, note
    counts: dict[str, tuple[int, Region]] = {}
    for r in divisions.find(text[:4000]):
        n = text[:4000].count(r.short)
        counts[r.code] = (n, r)
    if counts:
        n, r = max(counts.values(), key=lambda x: (x[0], x[1].level != "省级"))
        return r, [f"region {r.name} (the place the text names most; pass --region to be sure)"]
    return divisions.resolve(NATIONAL), ["region 全国 (no place is named in the text; pass --region to be sure)"]


def prepare(path: Path, overrides: Overrides | None = None, divisions: Divisions | None = None,
            index_dir: Path | None = None) -> Prepared:
    """Read a file, parse it and detect its metadata; BadRequest says why a file cannot be added."""
    o = overrides or Overrides()
    path = Path(path)
    source = read_source(path)
    repair = source.format in REPAIR_BREAKS
    parsed = parse_text(source.text, "new", repair_breaks=repair)
    body = sum(len(c.text) for c in parsed.clauses)
    if body < MIN_CLAUSE_CHARS:
        raise BadRequest(f"{path.name}: no document text found ({body} characters in clauses): it looks like a "
                         "list page or an empty page; save the document's own page and ingest that")
    det = detect(source.text, parsed, source.front_matter, path.stem)
    divisions = divisions or Divisions.load()
    tags = source.front_matter.get("tags") if isinstance(source.front_matter.get("tags"), list) else []
    region, region_notes = resolve_region(divisions, det, source.front_matter.get("region"), o.region, source.text,
                                          tags)
    kind = o.kind or det.kind
    if kind not in KINDS:
        raise BadRequest(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    doc_id = o.doc_id or doc_id_for(path, region, source.text)
    region_name = region.name
    if index_dir is not None:  # one name per region: reuse the one the knowledge base already uses (北京, not 北京市)
        region_name = next((e["city"] for e in read_manifest(index_dir) if e.get("region_code") == region.code
                            or (not e.get("region_code") and _same_place(divisions, e.get("city"), region))), region.name)
    parsed = parse_text(source.text, doc_id, repair_breaks=repair)
    date = o.date or det.date
    if date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
        raise BadRequest(f"date must look like 2025-12-01, got {date!r}")
    supersedes = list(o.supersedes)
    if index_dir is not None and det.repeals:
        for e in read_manifest(index_dir):
            if any(_same_title(e.get("title", ""), t) for t in det.repeals) and e["id"] not in supersedes:
                supersedes.append(e["id"])
    from .metadata import KIND_NAMES

    title = o.title or det.title or f"{det.issuer or region.name}{KIND_NAMES.get(kind, '')}"
    entry = {"id": doc_id, "file": f"sources/{doc_id}.txt", "title": title,
             "issuer": o.issuer or det.issuer or region.name, "number": o.number or det.number,
             "date": date, "city": region_name, "authority": o.authority or "official", "repost_of": None,
             "region_code": region.code, "level": region.level, "kind": kind,
             "effective": o.effective or det.effective, "supersedes": supersedes, "repealed_by": None,
             "format": source.format}
    assumed = [a for a in det.assumed if not _overridden(a, o)] + region_notes
    warnings = list(source.warnings) + list(det.warnings)
    if det.repeals and not supersedes:
        warnings.append("it repeals 《" + "》《".join(det.repeals) + "》, which is not in the knowledge base")
    return Prepared(doc_id=doc_id, text=source.text, format=source.format, parsed=parsed, region=region, entry=entry, warnings=warnings, assumed=assumed)


def _same_place(divisions: Divisions, name: str | None, region: Region) -> bool:
    try:
        return bool(name) and divisions.resolve(name).code == region.code
    except BadRequest:
        return False


def _overridden(note: str, o: Overrides) -> bool:
    return any(note.startswith(name) and getattr(o, name) for name in ("title", "date", "issuer", "region"))


def _same_title(a: str, b: str) -> bool:
    def norm(x: str) -> str:
        return re.sub(r"[\s《》〈〉<>（）()]", "", x)
    return bool(a) and bool(b) and (norm(a) == norm(b) or norm(b) in norm(a) or norm(a) in norm(b))


def commit(index_dir: Path, prepared: Prepared) -> bool:
    """Write the document and mark what it supersedes; False when nothing changed."""
    changed = put_document(index_dir, prepared.entry, prepared.text)
    if prepared.entry["supersedes"]:
        entries = read_manifest(index_dir)
        marked = [{**e, "repealed_by": prepared.doc_id} if e["id"] in prepared.entry["supersedes"]
                  and e.get("repealed_by") != prepared.doc_id else e for e in entries]
        if marked != entries:
            write_manifest(index_dir, marked)
            changed = True
    return changed


def files_in(directory: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The supported files under a folder (sorted), and the others with why they are skipped."""
    files, skipped = [], []
    for p in sorted(Path(directory).rglob("*")):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() in SUPPORTED and p.name.lower() != "readme.md":
            files.append(p)
        elif p.name.lower() != "readme.md":
            skipped.append((p, f"unsupported file type {p.suffix or '(none)'}; supported: {', '.join(SUPPORTED)}"))
    return files, skipped

