"""Chinese administrative divisions (全国 → 省级 → 地级 → 县级) for any region a question or a document names.

Data: the adcode table that the `cpca` package ships (``cpca/resources/adcodes.csv``; the version is in
``Divisions.source``). It is read directly, without importing cpca (that would pull pandas) and without a
network. Placeholder rows (市辖区, 县, 省直辖县级行政区划) are dropped, so a 直辖市 district or a 省直辖县级市
(潜江市) hangs off its province. Pinyin is `pypinyin`'s reading of each name, read from
``index/region_pinyin.tsv`` (written by ``python -m familydesk.regions``: importing pypinyin takes ~0.4 s,
which a start should not pay; a name the table lacks, as after a cpca upgrade, is read by pypinyin itself);
the few English names that are not plain pinyin (Harbin, Tibet, Shaanxi ...) come from
``index/region_names_en.tsv``.

Loading builds the Chinese tables only (a few ms); the pinyin/English tables are built on first use. Both are
kept in memory for the process.

Matching rules of ``find`` (free text): Chinese by substring, leftmost and longest first, each match masking
its characters; provinces, 地级 and 省直辖县级市 (潜江) by full or short name, other 县级 only by full name
(…县/区/旗/市); English and pinyin as whole words, for the same provinces and cities only; 全国 by 全国 /
China / nationwide. Never matched: aliases that are ordinary words (``COMMON_WORDS``: 城区, 来宾, 安康 ...),
phrases that contain a place name but name none (``NOT_PLACES``: 家长沙龙, 医保定点 ...), and a two-character
county name (应县, 费县) inside a longer word (相应县级, 经费县级). A name shared at the same level (普陀区
of 上海 and of 舟山) is settled by another region named in the text, else all candidates are returned.

``resolve`` (one name, e.g. a front-matter field or a ``--region`` option) takes every name, ordinary words
included; among several candidates the ones inside ``within`` win, then the higher level; a tie left is a
BadRequest that lists the candidates.
"""
from __future__ import annotations

import csv
from collections import Counter
import importlib.util
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path

from .errors import BadRequest

LEVELS = ("全国", "省级", "地级", "县级")
NATIONAL_CODE = "000000"

_UNKNOWN = "unknown region {!r}: give a Chinese province, city or county name, e.g. 杭州 / 浙江省 / 全国"

# rows of the adcode table that are not divisions but groupings
_PLACEHOLDER = re.compile(r"^(市辖区|县|(省|自治区)直辖县级行政(区划|单位))$")
# suffixes stripped for the short name, longest first; the first that leaves ≥ 2 characters wins
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "联合旗", "地区", "林区", "特区", "新区",
             "矿区", "省", "市", "县", "区", "旗", "盟")
# a county-level name found in free text by its full name must end like a division
_COUNTY_ENDINGS = ("县", "区", "旗", "市")
_MUNICIPALITIES = ("11", "12", "31", "50")  # 北京 天津 上海 重庆: their districts hang off the 省级 too

# names the user may give for the whole country (resolve); find() only takes _NATIONAL_FIND
_NATIONAL_ZH = ("全国", "中国", "国家", "中华人民共和国", "全国范围")
_NATIONAL_EN = ("china", "nationwide", "national", "prc", "quanguo", "countrywide")
_NATIONAL_FIND = ("全国", "china", "nationwide")  # not 中国: 发展中国家, 中国人民银行 ...

# Aliases that are ordinary words: never an alias, never found in free text (resolve() still takes them when
# asked for explicitly). Generic district names, and short names that are words of their own: 来宾 (guest),
# 安康 (母婴安康), 开封 (unseal), 东方 (east), 阿里 (Alibaba).
COMMON_WORDS = frozenset({
    "城区", "郊区", "矿区", "东区", "西区", "新城区", "老城区", "解放区",
    "来宾", "安康", "开封", "东方", "阿里",
    "ali", "jian", "luan",  # one pinyin syllable each (剑/减, 乱): 吉安 and 六安 stay findable as "ji'an", "lu'an"
})
# Phrases that contain a place name but name no place: masked before free text is searched
# (家长沙龙 is not 长沙, 医保定点 not 保定, 平安顺产 not 安顺).
NOT_PLACES = ("家长沙龙", "医保定点", "确保定", "平安顺", "三明治", "长治久安", "孙中山", "中山大学", "中山医院",
              "大理石", "哈密瓜", "普洱茶", "下海口")

