"""Does the English question rewrite (FAMILYDESK_LLM_REWRITE) help retrieval? Dev set, with and without.

    FAMILYDESK_LLM_BASE_URL=http://127.0.0.1:11434/v1 .venv/bin/python bench/rewrite_eval.py   # a real model
    .venv/bin/python bench/rewrite_eval.py --stand-in oracle   # bounds, no model: the gold phrase as "terms"
    .venv/bin/python bench/rewrite_eval.py --stand-in junk     # a model that always says 护理假 产假 育儿补贴

Answers are extractive in both runs, so the figures measure the rewrite's effect on retrieval only
(in LLM mode the citation order is also the model's choice). Only English questions are rewritten.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from familydesk import Assistant, Settings  # noqa: E402
from familydesk.evaluation import evaluate, load_questions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(ROOT / "tests" / "data" / "dev_questions.jsonl"))
    ap.add_argument("--stand-in", choices=("oracle", "junk"), help="simulate the model with tests/fake_openai.py")
    args = ap.parse_args()
    rows = load_questions(Path(args.questions))
    english = [r for r in rows if not any("\u4e00" <= ch <= "\u9fff" for ch in r["q"])]
    base = Assistant(Settings(rate_limit=0)).load()

    def run(a: Assistant) -> dict:
        def ask(question: str) -> dict:
            q = a.reader.read(question)
            if a.llm:  # the chain's rewrite step, then its retriever: 10 clauses, as a model is given
                q = a.llm.rewrite(q, a.reader, a.llm.budget())
            return a.answerer(q, a.retriever.model_copy(update={"k": 10}).hits(q)).to_dict()

        figures, _ = evaluate(ask, english)
        return figures

    server = None
    settings = {"rate_limit": 0, "llm_rewrite": True}
    if args.stand_in:
        from tests.fake_openai import FakeOpenAI, Reply

        gold = {r["q"]: r.get("contains", "") for r in rows}

        def reply(body: dict) -> Reply:
            user = body["messages"][-1]["content"]
            if args.stand_in == "junk":
                return Reply("护理假 产假 育儿补贴")
            return Reply(next((g for q, g in gold.items() if q in user), ""))

        server = FakeOpenAI().__enter__()
        server.responder = reply
        settings["llm_base_url"] = server.base_url
    elif not Settings().llm_base_url:
        sys.exit("set FAMILYDESK_LLM_BASE_URL (a real model), or use --stand-in oracle|junk")
    try:
        rewriting = Assistant(Settings(**settings), embeddings=base.embeddings,
                              embedding_fingerprint=base.embedding_fingerprint).load()
        print(json.dumps({"english_questions": len(english), "glossary_only": run(base),
                          "with_rewrite": run(rewriting), "model": args.stand_in or rewriting.settings.llm_base_url},
                         ensure_ascii=False, indent=1))
    finally:
        if server:
            server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
