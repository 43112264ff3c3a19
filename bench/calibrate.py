"""Choose the fusion weight and the abstention threshold by measurement, and compare embeddings.

Runs on the hand-written dev set (tests/data/dev_questions.jsonl) — never on the shared evaluation,
which stays a held-out check. Prints Markdown tables (pasted into docs/retrieval.md):

    .venv/bin/python bench/calibrate.py [--embeddings use,sentence-transformers,none]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.evaluation import evaluate, load_questions  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev_questions.jsonl"
OFFTOPIC = ROOT / "tests" / "data" / "offtopic_questions.jsonl"


def run(a: Assistant, rows, weight: float, threshold: float) -> dict:
    a.index.dense_weight = weight
    a.answerer.min_relevance = threshold
    figures, _ = evaluate(lambda q: a.ask(q).to_dict(), rows, a.region_aliases)
    return figures


def split(rows, lang):
    zh = [r for r in rows if any("\u4e00" <= ch <= "\u9fff" for ch in r["q"])]
    return zh if lang == "zh" else [r for r in rows if r not in zh]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embeddings", default="use,sentence-transformers,none")
    ap.add_argument("--questions", default=str(DEV))
    args = ap.parse_args()
    rows = load_questions(Path(args.questions))
    answerable = [r for r in rows if not r.get("abstain")]
    tmp = Path(tempfile.mkdtemp())
    a_use = None
    print(f"Dev set: {len(answerable)} answerable + {len(rows) - len(answerable)} out-of-scope questions\n")
    w0, t0 = Settings().dense_weight, Settings().min_relevance
    print(f"## Embedding providers (fusion weight {w0} unless lexical-only; threshold {t0})\n")
    print("| embeddings | weight | hit@1 | hit@1 zh | hit@1 en | MRR | abstain_ok | index build s | p50 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for provider in args.embeddings.split(","):
        t = time.perf_counter()
        a = Assistant(Settings(embedding=provider, chroma_dir=tmp / provider, rate_limit=0)).load()
        build = time.perf_counter() - t
        settings = [(w0, "hybrid")] if provider != "none" else [(0.0, "lexical only")]
        if provider != "none":
            settings.append((1.0, "dense only"))
        for w, name in settings:
            t = t0 if w < 1 else 0.0
            f, fz, fe = run(a, rows, w, t), run(a, split(answerable, "zh"), w, t), run(a, split(answerable, "en"), w, t)
            print(f"| {provider} ({name}) | {w} | {f['hit@1']:.3f} | {fz['hit@1']:.3f} | {fe['hit@1']:.3f} | "
                  f"{f['mrr']:.3f} | {f['abstain_ok']:.3f} | {build:.1f} | {f['p50_ms']} |")
        if provider == "use":
            a_use = a
    if a_use is None:
        return
    print(f"\n## Fusion weight (USE), threshold {t0}\n")
    print("| dense weight | hit@1 | hit@3 | MRR | abstain_ok |")
    print("|---|---|---|---|---|")
    for w in (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8):
        f = run(a_use, rows, w, t0)
        print(f"| {w} | {f['hit@1']:.3f} | {f['hit@3']:.3f} | {f['mrr']:.3f} | {f['abstain_ok']:.3f} |")
    w = Settings().dense_weight
    off = load_questions(OFFTOPIC)
    print(f"\n## Abstention: threshold x weight of English words the glossary lacks (USE, weight {w})\n")
    print(f"Answerable questions wrongly abstained (of {len(answerable)}) / off-topic questions abstained "
          f"(of {len(off)}, tests/data/offtopic_questions.jsonl).\n")
    thresholds = (0.2, 0.25, 0.3, 0.35)
    print("| unknown-word weight | " + " | ".join(f"t={t}" for t in thresholds) + " |")
    print("|---|" + "---|" * len(thresholds))
    a_use.index.dense_weight = w
    for lam in (0.0, 0.25, 0.5, 0.75, 1.0):
        a_use.index.unknown_word_weight = lam
        cells = []
        for t in thresholds:
            a_use.answerer.min_relevance = t
            wrong = sum(1 for r in answerable if a_use.ask(r["q"]).abstained)
            caught = sum(1 for r in off if a_use.ask(r["q"]).abstained)
            cells.append(f"{wrong} / {caught}")
        print(f"| {lam} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
