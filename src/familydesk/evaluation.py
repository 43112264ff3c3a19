"""`familydesk eval`: the rules of ../shared/eval/score_api.py, run in-process on the facade.

Same question format, same hit rule (clause numeral + region + contained text), plus MRR.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

_NUMERAL = re.compile(r"[一二三四五六七八九十百]+")


def _norm(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def _numeral(label: str | None) -> str:
    m = _NUMERAL.search(label or "")
    return m.group(0) if m else ""


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(ask, rows: list[dict], aliases: Mapping[str, Iterable[str]] | None = None) -> tuple[dict, list[str]]:
    """ask(question) -> answer dict. Returns (figures, misses). A citation is in the gold region when its
    region contains the region's name or one of its `aliases` (the knowledge base's: Assistant.region_aliases).
    Rows with a "group" (a rewording set) also give `consistency`: the share of groups whose members all
    cite the same clause first and make the same stated / not-stated decision. `quote@1`: of the questions whose
    first citation is right, the share whose answer quotes the gold words (the sentence that says it, not another
    sentence of the right clause)."""
    aliases = aliases or {}
    hit1 = hit3 = rr = n_ans = abst_ok = n_abs = leaks = errors = n_en = en_ok = quoted = 0
    lat, misses = [], []
    outcome: dict[str, dict[str, tuple]] = {}  # group → member id → (first cited clause, abstained)
    for r in rows:
        t = time.perf_counter()
        try:
            body = ask(r["q"])
            if "group" in r:
                first = (body.get("citations") or [{}])[0]
                outcome.setdefault(r["group"], {})[r["id"]] = (first.get("id"), bool(body.get("abstained")))
        except Exception as e:  # noqa: BLE001 - a failure counts against every figure
            errors += 1
            misses.append(f"{r['id']}: request failed: {e}")
            n_abs += bool(r.get("abstain"))
            n_ans += not r.get("abstain")
            continue
        lat.append(time.perf_counter() - t)
        answer = body.get("answer") or ""
        if not re.search(r"[\u4e00-\u9fff]", r["q"]):
            n_en += 1
            if len(re.findall(r"[A-Za-z]{2,}", answer)) >= 5:
                en_ok += 1
            else:
                misses.append(f"{r['id']}: English question, answer not framed in English")
        leaked = [f for f in r.get("forbid", []) if _norm(f) in _norm(answer)]
        if leaked:
            leaks += 1
            misses.append(f"{r['id']}: leaked {leaked}")
        if r.get("abstain"):
            n_abs += 1
            if body.get("abstained") is True:
                abst_ok += 1
            else:
                misses.append(f"{r['id']}: should abstain ({r['q']})")
            continue
        n_ans += 1
        if body.get("abstained"):
            misses.append(f"{r['id']}: abstained on an answerable question ({r['q']}) reason={body.get('reason')}")
            continue
        ranks = [i for i, c in enumerate(body.get("citations") or [])
                 if _numeral(c.get("clause")) == r["clause"]
                 and any(a.lower() in (c.get("region") or "").lower() for a in (r["region"], *aliases.get(r["region"], ())))
                 and _norm(r["contains"]) in _norm(c.get("text"))]
        rank = ranks[0] if ranks else None
        hit1 += rank is not None and rank < 1
        hit3 += rank is not None and rank < 3
        rr += 1 / (rank + 1) if rank is not None else 0
        if rank is None or rank >= 1:
            top = (body.get("citations") or [{}])[0]
            misses.append(f"{r['id']}: gold at rank {rank} ({r['q']}) top={top.get('region')}{top.get('clause')}")
        elif _norm(r["contains"]) in _norm(answer):
            quoted += 1
        else:
            misses.append(f"{r['id']}: right clause, another sentence quoted ({r['q']})")
    out = {"questions": len(rows), "answerable": n_ans, "hit@1": round(hit1 / max(n_ans, 1), 3),
           "hit@3": round(hit3 / max(n_ans, 1), 3), "mrr": round(rr / max(n_ans, 1), 3),
           "quote@1": round(quoted / max(hit1, 1), 3),
           "out_of_scope": n_abs, "abstain_ok": round(abst_ok / max(n_abs, 1), 3), "leaks": leaks,
           "errors": errors, "en_framed": round(en_ok / max(n_en, 1), 3),
           "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
           "p95_ms": round(sorted(lat)[int(0.95 * (len(lat) - 1))] * 1000, 1) if lat else None}
    if outcome:
        consistent = [g for g, members in outcome.items() if len(set(members.values())) == 1]
        out["groups"] = len(outcome)
        out["consistency"] = round(len(consistent) / len(outcome), 3)
        for g, members in outcome.items():
            if g not in consistent:
                misses.append(f"group {g} inconsistent: " + "; ".join(f"{i}={c or '-'}{' abstained' if a else ''}"
                                                                     for i, (c, a) in members.items()))
    return out, misses


DROP_TOLERANCE = 0.005  # a figure this much lower than on the previous build is reported as a drop


def calibration_report(ask, sets: list[Path], previous: dict | None = None,
                       aliases: Mapping[str, Iterable[str]] | None = None) -> dict:
    """Score each question set on the current index and compare with the previous report: what
    `familydesk index` and `ingest` print, so a rebuild that lowers answers is seen at once."""
    figures = {}
    for path in sets:
        figures[path.name], _ = evaluate(ask, load_questions(path), aliases)
    drops = []
    for name, now in figures.items():
        before = ((previous or {}).get("sets") or {}).get(name)
        if not before:
            continue
        for key in ("hit@1", "hit@3", "quote@1", "abstain_ok"):
            if now.get(key) is not None and before.get(key) is not None and now[key] < before[key] - DROP_TOLERANCE:
                drops.append(f"{name} {key} {before[key]:.3f} → {now[key]:.3f}")
            if now.get("leaks", 0) > before.get("leaks", 0):
                drops.append(f"{name} leaks {before.get('leaks')} → {now.get('leaks')}")
    return {"sets": figures, "drops": sorted(set(drops))}
