"""familydesk.regions: the division hierarchy from cpca's adcode table, names in Chinese, pinyin and English."""
from __future__ import annotations

import subprocess
import sys

import pytest

from familydesk.errors import BadRequest
from familydesk.regions import LEVELS, Divisions, Region, _pypinyin


@pytest.fixture(scope="module")
def d() -> Divisions:
    return Divisions.load()


def codes(regions: list[Region]) -> list[str]:
    return [r.code for r in regions]


def test_loads_every_level_once(d):
    assert Divisions.load() is d  # cached singleton
    assert d.count("全国") == 1 and d.count("省级") == 34  # incl. 台湾, 香港, 澳门
    assert d.count("地级") > 300 and d.count("县级") > 2500
    assert d.source.startswith("cpca ")
    assert all(r.level in LEVELS for r in d.by_code.values())
    assert "市辖区" not in {r.name for r in d.by_code.values()}  # placeholder rows dropped


def test_resolve_with_and_without_suffix(d):
    assert d.resolve("哈尔滨").code == d.resolve("哈尔滨市").code == "230100"
    assert d.resolve("黑龙江").code == d.resolve("黑龙江省").code == "230000"
    assert d.resolve("内蒙古").code == d.resolve("内蒙古自治区").code == "150000"
    r = d.resolve("哈尔滨")
    assert (r.name, r.short, r.level, r.parent) == ("哈尔滨市", "哈尔滨", "地级", "230000")


def test_short_names_drop_suffix_and_ethnic_names(d):
    assert d.resolve("延边朝鲜族自治州").short == "延边"
    assert d.resolve("广西壮族自治区").short == "广西"
    assert d.resolve("龙胜各族自治县").short == "龙胜"
    assert d.resolve("浦东新区").short == "浦东"
    assert d.resolve("龙胜").code == d.resolve("龙胜各族自治县").code


def test_resolve_pinyin(d):
    assert d.resolve("haerbin").code == "230100"
    assert d.resolve("Hangzhou").code == "330100"
    assert d.resolve("hei long jiang").code == "230000"
    assert d.resolve("Harbin City").code == "230100"


@pytest.mark.parametrize("english,code", [
    ("Harbin", "230100"), ("Inner Mongolia", "150000"), ("Tibet", "540000"), ("Hohhot", "150100"),
    ("Urumqi", "650100"), ("Xi'an", "610100"), ("Lhasa", "540100"), ("Kashgar", "653100"),
    ("Hong Kong", "810000"), ("Macau", "820000"), ("Macao", "820000"),
    ("Shaanxi", "610000"), ("Shanxi", "140000"),  # 陕西 gives its pinyin "shanxi" up to 山西
])
def test_resolve_english_exceptions(d, english, code):
    assert d.resolve(english).code == code


def test_resolve_front_matter_style(d):
    assert d.resolve("黑龙江省_哈尔滨市").code == "230100"
    assert d.resolve("上海市_普陀区").code == "310107"
    assert d.resolve("浙江省_普陀区").code == "330903"
    assert d.resolve("浙江省_舟山市_普陀区").code == "330903"


@pytest.mark.parametrize("name", ["全国", "国家", "national", "China", "000000"])
def test_national_aliases(d, name):
    r = d.resolve(name)
    assert (r.code, r.name, r.level, r.parent) == ("000000", "全国", "全国", None)


def test_municipality_is_provincial_and_its_districts_hang_off_it(d):
    shanghai = d.resolve("上海市")
    assert (shanghai.level, shanghai.parent) == ("省级", "000000")
    putuo = d.resolve("普陀区", within="上海")
    assert (putuo.code, putuo.level, putuo.parent) == ("310107", "县级", "310000")
    assert d.resolve("普陀", within="舟山").code == "330903"
    assert d.resolve("普陀区", within="310000").code == "310107"  # within as a code


def test_ambiguous_name_at_one_level_lists_the_candidates(d):
    with pytest.raises(BadRequest) as e:
        d.resolve("普陀")
    assert "上海市普陀区" in str(e.value) and "浙江省舟山市普陀区" in str(e.value)
    with pytest.raises(BadRequest, match="北京市朝阳区"):
        d.resolve("朝阳区")


def test_higher_level_wins_unless_within_says_otherwise(d):
    assert (d.resolve("吉林").code, d.resolve("吉林").level) == ("220000", "省级")
    assert d.resolve("吉林市").code == "220200"
    assert d.resolve("朝阳").code == "211300"  # 辽宁朝阳市 (地级) over the two 朝阳区
    assert d.resolve("朝阳", within="北京").code == "110105"
    assert d.resolve("朝阳区", within="长春").code == "220104"


def test_province_administered_county_level_city(d):
    r = d.resolve("潜江市")
    assert (r.code, r.level, r.parent) == ("429005", "县级", "420000")
    assert d.resolve("潜江").code == "429005"
    assert codes(d.chain(r)) == ["429005", "420000", "000000"]


@pytest.mark.parametrize("name,within,names", [
    ("济南", None, ["济南市", "山东省", "全国"]),
    ("哈尔滨", None, ["哈尔滨市", "黑龙江省", "全国"]),
    ("大庆", None, ["大庆市", "黑龙江省", "全国"]),
    ("普陀区", "上海", ["普陀区", "上海市", "全国"]),
    ("普陀区", "浙江", ["普陀区", "舟山市", "浙江省", "全国"]),
    ("全国", None, ["全国"]),
])
def test_chain_up_to_the_nation(d, name, within, names):
    assert [r.name for r in d.chain(d.resolve(name, within=within))] == names


