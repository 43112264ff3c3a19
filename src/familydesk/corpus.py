"""The knowledge base on disk: index/manifest.json and the source texts it lists.

Source texts are never edited: a citation quotes them. `put_document` stores a new text (as read by
ingest.py) and records it in the manifest; the same text and entry again change nothing.
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from pathlib import Path

from .clauses import ParsedDocument, align_repost, parse_text
from .errors import NotFound
from .filecache import pickled
from .models import Clause, Document

MANIFEST = "manifest.json"
FIELDS = ("id", "file", "title", "issuer", "number", "date", "city", "authority", "repost_of", "region_code", "level",
          "kind", "effective", "supersedes", "repealed_by", "format")
REPAIR_BREAKS = ("", "txt", "pdf")  # formats whose line breaks may be page breaks inside a sentence
# the modules whose code shapes a parse (this one: REPAIR_BREAKS and the parse's arguments); a cached parse is keyed
# on their source, so a changed parser is never served an old parse
PARSER_MODULES = ("corpus", "clauses", "text", "models")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Corpus:
    """Every document and clause of the knowledge base, parsed once."""

    documents: dict[str, Document]
    parsed: dict[str, ParsedDocument]
    fingerprint: str  # changes when any source text or manifest entry changes
    version: str = ""  # changes when the fingerprint or the parser's code does: the clauses depend on nothing else

    @cached_property
    def clauses(self) -> list[Clause]:
        """Every clause in order, listed once (a load asks five times: 0.5 s at 100k clauses)."""
        return [c for p in self.parsed.values() for c in p.clauses]

    def official_clauses(self) -> list[Clause]:
        """Clauses we may quote: official documents that no later document repealed."""
        return [c for c in self.clauses if self.documents[c.doc_id].official and self.documents[c.doc_id].current]

    def clause(self, clause_id: str) -> Clause:
        doc_id, _, _ = clause_id.rpartition(":")
        for c in self.parsed.get(doc_id, ParsedDocument("", ())).clauses:
            if c.id == clause_id:
                return c
        raise NotFound(f"no clause with id {clause_id!r}; ids look like 'baotou-2025-task-list:2'")


def read_manifest(index_dir: Path) -> list[dict]:
    path = index_dir / MANIFEST
    if not path.exists():
        raise NotFound(f"{path} is missing: the knowledge base needs a manifest (see README, 'Knowledge base')")
    return json.loads(path.read_text(encoding="utf-8"))["documents"]


def load_corpus(index_dir: Path, cache_dir: Path | None = None) -> Corpus:
    """Read the manifest and every source text, parse them and align reposts to their originals. `cache_dir`: where
    the parse is kept (pickled, keyed on every text and manifest entry and on the parser's code) and read back while
    they are unchanged; None: parsed every time."""
    documents: dict[str, Document] = {}
    texts: dict[str, str] = {}
    for entry in read_manifest(index_dir):
        path = index_dir / entry["file"]
        if not path.exists():
            raise NotFound(f"manifest lists {entry['file']} but {path} does not exist")
        text = path.read_text(encoding="utf-8")
        fields = {k: entry.get(k) for k in FIELDS if k in entry and entry.get(k) is not None}
        fields["supersedes"] = tuple(fields.get("supersedes") or ())
        fields.setdefault("number", None)
        doc = Document(**fields, sha256=sha256_text(text))
        documents[doc.id], texts[doc.id] = doc, text
    fingerprint = sha256_text(json.dumps(
        [asdict(d) for d in sorted(documents.values(), key=lambda d: d.id)], ensure_ascii=False))
    version = sha256_text(fingerprint + parser_version())
    parsed = pickled(cache_dir, "corpus", lambda: version[:32], lambda: _parse(documents, texts))
    return Corpus(documents=documents, parsed=parsed, fingerprint=fingerprint[:16], version=version)


def _parse(documents: dict[str, Document], texts: dict[str, str]) -> dict[str, ParsedDocument]:
    parsed = {doc_id: parse_text(texts[doc_id], doc_id, every_paragraph=not doc.official,
                                 repair_breaks=doc.format in REPAIR_BREAKS)
              for doc_id, doc in documents.items()}
    for doc_id, doc in documents.items():
        if doc.repost_of and doc.repost_of in parsed:
            parsed[doc_id] = align_repost(parsed[doc_id], parsed[doc.repost_of])
    return parsed


@cache
def parser_version() -> str:
    """A hash of the source of PARSER_MODULES and of the Python version (its unicodedata normalizes the texts)."""
    here = Path(__file__).parent
    code = b"".join((here / f"{m}.py").read_bytes() for m in PARSER_MODULES)
    return hashlib.sha256(sys.version.encode() + code).hexdigest()


def write_manifest(index_dir: Path, entries: list[dict]) -> None:
    """Replace the manifest atomically (write a temporary file, then rename it over the old one)."""
    tmp = index_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps({"documents": entries}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(index_dir / MANIFEST)


def put_document(index_dir: Path, entry: dict, text: str) -> bool:
    """Store a document's text under sources/ and its entry in the manifest; False when both are unchanged.
    `entry` needs an id; its file is sources/<id>.txt."""
    entries = read_manifest(index_dir)
    entry = {**entry, "file": f"sources/{entry['id']}.txt"}
    target = index_dir / entry["file"]
    old = next((e for e in entries if e["id"] == entry["id"]), None)
    if old == entry and target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    write_manifest(index_dir, [e for e in entries if e["id"] != entry["id"]] + [entry])
    return True


def remove_document(index_dir: Path, doc_id: str) -> dict:
    """Drop a document from the manifest (and its text from sources/); repeal links to it are cleared."""
    entries = read_manifest(index_dir)
    entry = next((e for e in entries if e["id"] == doc_id), None)
    if entry is None:
        raise NotFound(f"no document with id {doc_id!r}; GET /api/documents lists them")
    rest = []
    for e in entries:
        if e["id"] == doc_id:
            continue
        if e.get("repealed_by") == doc_id:
            e = {**e, "repealed_by": None}
        rest.append(e)
    write_manifest(index_dir, rest)
    (index_dir / entry["file"]).unlink(missing_ok=True)
    return entry