# Place-name readings pypinyin gets wrong. Rules first: 都 in a place name is du (昌都, 宁都, 花都) and 长 is
# chang (长宁, 长丰, 天长) except in 长子; then whole names.
_PINYIN_FIX = {"长子": "zhang zi", "长治": "chang zhi", "朝阳": "chao yang", "漯河": "luo he", "阿勒泰": "a le tai",
               "克孜勒苏": "ke zi le su", "六安": "lu an", "六合": "lu he", "洪洞": "hong tong", "南乐": "nan le",
               "民乐": "min le", "单县": "shan xian", "蔚县": "yu xian"}

# English words before which an English region alias is dropped when resolving ("Harbin City")
_EN_SUFFIX_WORDS = ("city", "province", "prefecture", "county", "district", "region", "autonomous",
                    "municipality", "sar", "shi", "sheng", "qu", "xian", "diqu")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Region:
    code: str            # 6-digit adcode ("000000" for 全国)
    name: str            # full official name: 黑龙江省, 哈尔滨市, 普陀区, 全国
    short: str           # without suffix: 黑龙江, 哈尔滨, 普陀, 全国
    level: str           # one of LEVELS
    parent: str | None   # parent code; 省级 → "000000"; 全国 → None


def _cpca_dir() -> Path:
    """cpca's package folder, found without importing cpca (its __init__ imports pandas)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package is not installed: pip install -r requirements.txt")
    return Path(next(iter(spec.submodule_search_locations)))


def _index_file(name: str) -> Path:
    index_dir = os.environ.get("FAMILYDESK_INDEX_DIR")
    base = Path(index_dir) if index_dir else Path(__file__).resolve().parents[2] / "index"
    return base / name


def _tsv_rows(path: Path):
    """(first field, second field) of each line of a two-column TSV, comments and blank lines skipped."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "\t" in line:
            yield tuple(part.strip() for part in line.split("\t", 1))


def _pypinyin(name: str) -> list[str]:
    """pypinyin's reading of a name: one syllable per character, tone marks and characters without one dropped."""
    from pypinyin import Style, lazy_pinyin  # ~0.4 s the first time: only for a name index/region_pinyin.tsv lacks

    return lazy_pinyin(name, style=Style.NORMAL, errors="ignore")


def _ethnic_pattern(resources: Path) -> re.Pattern:
    """Ethnic names at the end of an autonomous division's name: 壮族, 回族, 蒙古(族), 哈萨克(族) ..."""
    roots = []
    path = resources / "56_nations.csv"
    if path.exists():
        roots = [line.strip().removesuffix("族") for line in path.read_text(encoding="utf-8").splitlines()]
    roots = [r for r in roots if r] or ["蒙古", "维吾尔", "壮", "回", "藏"]
    multi = sorted((r for r in roots if len(r) >= 2), key=len, reverse=True)
    single = [r for r in roots if len(r) == 1] + ["各"]  # 龙胜各族自治县
    return re.compile(r"(?:(?:%s)族?|(?:%s)族)$" % ("|".join(multi), "|".join(single)))


def _short_name(name: str, ethnic: re.Pattern) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            base = name[: -len(suffix)]
            if suffix.startswith("自治"):
                while (m := ethnic.search(base)) and m.start() >= 2:
                    base = base[: m.start()]
                if base.endswith("族") and len(base) >= 3:
                    base = base[:-1]  # 鄂温克族自治旗 → 鄂温克
            return base
    if len(name) >= 2 and name[-1] in "省市县区旗盟":
        return name[:-1]  # 应县 → 应 (not an alias: too short)
    return name


def _level(code: str) -> str:
    if code == NATIONAL_CODE:
        return "全国"
    if code.endswith("0000"):
        return "省级"
    if code.endswith("00"):
        return "地级"
    return "县级"


def _latin_key(text: str) -> str:
    """'Xi'an' / 'xi an' / 'XIAN' → 'xian' (accents dropped: 'Ürümqi' → 'urumqi')."""
    return re.sub(r"[^a-z]", "", _fold(text.lower()))


def _fold(text: str) -> str:
    """Latin letters without accents, one character for one (positions stay valid)."""
    return "".join(unicodedata.normalize("NFKD", c)[0] if "\u00c0" <= c <= "\u024f" else c for c in text)


