"""Golden tests of the parser on every shipped document: counts, labels, exact texts, metadata."""
from __future__ import annotations

import pytest

from familydesk.clauses import _split_units, align_repost, parse_text
from familydesk.corpus import load_corpus
from familydesk.settings import PROJECT_ROOT
from familydesk.text import chinese_numeral_value, squeeze

SOURCES = PROJECT_ROOT / "index" / "sources"
CN = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十 二十一 二十二".split()


def parse(name: str, **kw):
    return parse_text((SOURCES / f"{name}.txt").read_text(encoding="utf-8"), name, **kw)


def numbered(doc):
    return [c for c in doc.clauses if c.numeral]


@pytest.mark.parametrize("name,count,label", [
    ("beijing-2025-measures", 15, "（{}）"),
    ("beijing-2022-plan", 22, "（{}）"),
    ("baotou-2025-task-list", 15, "（{}）"),
    ("ganzhou-2025-measures", 11, "{}、"),
])
def test_numbered_clauses_in_order(name, count, label):
    clauses = numbered(parse(name))
    assert [c.label for c in clauses] == [label.format(n) for n in CN[:count]]
    assert [chinese_numeral_value(c.numeral) for c in clauses] == list(range(1, count + 1))


def test_unnumbered_units():
    baotou = parse("baotou-2025-task-list")
    org = [c for c in baotou.clauses if not c.numeral]
    assert len(org) == 1 and org[0].section == "五、加强组织保障" and org[0].kind == "paragraph"
    assert org[0].text.startswith("加强组织领导，强化部门协同配合")
    assert org[0].responsible_units == "各有关部门按职责分工负责"
    # closing paragraphs after the last clause are units of their own, not part of （十五） / 十一、
    bj = parse("beijing-2025-measures")
    assert bj.clauses[-1].kind == "paragraph" and bj.clauses[-1].text.startswith("各区、各有关部门要切实提高政治站位")
    assert "各区、各有关部门" not in bj.clauses[-2].text
    gz = parse("ganzhou-2025-measures")
    assert gz.clauses[-1].text.startswith("各地、各部门要将完善生育支持政策体系")


def test_baotou_leave_clause_exact_text():
    c = numbered(parse("baotou-2025-task-list"))[1]
    assert c.label == "（二）" and c.heading == "全面落实生育休假制度"
    assert c.section == "一、完善生育服务支持措施"
    assert c.text == (
        "全面落实生育休假制度。严格落实《内蒙古自治区人口与计划生育条例》，对依法生育子女的家庭，女职工享受一、二孩158天的产假、"
        "三孩188天的产假，男职工享受25天的护理假，在子女3周岁以前，每年给予夫妻双方各10天育儿假，休假期间的工资、福利等待遇不变。"
        "加大对生育休假落实情况的监督力度，依法维护劳动者生育休假权利。")  # the page break inside 依法维护|劳动者 is repaired
    assert c.responsible_units == "市人社局、总工会、卫健委"


def test_page_break_repaired_across_brackets():
    bj = numbered(parse("beijing-2025-measures"))
    assert "落实《女职工劳动保护特别规定》《北京市人口与计划生育条例》规定的产假和生育假。" in bj[2].text
    assert bj[10].text.endswith("多子女家庭租赁房屋并备案的,可按实际月租金提取公积金，不受月缴存额限制。")
    # half-width brackets, inner spaces: (十一) 加快…
    bt = numbered(parse("baotou-2025-task-list"))
    assert bt[10].label == "（十一）" and bt[10].text.startswith("加快教育优质均衡发展。")
    assert "到2027年全市学前教育公办率达到60%以上" in bt[10].text
    # the units parenthetical split by a page break: (责任单位：\n\n市卫健委、…)
    assert bt[9].responsible_units == "市卫健委、民政局、妇联、计生协"
    assert "责任单位" not in bt[9].text


def test_multi_paragraph_clause_kept_whole():
    plan = numbered(parse("beijing-2022-plan"))
    ten = plan[9]
    assert ten.label == "（十）"
    assert "打造“一刻钟”托育服务圈" in ten.text and "开展线上线下科学育儿指导服务" in ten.text
    assert plan[1].text.endswith("人的全面发展取得更为明显的实质性进展。")  # （二） continues into 到2035年


def test_ganzhou_units_with_nested_brackets():
    gz = numbered(parse("ganzhou-2025-measures"))
    assert gz[0].responsible_units.startswith("市卫生健康委、市发展改革委")
    assert "以下责任单位均包括县（市、区）人民政府" in gz[0].responsible_units
    assert gz[0].text.endswith("推进公共资源配置优先满足生育友好城市建设需求。")
    assert gz[8].responsible_units.startswith("市人力资源社会保障局")  # units in a paragraph of their own
    assert gz[9].text.count("\n") == 1  # two real paragraphs, kept as one item


def test_markdown_marks_and_preamble():
    bt = parse("baotou-2025-task-list")
    assert all("#" not in c.text and "#" not in c.section for c in bt.clauses)
    assert "包府办发〔2025〕49号" in bt.preamble
    assert "抄送" not in "".join(c.text for c in bt.clauses)  # the trailer after --- is not a clause
    assert parse("beijing-2025-measures").clauses[9].section == "三、完善生育友好多元支持政策"  # ### **…**


def test_spans_point_into_the_source():
    src = (SOURCES / "baotou-2025-task-list.txt").read_text(encoding="utf-8")
    c = numbered(parse("baotou-2025-task-list"))[1]
    raw = src[c.span[0]:c.span[1]]
    assert raw.startswith("（二）全面落实生育休假制度") and raw.rstrip().endswith("（责任单位：市人社局、总工会、卫健委）")


def test_split_units_rules():
    assert _split_units("文本。(市教委、市财政局按职责分工负责)") == ("文本。", "市教委、市财政局按职责分工负责")
    assert _split_units("文本。（责任单位: 市教育局）") == ("文本。", "市教育局")
    # a parenthetical that is not a list of responsible units stays in the text
    assert _split_units("社区卫生服务中心(儿童早期发展基地)") == ("社区卫生服务中心(儿童早期发展基地)", "")


def test_repost_aligned_to_official_clauses():
    corpus = load_corpus(PROJECT_ROOT / "index")
    repost = corpus.parsed["beijing-2025-measures-repost"].clauses
    assert len(repost) == 16
    targets = [c.maps_to for c in repost]
    assert targets == [f"beijing-2025-measures:{n}" for n in range(1, 17)]
    # the paragraph that lost its number "(一)" still maps to （一）
    assert repost[0].label == "" and repost[0].maps_to == "beijing-2025-measures:1"


def test_alignment_rejects_unrelated_text():
    official = parse("beijing-2025-measures")
    stray = parse_text("一、其他\n\n今天天气晴朗，适合去公园散步和野餐。\n", "stray", every_paragraph=True)
    assert align_repost(stray, official).clauses[0].maps_to is None


def test_clause_ids_stable_and_unique():
    corpus = load_corpus(PROJECT_ROOT / "index")
    ids = [c.id for c in corpus.clauses]
    assert len(ids) == len(set(ids))
    assert corpus.clause("baotou-2025-task-list:2").label == "（二）"
    assert corpus.documents["baotou-2025-task-list"].number == "包府办发〔2025〕49号"


def test_squeeze_removes_pdf_spaces_only_around_chinese():
    assert squeeze("享受 25 天的护理假") == "享受25天的护理假"
    assert squeeze("use USE v3 model") == "use USE v3 model"
    assert chinese_numeral_value("二十二") == 22 and chinese_numeral_value("十") == 10
