"""How cost grows with the corpus: build time, index size and retrieval latency on synthetic
corpora of N clauses, generated from the real ones.

    .venv/bin/python bench/growth.py [--sizes 1000,10000,100000] [--seed 7]

The synthetic corpus (seeded, reproducible): each synthetic clause takes a random official clause,
keeps its sentences in a shuffled order, and swaps one sentence for a sentence of another random
clause; documents hold 50 clauses each and are spread over the three cities, so city routing still
filters a third of the corpus. To keep a 100k run under ten minutes on two cores, each synthetic
clause is embedded as ONE window (its first 200 characters) instead of one window per sentence
(the shipped corpus averages 5.3 windows per clause): dense build time below is per window.
Retrieval latency is the full `HybridIndex.search` (BM25 + Chroma query + fusion) for the dev
questions, after one warm-up pass, with the query-vector cache cleared.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import familydesk.store as store  # noqa: E402
from familydesk import Settings  # noqa: E402
from familydesk.clauses import ParsedDocument  # noqa: E402
from familydesk.corpus import Corpus, load_corpus  # noqa: E402
from familydesk.embeddings import make_embeddings  # noqa: E402
from familydesk.models import Clause, Document  # noqa: E402
from familydesk.query import QueryReader  # noqa: E402
from familydesk.retrieval import HybridIndex  # noqa: E402
from familydesk.text import split_sentences  # noqa: E402

CITIES = ("北京", "包头", "赣州")


def synthetic_corpus(n: int, seed: int) -> Corpus:
    real = load_corpus(ROOT / "index")
    pool = [c for c in real.official_clauses() if c.numeral]
    rng = random.Random(seed)
    documents, parsed = {}, {}
    per_doc = 50
    for d in range((n + per_doc - 1) // per_doc):
        doc_id = f"synthetic-{d:05d}"
        city = CITIES[d % 3]
        documents[doc_id] = Document(id=doc_id, file="", title=f"合成文件{d}", issuer="bench", number=None,
                                     date="2026", city=city)
        clauses = []
        for i in range(min(per_doc, n - d * per_doc)):
            base, other = rng.choice(pool), rng.choice(pool)
            sentences = split_sentences(base.text)
            rng.shuffle(sentences)
            extra = split_sentences(other.text)
            sentences[rng.randrange(len(sentences))] = rng.choice(extra)
            text = "".join(sentences)
            clauses.append(Clause(id=f"{doc_id}:{i + 1}", doc_id=doc_id, ordinal=i + 1, label=base.label,
                                  numeral=base.numeral, heading=base.heading, section=base.section, text=text,
                                  responsible_units="", span=(0, 0), sha256=str(hash(text))))
        parsed[doc_id] = ParsedDocument(preamble="", clauses=tuple(clauses))
    return Corpus(documents=documents, parsed=parsed, fingerprint=f"synthetic-{n}-{seed}")


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    emb, fingerprint = make_embeddings("use", threads=Settings().embedding_threads)
    reader = QueryReader(ROOT / "index")
    questions = [json.loads(line)["q"] for line in
                 (ROOT / "tests" / "data" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        corpus = synthetic_corpus(n, args.seed)
        tmp = Path(tempfile.mkdtemp())
        client = store.make_client(None, tmp)
        t = time.perf_counter()
        clause_store = store.ClauseStore(client, emb, fingerprint,
                                         windows=lambda clause: [clause.text[:200]])  # one window per clause (see above)
        clause_store.sync(corpus.clauses, {d.id: d.city for d in corpus.documents.values()}, progress=True)
        dense_build = time.perf_counter() - t
        t = time.perf_counter()
        index = HybridIndex(corpus, reader.tokenizer, clause_store, emb, Settings().dense_weight)
        lexical_build = time.perf_counter() - t
        queries = [reader.read(q) for q in questions]
        for q in queries[:20]:
            index.search(q)
        emb._cache.clear()
        lat = []
        for q in queries:
            t = time.perf_counter()
            index.search(q)
            lat.append(time.perf_counter() - t)
        row = {"clauses": n, "dense_build_s": round(dense_build, 1), "lexical_build_s": round(lexical_build, 1),
               "chroma_mb": round(dir_size(tmp) / 1e6, 1), "search_p50_ms": round(statistics.median(lat) * 1000, 1),
               "search_p95_ms": round(sorted(lat)[int(0.95 * (len(lat) - 1))] * 1000, 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| clauses | dense index build s | BM25 build s | Chroma on disk MB | search p50 ms | search p95 ms |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clauses']:,} | {r['dense_build_s']} | {r['lexical_build_s']} | {r['chroma_mb']} | "
              f"{r['search_p50_ms']} | {r['search_p95_ms']} |")


if __name__ == "__main__":
    main()
