"""The parser on real pages from other jurisdictions (tests/data/wild, copied from corpus-wild):
clause paths written by reading each file (tests/data/wild_outlines.json), and the metadata a
document prints about itself."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from familydesk.clauses import parse_text
from familydesk.formats import read_source
from familydesk.metadata import detect

DATA = Path(__file__).parent / "data"
OUTLINES = json.loads((DATA / "wild_outlines.json").read_text(encoding="utf-8"))["files"]


def parse(name: str):
    src = read_source(DATA / "wild" / name)
    return src, parse_text(src.text, "t", repair_breaks=False)


@pytest.mark.parametrize("name", sorted(OUTLINES))
def test_clause_paths_as_read_by_hand(name):
    _, doc = parse(name)
    assert [c.path for c in doc.clauses if c.path] == OUTLINES[name]["clauses"]


@pytest.mark.parametrize("name,style", [
    ("黑龙江省_政策规章_65.md", "articles"), ("济南市_政策规章_73.md", "articles"),
    ("云南省_政策规章_46.md", "sections"), ("贴申领专区_官方解读_32.md", "qa"), ("温州市_政策规章_77.md", "items"),
])
def test_style_vote(name, style):
    assert parse(name)[1].style == style


def test_article_keeps_its_items_and_chapter():
    _, doc = parse("济南市_政策规章_73.md")
    nine = next(c for c in doc.clauses if c.label == "第九条")
    assert "（一）申请。" in nine.text and "（二）初审。" in nine.text  # 项 stay inside their 条
    five = next(c for c in doc.clauses if c.label == "第五条")
    assert five.parents == ("第二章补贴对象和标准",) and "一孩每年3600元" in five.text
    assert "对2025年1月1日及以后出生的婴幼儿" in five.text  # the unnumbered 款 belongs to the article


def test_covering_notice_is_not_a_clause():
    _, doc = parse("黑龙江省_政策规章_65.md")
    assert doc.clauses[0].label == "第一条"
    assert "各市（地）卫生健康委、财政局" in doc.preamble
    assert not any("现印发给你们" in c.text for c in doc.clauses)


def test_restarting_numbering_is_told_apart_by_its_parent():
    _, doc = parse("云南省_政策规章_46.md")
    firsts = [c for c in doc.clauses if c.label == "（一）"]
    assert len(firsts) == 3 and len({c.path for c in firsts}) == 3


def test_attachment_boundary():
    _, doc = parse("大庆市_政策规章_70.md")
    inside = [c for c in doc.clauses if c.path.startswith("附件")]
    assert inside and all(c.path.startswith("附件 ") for c in inside)
    assert not any(c.path.startswith("附件") for c in doc.clauses[:17])


def test_qa_page_keeps_answer_with_question():
    _, doc = parse("贴申领专区_官方解读_32.md")
    one = doc.clauses[0]
    assert one.label == "一、" and "什么是育儿补贴制度" in one.text and "答：" in one.text


def test_markdown_links_and_bold_removed():
    _, doc = parse("地级以上市_政策规章_36.md")
    assert all("**" not in c.text and "](" not in c.text for c in doc.clauses)


@pytest.mark.parametrize("name,title,number,date", [
    ("黑龙江省_政策规章_65.md", "黑龙江省育儿补贴制度实施细则", None, "2025-12-29"),
    ("济南市_政策规章_73.md", "济南市育儿补贴制度实施细则", "济卫发〔2025〕15号", "2025-12-23"),
    ("地级以上市_政策规章_36.md", "广东省育儿补贴制度实施方案", "粤卫规〔2025〕9号", "2025-10-21"),
    ("上海市_政策规章_9.md", "上海市育儿补贴制度实施方案", "沪卫人口〔2025〕12号", "2025-12-01"),
    ("天津市_政策规章_11.md", "天津市育儿补贴制度实施方案", "津卫规发〔2025〕3号", "2025-11-12"),
])
def test_printed_metadata(name, title, number, date):
    src, doc = parse(name)
    d = detect(src.text, doc, src.front_matter)
    assert (d.title, d.number, d.date) == (title, number, date)


def test_issuer_from_the_notice_signature_and_effective_date():
    src, doc = parse("济南市_政策规章_73.md")
    d = detect(src.text, doc, src.front_matter)
    assert d.issuer == "济南市卫生健康委员会、济南市财政局" and d.kind == "rule"
    assert d.effective == "2025-12-23"  # 自2025年12月23日起施行


def test_repeal_notice_detected():
    src, doc = parse("温州市_政策规章_77.md")
    d = detect(src.text, doc, src.front_matter)
    assert d.repeals == ["温州市户籍人口一次性生育补贴发放办法"]


def test_kind_from_title_and_page_type():
    src, doc = parse("贴申领专区_官方解读_32.md")
    assert detect(src.text, doc, src.front_matter).kind == "interpretation"