def test_aliases(d):
    harbin = d.aliases(d.resolve("哈尔滨"))
    assert harbin[:2] == ["哈尔滨市", "哈尔滨"] and {"haerbin", "harbin"} <= set(harbin)
    assert {"内蒙古", "内蒙古自治区", "inner mongolia", "neimenggu"} <= set(d.aliases(d.resolve("内蒙古")))
    assert {"广西", "广西壮族自治区", "guangxi"} <= set(d.aliases(d.resolve("广西")))
    shaanxi = d.aliases(d.resolve("陕西"))
    assert "shaanxi" in shaanxi and "shanxi" not in shaanxi
    assert "changdu" in d.aliases(d.resolve("昌都"))  # place-name reading of 都, not "dou"


def test_the_pinyin_table_is_pypinyins_reading_of_every_name(d):
    """index/region_pinyin.tsv stands in for pypinyin at start-up: it must say what pypinyin says, for every
    name the aliases read (rewrite it with `python -m familydesk.regions > index/region_pinyin.tsv`)."""
    names = d.reading_names()
    assert len(names) > 3000 and set(names) == set(d._readings)
    assert {n: d._readings[n] for n in names} == {n: _pypinyin(n) for n in names}


def test_aliases_and_english_names_are_the_same_without_the_table(d):
    live = Divisions(list(d.by_code.values()), d._english, d.source)  # every reading from pypinyin itself
    regions = list(d.by_code.values())
    assert [d.aliases(r) for r in regions] == [live.aliases(r) for r in regions]
    assert [d.english(r) for r in regions] == [live.english(r) for r in regions]
    assert d.resolve("xian").code == live.resolve("xian").code == "610100"


def test_loading_the_divisions_and_their_aliases_does_not_import_pypinyin():
    code = ("import sys; from familydesk.regions import Divisions; d = Divisions.load(); "
            "[d.aliases(r) for r in d.by_code.values()]; d.resolve('Qianjiang'); d.english(d.resolve('济南')); "
            "assert 'pypinyin' not in sys.modules, 'pypinyin imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_aliases_leave_out_common_words(d):
    laibin = d.aliases(d.resolve("来宾市"))
    assert "来宾市" in laibin and "来宾" not in laibin
    assert "城区" not in d.aliases(d.resolve("城区", within="长治"))
    assert "应" not in d.aliases(d.resolve("应县"))  # one-character short names are no alias


def test_find_chinese_question(d):
    assert codes(d.find("哈尔滨育儿补贴多少钱")) == ["230100"]
    assert codes(d.find("哈尔滨市育儿补贴多少钱")) == ["230100"]
    assert codes(d.find("吉林市的产假")) == ["220200"]  # the full name masks 吉林 (the province)
    assert codes(d.find("潜江的育儿补贴一年能领多少钱")) == ["429005"]


def test_find_english_question(d):
    assert codes(d.find("How much is the childcare subsidy in Harbin?")) == ["230100"]
    assert codes(d.find("Harbin's childcare subsidy")) == ["230100"]
    assert codes(d.find("maternity leave in Xi'an and Inner Mongolia")) == ["610100", "150000"]


def test_find_several_regions(d):
    assert codes(d.find("杭州和温州")) == ["330100", "330300"]
    assert codes(d.find("内蒙古呼和浩特")) == ["150000", "150100"]


def test_find_counties_only_by_full_name(d):
    assert codes(d.find("上海普陀区的托育")) == ["310000", "310107"]  # 上海 settles which 普陀区
    assert codes(d.find("普陀的托育")) == []
    assert codes(d.find("山西应县")) == ["140000", "140622"]
    assert codes(d.find("相应县级政府")) == []  # 应县 inside a word


@pytest.mark.parametrize("text", [
    "育儿补贴多少钱", "产假多少天", "如何申请", "托育机构", "生育津贴", "新生儿", "公积金", "婚假",
    "how long is paternity leave", "childcare subsidy", "maternity",
    "开展家长沙龙", "医保定点医院", "母婴安康", "平安顺产", "经费县级统筹", "城区的幼儿园",
    "Does a BA degree count?", "shuang jian policy",
])
def test_find_no_false_positives(d, text):
    assert d.find(text) == []


@pytest.mark.parametrize("name", ["火星", "Atlantis", "", "   "])
def test_unknown_region_is_a_helpful_bad_request(d, name):
    with pytest.raises(BadRequest) as e:
        d.resolve(name)
    assert "unknown region" in str(e.value) and "杭州 / 浙江省 / 全国" in str(e.value)
    assert e.value.status == 422


def test_unknown_code(d):
    with pytest.raises(BadRequest, match="unknown region code"):
        d.get("999999")
    assert d.get("330100").name == "杭州市"


def test_district_and_national_levels(d):
    r = d.resolve("普陀区", within="上海")
    assert r.level == "县级" and r.name == "普陀区"
    assert d.resolve("全国").level == "全国" and d.resolve("全国").name == "全国"


def test_a_covered_district_is_found_without_its_suffix(d):
    from familydesk.query import Places

    places = Places({"普陀区": "310107", "上海市": "310000"}, d)
    covered, uncovered, _, scopes = places.find("出生证明在普陀申请补贴能用吗")
    assert covered == ["普陀区"] and scopes["普陀区"] == ["普陀区", "上海市"]
    # not covered: found only by its full name, as before (朝阳 is also a city of Liaoning)
    assert places.find("朝阳育儿补贴")[0] == [] and Places({"上海市": "310000"}, d).find("在普陀申请")[0] == []