def _common(alias: str) -> bool:
    return alias in COMMON_WORDS or alias.lower() in COMMON_WORDS


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", _fold(text.lower()))


class Divisions:
    """All divisions, indexed by code, by Chinese name and (lazily) by pinyin and English name."""

    _instance: Divisions | None = None
    _lock = threading.Lock()

    def __init__(self, regions: list[Region], english: dict[str, list[str]], source: str,
                 readings: dict[str, list[str]] | None = None) -> None:
        self.source = source
        self.by_code: dict[str, Region] = {r.code: r for r in regions}
        self._english = english  # code → English names from the TSV
        self._readings = readings or {}  # name → pypinyin's reading, as index/region_pinyin.tsv records it
        self._counts = {level: sum(r.level == level for r in regions) for level in LEVELS}
        zh: dict[str, list[str]] = {}
        for r in regions:
            for key in self._zh_forms(r):
                zh.setdefault(key, [])
                if r.code not in zh[key]:
                    zh[key].append(r.code)
        for word in _NATIONAL_ZH:
            zh[word] = [NATIONAL_CODE]
        self._zh = zh

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls) -> Divisions:
        """The divisions, read once per process (cached)."""
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = cls._read()
        return cls._instance

    @classmethod
    def _read(cls) -> Divisions:
        package = _cpca_dir()
        resources = package / "resources"
        ethnic = _ethnic_pattern(resources)
        names: dict[str, str] = {}
        with open(resources / "adcodes.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                code, name = row["adcode"][:6], row["name"].strip()
                if len(code) == 6 and code.isdigit() and not _PLACEHOLDER.match(name):
                    names[code] = name
        regions = [Region(NATIONAL_CODE, "全国", "全国", "全国", None)]
        for code in sorted(names):
            level = _level(code)
            province = code[:2] + "0000"
            if level == "省级":
                parent = NATIONAL_CODE
            elif level == "地级":
                parent = province
            else:
                city = code[:4] + "00"
                parent = city if city in names else province
            if parent not in names and parent != NATIONAL_CODE:
                continue  # an orphan row (never seen in cpca's table): no place in the tree
            regions.append(Region(code, names[code], _short_name(names[code], ethnic), level, parent))
        by_name = {r.name: r.code for r in regions}
        english: dict[str, list[str]] = {}
        for zh_name, en_name in _tsv_rows(_index_file("region_names_en.tsv")):
            if zh_name in by_name and en_name:
                english.setdefault(by_name[zh_name], []).append(en_name.lower())
        readings = {name: syllables.split() for name, syllables in _tsv_rows(_index_file("region_pinyin.tsv"))}
        try:
            version = metadata.version("cpca")
        except metadata.PackageNotFoundError:
            version = "?"
        return cls(regions, english, f"cpca {version} resources/adcodes.csv", readings)

    # ------------------------------------------------------------------ lookups
    def get(self, code: str) -> Region:
        try:
            return self.by_code[str(code).strip()]
        except KeyError:
            raise BadRequest(f"unknown region code {code!r}: give a 6-digit adcode such as 330100, "
                             "or a name, e.g. 杭州 / 浙江省 / 全国") from None

    def count(self, level: str) -> int:
        return self._counts[level]

    def chain(self, region: Region) -> list[Region]:
        """The region, then its ancestors up to 全国."""
        out = [region]
        while out[-1].parent is not None:
            out.append(self.by_code[out[-1].parent])
        return out

    def is_within(self, region: Region, ancestor: Region) -> bool:
        return any(r.code == ancestor.code for r in self.chain(region))

    def resolve(self, name: str, within: str | Region | None = None) -> Region:
        """One region for a name: Chinese with or without suffix, pinyin, English, code, 全国 words, or
        front-matter style "黑龙江省_哈尔滨市" (the earlier parts narrow the last one)."""
        raw = unicodedata.normalize("NFKC", name or "").strip()
        parts = [p.strip() for p in raw.split("_") if p.strip()]
        if not parts:
            raise BadRequest(_UNKNOWN.format(name))
        context: list[Region] = []
        if isinstance(within, Region):
            context.append(within)
        elif within is not None and str(within).strip():
            context.append(self._resolve_one(unicodedata.normalize("NFKC", str(within)).strip(), []))
        for part in parts[:-1]:
            context.append(self._resolve_one(part, context))
        return self._resolve_one(parts[-1], context, shown=name)

    def _resolve_one(self, name: str, context: list[Region], shown: str | None = None) -> Region:
        shown = name if shown is None else shown
        if name.isdigit() and len(name) == 6 and name in self.by_code:
            return self.by_code[name]
        if _CJK.search(name):
            codes = self._zh.get(re.sub(r"\s+", "", name), [])
        else:
            codes = self._latin_codes(name, with_counties=bool(context))
        if not codes:
            raise BadRequest(_UNKNOWN.format(shown))
        candidates = [self.by_code[c] for c in codes]
        if context:  # a region inside the stated province/city wins; none inside: the context is ignored
            inside = [r for r in candidates if all(self.is_within(r, c) for c in context)] \
                or [r for r in candidates if any(self.is_within(r, c) for c in context)]
            candidates = inside or candidates
        top = min(LEVELS.index(r.level) for r in candidates)
        best = [r for r in candidates if LEVELS.index(r.level) == top]
        if len(best) == 1:
            return best[0]
        listed = ", ".join(f"{self.path(r)} ({r.code})" for r in best[:12])
        raise BadRequest(f"ambiguous region {shown!r}: {listed}; name the province or city too, "
                         f"e.g. {self.chain(best[0])[1].name}_{best[0].name}")

    def path(self, region: Region) -> str:
        """上海市普陀区, 浙江省舟山市普陀区: the names from the province down."""
        return "".join(r.name for r in reversed(self.chain(region)) if r.level != "全国")

    # ------------------------------------------------------------------ aliases
    def _zh_forms(self, r: Region) -> list[str]:
        """Chinese names resolve() takes for a region (common words included: asked for explicitly)."""
        forms = [r.name]
        if len(r.short) >= 2:
            forms.append(r.short)
        if r.level == "省级":
            if r.name.endswith("自治区") and r.short + "自治区" != r.name:
                forms.append(r.short + "自治区")  # 广西自治区
            if r.name.endswith("特别行政区"):
                forms.append(r.short + "特区")  # 香港特区
        return forms

    def reading_names(self) -> list[str]:
        """The names whose reading the aliases use (every short name, and the full name where the short one
        has one character), in code order: the rows of index/region_pinyin.tsv."""
        regions = [r for r in self.by_code.values() if r.level != "全国"]
        names = [r.short for r in regions] + [r.name for r in regions if len(r.short) < 2]
        return list(dict.fromkeys(names))

    def _reading(self, name: str) -> list[str]:
        syllables = self._readings.get(name)
        return list(syllables) if syllables is not None else _pypinyin(name)

    def _pinyin(self, name: str) -> list[str]:
        if name in _PINYIN_FIX:
            return _PINYIN_FIX[name].split()
        syllables = self._reading(name)
        if len(syllables) != len(name):
            return [s for s in syllables if s.isalpha()]
        return [{"都": "du", "长": "chang"}.get(ch, py) for ch, py in zip(name, syllables)]

    def _latin_of(self, r: Region, give_up_pinyin: bool = False) -> list[str]:
        """Latin aliases: pinyin joined and spaced, ü written u, the English names from the TSV."""
        if r.level == "全国":
            return list(_NATIONAL_EN)
        forms: list[str] = []
        syl = self._pinyin(r.short if len(r.short) >= 2 else r.name)  # 应县: "yingxian", not "ying"
        if syl and not give_up_pinyin:
            joined = "".join(syl)
            forms.append(joined)
            if len(syl) > 1 and min(map(len, syl)) > 1:  # not "a ba": "a BA degree" is no 阿坝
                forms.append(" ".join(syl))
            if "v" in joined:
                forms.append(joined.replace("v", "u"))  # lvliang → luliang
        for en in self._english.get(r.code, []):
            forms.append(en)
            if " " in en:
                forms.append(en.replace(" ", ""))  # hong kong → hongkong
        return list(dict.fromkeys(forms))

    @cached_property
    def _latin_forms(self) -> dict[str, list[str]]:
        """code → Latin aliases of 全国, the provinces, the 地级 and the 省直辖县级市 (counties: _latin_counties)."""
        upper = [self.by_code[NATIONAL_CODE], *self._findable()]
        joined = {r.code: "".join(self._pinyin(r.short)) for r in upper if r.level != "全国"}
        shared = {j for j, n in Counter(joined.values()).items() if n > 1}
        # 陕西 and 山西 are both "shanxi": the one with an English name (Shaanxi) gives the pinyin up
        return {r.code: self._latin_of(r, r.code in self._english and joined.get(r.code) in shared)
                for r in upper}

    @staticmethod
    def _index(forms: dict[str, list[str]]) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for code, names in forms.items():
            for form in names:
                codes = index.setdefault(_latin_key(form), [])
                if code not in codes:
                    codes.append(code)
        return index

    @cached_property
    def _latin(self) -> dict[str, list[str]]:
        return self._index(self._latin_forms)

    @cached_property
    def _latin_counties(self) -> dict[str, list[str]]:
        """Pinyin of the ~2,900 counties (~0.2 s): built only when a Latin name is not a province or city."""
        return self._index({r.code: self._latin_of(r) for r in self.by_code.values()
                            if r.level == "县级" and not self._city_like(r)})

    def _latin_codes(self, name: str, with_counties: bool) -> list[str]:
        keys = [_latin_key(name)]
        tokens = _tokens(name)
        while len(tokens) > 1 and tokens[-1] in _EN_SUFFIX_WORDS:  # "Harbin City", "Zhejiang Province"
            tokens.pop()
            keys.append("".join(tokens))
        keys += [keys[0][: -len(s)] for s in ("shi", "sheng") if keys[0].endswith(s)]  # "haerbinshi"
        for key in filter(None, keys):
            codes = list(self._latin.get(key, []))
            if with_counties or not codes:
                codes += self._latin_counties.get(key, [])
            if codes:
                return codes
        return []

    def english(self, region: Region) -> str:
        """The name to show in an English answer: the customary English name where there is one (Harbin,
        Inner Mongolia), else the pinyin of the short name (Jinan, Zhejiang)."""
        if region.level == "全国":
            return "China"
        names = self._english.get(region.code)
        if names:
            return names[0].title()
        return "".join(self._reading(region.short)).title()

    def aliases(self, region: Region) -> list[str]:
        """Names that denote the region: name, short (≥ 2 characters), province extras, pinyin joined and
        spaced, English exceptions; ordinary words (COMMON_WORDS) left out."""
        if region.level == "全国":
            forms = ["全国", "中国", "china", "nationwide"]
        elif region.level == "县级" and not self._city_like(region):
            forms = self._zh_forms(region) + self._latin_of(region)
        else:
            forms = self._zh_forms(region) + self._latin_forms.get(region.code, [])
        return [f for f in dict.fromkeys(forms) if not _common(f)]

    # ------------------------------------------------------------------ free text
    def _findable(self) -> list[Region]:
        """Regions find() names by short name and by pinyin/English: provinces, 地级 and 省直辖县级市."""
        return [r for r in self.by_code.values() if r.level in ("省级", "地级") or self._city_like(r)]

    @cached_property
    def _find_zh(self) -> tuple[dict[str, list[str]], int]:
        """Chinese keys of find(): no pinyin needed, so a Chinese question never pays for pypinyin."""
        zh: dict[str, list[str]] = {w: [NATIONAL_CODE] for w in _NATIONAL_FIND if _CJK.search(w)}
        findable = {r.code for r in self._findable()}
        for r in self.by_code.values():
            if r.code in findable:
                keys = self._zh_forms(r)  # 潜江, 仙桃, 济源: 省直辖县级市 are named like cities
            elif r.level == "县级" and r.name.endswith(_COUNTY_ENDINGS):
                keys = [r.name]
            else:
                continue
            for key in keys:
                if not _common(key):
                    codes = zh.setdefault(key, [])
                    if r.code not in codes:
                        codes.append(r.code)
        return zh, max(map(len, zh))

    @cached_property
    def _find_en(self) -> tuple[dict[tuple[str, ...], list[str]], int]:
        """English/pinyin keys of find(), as word tuples ("inner", "mongolia")."""
        en: dict[tuple[str, ...], list[str]] = {tuple(_tokens(w)): [NATIONAL_CODE]
                                                 for w in _NATIONAL_FIND if not _CJK.search(w)}
        for r in self._findable():
            for form in self._latin_forms.get(r.code, []):
                if not _common(form):
                    codes = en.setdefault(tuple(_tokens(form)), [])
                    if r.code not in codes:
                        codes.append(r.code)
        return en, max(map(len, en))

    def _city_like(self, r: Region) -> bool:
        """A 县级 division directly under a province that is not a 直辖市 (潜江市 under 湖北省)."""
        return r.level == "县级" and r.parent is not None and self.by_code[r.parent].level == "省级" \
            and not r.parent.startswith(_MUNICIPALITIES)

    def find(self, text: str) -> list[Region]:
        """Every division named in free text, in order of appearance (see the module docstring)."""
        text = unicodedata.normalize("NFKC", text or "")
        for phrase in NOT_PLACES:
            text = text.replace(phrase, " " * len(phrase))
        zh, zh_max = self._find_zh
        hits: list[tuple[int, list[str]]] = []
        masked = list(text)
        i, last_end, n = 0, -1, len(text)
        while i < n:
            for size in range(min(zh_max, n - i), 1, -1):
                key = text[i:i + size]
                if key in zh and self._stands_alone(key, text, i, last_end):
                    hits.append((i, zh[key]))
                    masked[i:i + size] = " " * size
                    i = last_end = i + size
                    break
            else:
                i += 1
        lowered = _fold("".join(masked).lower())
        words = [(m.start(), m.group()) for m in re.finditer(r"[a-z]+", lowered)]
        en, en_max = self._find_en if words else ({}, 0)
        j = 0
        while j < len(words):
            for size in range(min(en_max, len(words) - j), 0, -1):
                key = tuple(w for _, w in words[j:j + size])
                if key in en and self._adjacent(lowered, words[j:j + size]):
                    hits.append((words[j][0], en[key]))
                    j += size
                    break
            else:
                j += 1
        return self._choose(sorted(hits, key=lambda h: h[0]))

    @staticmethod
    def _stands_alone(key: str, text: str, i: int, last_end: int) -> bool:
        """A two-character county name (应县, 费县, 南县) counts only where it starts a word: at the start,
        after a non-Chinese character or right after another match, and not before 级 (县级)."""
        if len(key) > 2 or key[-1] not in _COUNTY_ENDINGS:
            return True
        after = text[i + 2:i + 3]
        before_ok = i == 0 or i == last_end or not _CJK.match(text[i - 1])
        return before_ok and after != "级"

    @staticmethod
    def _adjacent(lowered: str, words: list[tuple[int, str]]) -> bool:
        """Words of a multi-word alias separated only by spaces, hyphens or an apostrophe (xi'an)."""
        for (start, word), (nxt, _) in zip(words, words[1:]):
            if not re.fullmatch(r"[\s\-'\u2019]{1,3}", lowered[start + len(word):nxt]):
                return False
        return True

    def _choose(self, hits: list[tuple[int, list[str]]]) -> list[Region]:
        """Per match: the highest level; a tie (普陀区 of 上海 and of 舟山) is settled by another region of the
        text that contains one of them, else all of them are returned."""
        picked: list[list[Region]] = []
        for _, codes in hits:
            regions = [self.by_code[c] for c in codes]
            top = min(LEVELS.index(r.level) for r in regions)
            picked.append([r for r in regions if LEVELS.index(r.level) == top])
        sure = [rs[0] for rs in picked if len(rs) == 1 and rs[0].level != "全国"]
        out: list[Region] = []
        for regions in picked:
            if len(regions) > 1:
                narrowed = [r for r in regions if any(self.is_within(r, s) for s in sure)]
                regions = narrowed or regions
            for r in regions:
                if r not in out:
                    out.append(r)
        return out


def main() -> None:
    """`python -m familydesk.regions > index/region_pinyin.tsv`: pypinyin's reading of every name the aliases use."""
    divisions = Divisions.load()
    print(f"# pypinyin {metadata.version('pypinyin')}'s reading of the division names of {divisions.source}, read by")
    print("# regions.py instead of importing pypinyin at every start. Written by `python -m familydesk.regions`;")
    print("# a test checks it against pypinyin. name<TAB>syllables (corrections: _PINYIN_FIX in regions.py)")
    for name in divisions.reading_names():
        print(f"{name}\t{' '.join(_pypinyin(name))}")


if __name__ == "__main__":
    main()
