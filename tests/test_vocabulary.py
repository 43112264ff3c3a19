"""The hand vocabulary (index/glossary.tsv, glossary_zh.tsv, policy_terms.tsv) is a small reviewed override layer:
its keys are terms, never questions, and it does not grow past a stated size unreviewed."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from familydesk.query import read_glossary
from familydesk.settings import PROJECT_ROOT

INDEX = PROJECT_ROOT / "index"
FILES = ["glossary.tsv", "glossary_zh.tsv", "policy_terms.tsv"]
# the whole layer, in lines that map something: raising this is a reviewed decision, not a side effect
MAX_LINES = 2340
QUESTION_WORDS_ZH = re.compile("多少|几|吗|呢|怎么|什么|哪|谁|啥|如何|是否")
QUESTION_WORDS_EN = re.compile(r"\b(?:how|what|when|where|who|whom|why|which)\b")


def _keys(name: str) -> list[str]:
    return list(read_glossary(INDEX / name, str.strip))


def _lines(name: str) -> int:
    return sum(1 for line in (INDEX / name).read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#"))


def test_the_override_layer_stays_under_its_stated_size():
    assert sum(_lines(f) for f in FILES) <= MAX_LINES


@pytest.mark.parametrize("name,words", [("glossary_zh.tsv", QUESTION_WORDS_ZH), ("glossary.tsv", QUESTION_WORDS_EN)])
def test_glossary_keys_are_terms_not_questions(name, words):
    assert [k for k in _keys(name) if words.search(k.lower())] == []


def _questions() -> list[str]:
    sets = list((PROJECT_ROOT / "tests" / "data").glob("*.jsonl"))
    sets += list((PROJECT_ROOT.parent / "shared" / "eval").glob("*.jsonl"))
    found = []
    for path in sets:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            found += [row["q"]] if "q" in row else [t["q"] for t in row.get("turns", []) if "q" in t]
    return found


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def test_no_glossary_line_is_a_question_of_an_evaluation_set():
    questions = {_norm(q) for q in _questions()}
    keys = {_norm(k) for f in ("glossary.tsv", "glossary_zh.tsv") for k in _keys(f)}
    assert questions and sorted(keys & questions) == []


@pytest.mark.parametrize("name", ["glossary.tsv", "glossary_zh.tsv"])
def test_a_line_maps_to_a_figure_only_from_a_key_that_names_it(name):
    """"1.3 m → 1.3米以下" reads a figure the question wrote; "tall → 1.3米以下" would answer for it."""
    figure = re.compile(r"[\d一二三四五六七八九十]|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen)\b")
    lines = read_glossary(INDEX / name, str.strip)
    assert [k for k, terms in lines.items() if any(re.search(r"\d", t) for t in terms) and not figure.search(k)] == []


def test_no_english_line_repeats_another_once_spelling_and_inflection_are_read():
    """labour/labor, centre/center and children/child are read alike (en_tokens, the lemma fallback): a second
    line for the other spelling only grows the layer."""
    from familydesk.query import en_lemma, en_tokens

    seen: dict = {}
    for line in (INDEX / "glossary.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        phrase, terms = line.split("\t", 1)
        key = (tuple(en_lemma(t) for t in en_tokens(phrase)), frozenset(t.strip() for t in terms.split("|")))
        assert key not in seen, f"{phrase!r} repeats {seen[key]!r}"
        seen[key] = phrase


@pytest.mark.parametrize("name", FILES)
def test_each_key_has_one_line(name):
    keys = [line.split("\t", 1)[0].strip() for line in (INDEX / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#") and "\t" in line]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []
