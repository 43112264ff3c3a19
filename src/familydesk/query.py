"""Reading a question before any search: its language, its city, what figure it asks for,
whether it tries to subvert the assistant, and its terms in the corpus's own Chinese.

English questions are expanded through the bilingual glossary (index/glossary.tsv), which maps
English phrasings to the words the documents use (paternity leave → 陪产假|护理假).
"""
from __future__ import annotations

import dataclasses

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadRequest
from .dictionary import Dictionary
from .lexical import Tokenizer
from .text import CJK_RUN, has_cjk

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


# British spellings fold into American ones, so one glossary key serves both
_SPELLING = {"centre": "center", "centres": "centers", "programme": "program", "programmes": "programs",
             "labour": "labor", "paediatric": "pediatric", "paediatrics": "pediatrics", "paediatrician": "pediatrician",
             "licence": "license", "organisation": "organization", "colour": "color", "behaviour": "behavior",
             "neighbourhood": "neighborhood", "favour": "favor", "counselling": "counseling", "foetal": "fetal",
             "foetus": "fetus", "enrol": "enroll", "enrolment": "enrollment", "subsidise": "subsidize",
             "subsidised": "subsidized", "prioritise": "prioritize", "standardise": "standardize",
             "standardised": "standardized", "anaesthesia": "anesthesia", "gynaecology": "gynecology",
             "mum": "mom", "mums": "moms", "nappy": "diaper", "nappies": "diapers", "pram": "stroller",
             # ordinals and the everyday word for a child read as the glossary writes them (2nd kid → second child)
             "1st": "first", "2nd": "second", "3rd": "third", "kid": "child", "kids": "children"}


# a number with its measure word (一千个, 两次, 3个): how much of something, never what the question is about
_AMOUNT_WORD = re.compile(r"[\d一二两三四五六七八九十百千万几]+[个次回名位只件家所项批]?")


# a year: 2023年, "in 2024", "born 2023"; not 2000元 or 20230101
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})年|\b(?:in|since|from|by|before|after|until|born|of)\s+((?:19|20)\d{2})\b",
                   re.I)
_CLITIC = re.compile(r"(?:'m|'re|'ve|'ll|'d|n't)$")  # I'm, we're, don't: the word before it is what is read
_NEGATED = {"can't": "can", "won't": "will", "shan't": "shall"}


def en_stem(word: str) -> str:
    word = _SPELLING.get(word.lower(), word.lower()).removesuffix("'s")
    word = _NEGATED.get(word) or _CLITIC.sub("", word)
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def en_tokens(text: str) -> list[str]:
    return [en_stem(w) for w in _EN_WORD.findall(text.lower())]


@functools.cache
def en_lemma(word: str) -> str:
    """The dictionary form of an inflected English word (paid → pay, children → child, took → take), from
    lemminflect's tables; the word itself when it is already one, or unknown. Loaded on first use."""
    import lemminflect  # its tables load on first use, not at start

    lemmas = lemminflect.getAllLemmas(word)
    if not lemmas or any(word in forms for forms in lemmas.values()):
        return word
    return (lemmas.get("NOUN") or lemmas.get("VERB") or next(iter(lemmas.values())))[0]


@dataclass(frozen=True)
class Group:
    """One concept of the question and the Chinese terms any of which expresses it."""

    source: str
    terms: tuple[str, ...]
    # read through the dictionary (CC-CEDICT), not the reviewed glossary: it helps rank clauses that share a
    # reviewed concept and never makes a clause relevant (a question of dictionary words alone stays off topic)
    weak: bool = False
    # the dictionary's other corpus words for a reviewed English concept ("township" → 乡镇 besides the
    # glossary's 街乡): they are searched and covered like the terms but do not change what the concept weighs
    also: tuple[str, ...] = ()
    # says only how a figure is counted (每年, per child: index/query_rules.json measure_words): it ranks the clauses
    # that share the question's topic, and counts neither for nor against coverage
    measure: bool = False

    @property
    def searched(self) -> tuple[str, ...]:
        return self.terms + tuple(t for t in self.also if t not in self.terms)


@dataclass
class Query:
    text: str
    language: str  # zh | en
    city: str | None
    cities: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # places named that the corpus does not cover
    parent_of: dict[str, list[str]] = field(default_factory=dict)  # 内蒙古 → [包头]: covered regions inside a place named
    scope: list[str] = field(default_factory=list)  # covered regions that answer, most specific first ([] = all)
    place: str | None = None  # the place asked about when it has no document of its own (杭州 → 浙江省's)
    place_names: tuple[str, ...] = ()  # that place's Chinese names (厦门市, 厦门): a province's sentence naming it answers
    injection: bool = False
    quantity: str | None = None  # duration | money | percent | count | age | deadline
    quantity_text: str = ""  # the words that asked for it (多少天, how long)
    needs_figure: bool = False  # abstain when the answering sentence states no figure of that kind
    figure_words: tuple[str, ...] = ()  # words that answer the figure question without a number (即申即享)
    qualifiers: tuple[str, ...] = ()  # words of the question that pick one figure among several (二孩, 男职工)
    groups: list[Group] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)  # English content words the glossary lacks
    read_as: "Query | None" = None  # rewritten by a model: the question as read, what relevance is judged on

    @property
    def terms(self) -> list[str]:
        return [t for g in self.groups for t in g.terms]


def read_glossary(path: Path, key) -> dict:
    """A glossary file of index/: `phrase<TAB>term|term|…` lines (`#` lines are comments) as
    {key(phrase): (term, …)}; the terms of lines with the same key are merged, each once."""
    entries: dict = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            phrase, zh = line.split("\t", 1)
            terms = entries.setdefault(key(phrase), [])
            terms.extend(t.strip() for t in zh.split("|") if t.strip() and t.strip() not in terms)
    return {k: tuple(v) for k, v in entries.items()}


def glosses(path: Path) -> dict[str, str]:
    """Chinese term → its English, read from the bilingual glossary (index/glossary.tsv): the first phrase that
    lists the term first, else the first phrase that lists it at all."""
    first, listed = {}, {}
    for phrase, terms in read_glossary(path, str.strip).items():
        for i, t in enumerate(terms):
            (first if i == 0 else listed).setdefault(t, phrase)
    return {**listed, **first}


SHARED_HEAD_GAP = 3  # at most this many words of modifier before the phrase whose head they share


class Glossary:
    """English phrase → corpus terms, matched longest phrase first on stemmed words."""

    def __init__(self, entries: dict[tuple[str, ...], tuple[str, ...]], names: dict[str, str] | None = None) -> None:
        self.entries = entries
        self.max_len = max((len(k) for k in entries), default=1)
        self.names = names or {}  # Chinese term → the English phrase that glosses it

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        entries = read_glossary(path, lambda english: tuple(en_tokens(english)))
        return cls({k: v for k, v in entries.items() if k}, glosses(path))

    def english(self, term: str) -> str:
        """The English for a Chinese term of the documents (护理假 → paternity leave), "" when none."""
        return self.names.get(term, "")

    @property
    def chinese_terms(self) -> set[str]:
        return {t for terms in self.entries.values() for t in terms}

    def expand(self, words: list[str]) -> tuple[list[Group], list[int]]:
        """Groups for the phrases found, and the positions of words no phrase covered. A phrase is matched as
        written first, then with its words in dictionary form ("paid out" finds "pay out")."""
        groups, uncovered, i = [], [], 0
        while i < len(words):
            found = self._match(words, i) or self._match([en_lemma(w) for w in words[i:i + self.max_len]], 0)
            n, key = found or (0, None)
            if key:
                groups.append(Group(" ".join(key), self.entries[key], also=self._head(key)))
                i += n
            elif (shared := self._shared_head(words, i)) is not None:
                n, key = shared
                groups.append(Group(" ".join(key), self.entries[key]))
                i += n
            else:
                uncovered.append(i)
                i += 1
        return groups, uncovered

    def _shared_head(self, words: list[str], i: int) -> tuple[int, tuple[str, ...]] | None:
        """Modifiers the glossary knows only with a head the question gives further on: "hourly or drop-in
        childcare" is also "hourly childcare", "city-level childcare subsidy" also "city-level subsidy". The words
        from `i` up to the phrase that follows them (a coordinating "or" / "and" dropped), read with that phrase's
        last words: (how many words they are, the key found)."""
        for j in range(i + 1, min(i + SHARED_HEAD_GAP, len(words)) + 1):
            found = self._match(words, j)
            if not found:
                continue
            modifier = [w for w in words[i:j] if w not in ("or", "and")]
            n, key = found
            # the phrase's head: its last word, then more of it; or, when the phrase is itself a modifier
            # ("hourly or drop-in childcare"), the word after it
            heads = [key[n - cut:] for cut in range(1, n + 1)] + [tuple(words[j + n:j + n + 1])]
            for head in heads:
                candidate = tuple(modifier) + head
                if modifier and head and candidate in self.entries and candidate != key:
                    return j - i, candidate
            return None
        return None

    def _head(self, key: tuple[str, ...]) -> tuple[str, ...]:
        """The terms of the phrase's head, its longest shorter ending of two words or more that the glossary knows:
        "high bride price" (高额彩礼) is also a question about "bride price" (彩礼), so a clause on 低彩礼、零彩礼 is
        found too."""
        for start in range(1, len(key) - 1):  # a head of one word (allowance) is too general to stand for it
            head = key[start:]
            if head in self.entries:
                return tuple(t for t in self.entries[head] if t not in self.entries[key])
        return ()

    def _match(self, words: list[str], i: int) -> tuple[int, tuple[str, ...]] | None:
        """The longest phrase of the glossary starting at words[i]: (its length, its key)."""
        for n in range(min(self.max_len, len(words) - i), 0, -1):
            key = tuple(words[i:i + n])
            if key in self.entries:
                return n, key
        return None


# what may stand between two concepts that make an everyday key: a few characters, or in English an 's or a space
_COMPOSE_GAP = r"[^，。？！、,.?!;；：:\s]{0,3}|(?:s?'?s?\s)"


class ColloquialGlossary:
    """Everyday Chinese → the documents' terms (孩子 → 子女|儿童|婴幼儿), matched as substrings."""

    def __init__(self, entries: dict[str, tuple[str, ...]]) -> None:
        self.entries = entries
        # a document term that contains its everyday key (单位 → 用人单位) is read whole when the question
        # already says it: 用人单位 is not 单位 plus a stray 用人
        self._whole = {t: k for k, terms in entries.items() for t in terms
                       if k in t and len(t) > len(k) and t not in entries}
        forms = sorted([*entries, *self._whole], key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in forms)) if entries else None

    @classmethod
    def load(cls, path: Path) -> "ColloquialGlossary":
        return cls({k: v for k, v in read_glossary(path, str.strip).items() if k})

    def expand(self, text: str) -> tuple[list[Group], str]:
        """Groups for the phrases found, and the text with those phrases blanked out."""
        if self._pattern is None:
            return [], text
        groups = []
        for m in self._pattern.finditer(text):
            found = m.group(0)
            key = self._whole.get(found, found)
            groups.append(Group(found, tuple(_unique([found, key, *self.entries[key]]))))
        return groups, self._pattern.sub(" ", text)


class _Names:
    """All aliases of a set of places as two precompiled patterns: Chinese by substring, English and
    pinyin as whole words (so "anshan" is not found inside another word)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.place_of: dict[str, str] = {}
        for place, aliases in names.items():
            for a in [place, *aliases]:
                self.place_of.setdefault(a if has_cjk(a) else a.lower(), place)
        self.order = list(names)
        zh = sorted((a for a in self.place_of if has_cjk(a)), key=len, reverse=True)
        en = sorted((a for a in self.place_of if not has_cjk(a)), key=len, reverse=True)
        self._zh = re.compile("|".join(map(re.escape, zh))) if zh else None
        self._en = re.compile(r"(?<![a-z])(?:%s)(?![a-z])" % "|".join(map(re.escape, en))) if en else None

    def find(self, text: str, lowered: str) -> list[str]:
        found = set()
        for pattern, haystack in ((self._zh, text), (self._en, lowered)):
            if pattern is not None:
                found |= {self.place_of[m.group(0)] for m in pattern.finditer(haystack)}
        return [p for p in self.order if p in found]



class Places:
    """The regions the knowledge base covers, placed in the national division hierarchy (全国 → 省级 →
    地级 → 县级, from the division dataset in regions.py): which places a question names, which covered
    regions answer for each (the place itself, then its province, then the nation)."""

    def __init__(self, covered: dict[str, str], divisions=None) -> None:
        from .regions import Divisions

        self.divisions = divisions or Divisions.load()
        self.code_of: dict[str, str] = dict(covered)  # covered region name (as in the manifest) → division code
        self.name_of: dict[str, str] = {}  # division code → the first name it was recorded under
        self.names_of: dict[str, list[str]] = {}  # division code → every name documents use for it
        for name, code in covered.items():
            self.name_of.setdefault(code, name)
            self.names_of.setdefault(code, []).append(name)
        self._scope_cache: dict[str, list[str]] = {}
        self.last_aliases: list[str] = []  # the surface forms of the places the last `find` saw
        self.covered: dict[str, list[str]] = {
            name: _unique([name, *self.divisions.aliases(self.divisions.get(code))]) for name, code in covered.items()}

    @classmethod
    def from_documents(cls, documents, divisions=None) -> "Places":
        """The regions of a corpus's current documents; a document without a code is resolved by name."""
        from .regions import Divisions

        divisions = divisions or Divisions.load()
        covered: dict[str, str] = {}
        for d in documents:
            if d.city not in covered and d.current:
                covered[d.city] = d.region_code or divisions.resolve(d.city).code
        return cls(covered, divisions)

    def scope(self, region) -> list[str]:
        """Covered regions that answer for `region`, most specific first: itself, its province, 全国."""
        return [n for r in self.divisions.chain(region) for n in self.names_of.get(r.code, [])]

    def english(self, name: str) -> str:
        """A covered region's (or any place's) name for English answers: Harbin, Heilongjiang, China (national)."""
        try:
            region = self.divisions.get(self.code_of[name]) if name in self.code_of else self.divisions.resolve(name)
        except (BadRequest, KeyError):
            return name
        return self.divisions.english(region)

    def forms(self, name: str) -> list[str]:
        """Every way a place is written (包头, 包头市, baotou, bao tou): a covered region's aliases, or any
        Chinese place's from the division data; [name] when it is not a division."""
        if name in self.covered:
            return list(self.covered[name])
        try:
            return _unique([name, *self.divisions.aliases(self.divisions.resolve(name))])
        except BadRequest:
            return [name]

    def sort_key(self, name: str) -> tuple:
        """National first, then provinces, cities and counties, each in division-code order."""
        order = {"全国": 0, "省级": 1, "地级": 2, "县级": 3}
        return (order.get(self.label(name), 2), self.code_of.get(name, ""))

    def label(self, name: str) -> str:
        """全国 / 省级 / 地级 / 县级 of a covered region."""
        code = self.code_of.get(name)
        return self.divisions.get(code).level if code else ""

    def find(self, text: str) -> tuple[list[str], list[str], dict[str, str], dict[str, list[str]]]:
        """(covered regions named, places named that have no document of their own, uncovered place →
        the covered regions inside it, place → the covered regions that answer for it)."""
        covered, uncovered, inside, scopes = [], [], {}, {}
        found = self.divisions.find(text)
        # one name, several divisions (普陀区 of 上海 and of 舟山): keep those the knowledge base can answer for
        by_name: dict[str, list] = {}
        for r in found:
            by_name.setdefault(r.name, []).append(r)
        found = [r for r in found if len(by_name[r.name]) == 1 or self.scope(r)
                 or not any(self.scope(x) for x in by_name[r.name])]
        found = [r for i, r in enumerate(found) if r.name not in {x.name for x in found[:i]}]
        found += self._covered_districts(text, found)
        self.last_aliases = [a for r in found for a in self.divisions.aliases(r)]
        for r in found:
            if r.code in self.name_of:
                name = self.name_of[r.code]
                covered.append(name)
                scopes[name] = self.scope(r)
                self._scope_cache[name] = scopes[name]
                continue
            uncovered.append(r.short if r.level != "县级" else r.name)
            scopes[uncovered[-1]] = self.scope(r)
            children = [n for n, c in self.code_of.items()
                        if any(a.code == r.code for a in self.divisions.chain(self.divisions.get(c))[1:])]
            if children:
                inside[uncovered[-1]] = children
        return covered, uncovered, inside, scopes

    def _covered_districts(self, text: str, found: list) -> list:
        """A district or county the knowledge base covers, named without its suffix (在普陀申请 for 普陀区): the
        division dataset finds county-level places only by their full name, since most short ones (朝阳, 普陀)
        are shared or ordinary words; among the covered places one is not."""
        seen = {r.code for r in found}
        return [r for r in self._districts if r.code not in seen and r.short in text]

    @functools.cached_property
    def _districts(self) -> list:
        """The covered districts and counties findable by their short name: one no other covered place shares,
        and not an ordinary word (the aliases leave those out)."""
        districts = [self.divisions.get(c) for c in dict.fromkeys(self.code_of.values())]
        districts = [r for r in districts if r.level == "县级" and len(r.short) >= 2]
        shorts = [r.short for r in districts]
        return [r for r in districts if shorts.count(r.short) == 1 and r.short in self.covered[self.name_of[r.code]]]

    def normalise(self, region: str | None) -> str | None:
        """'Baotou', 'baotou', '包头市' → '包头'; None/''/'全部'/'all' → None; any other Chinese place → its
        name (answered by its province's or the nation's documents); unknown → BadRequest."""
        if region is None or not region.strip() or region.strip().lower() in ("all", "全部", "any"):
            return None
        r = region.strip()
        for city, aliases in self.covered.items():
            if r == city or r in aliases or r.lower() in [a.lower() for a in aliases]:
                return city
        try:
            place = self.divisions.resolve(r)
        except BadRequest as e:
            raise BadRequest(f"unknown region {region!r}: the documents cover {', '.join(self.covered)}") from e
        if place.code in self.name_of:
            return self.name_of[place.code]
        if not self.scope(place):
            raise BadRequest(f"no document covers {place.name}: the documents cover {', '.join(self.covered)}")
        return place.name

    def scope_of_name(self, name: str) -> list[str]:
        if name in self._scope_cache:
            return self._scope_cache[name]
        if name in self.code_of:
            return self.scope(self.divisions.get(self.code_of[name]))
        return self.scope(self.divisions.resolve(name))


def _unique(items: list[str]) -> list[str]:
    seen, out = set(), []
    for i in items:
        if i and i not in seen:
            seen.add(i)
            out.append(i)
    return out


class QueryReader:
    """Turns a question into a Query; all its rules come from files under index/."""

    def __init__(self, index_dir: Path, tokenizer_factory=Tokenizer, places: "Places | None" = None) -> None:
        rules = json.loads((index_dir / "query_rules.json").read_text(encoding="utf-8"))
        self.glossary = Glossary.load(index_dir / "glossary.tsv")
        self.colloquial = ColloquialGlossary.load(index_dir / "glossary_zh.tsv")
        if places is None:
            from .corpus import load_corpus

            places = Places.from_documents(load_corpus(index_dir).documents.values())
        self.places = places
        self.classes: dict[str, tuple[str, ...]] = {}  # term → its class of equivalent names (policy_terms.tsv)
        classes_file = index_dir / "policy_terms.tsv"
        if classes_file.exists():
            for line in classes_file.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    members = tuple(t.strip() for t in line.split("|") if t.strip())
                    for t in members:
                        self.classes[t] = members
        abroad_file = index_dir / "places_abroad.tsv"
        abroad: dict[str, list[str]] = {}
        if abroad_file.exists():
            for line in abroad_file.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    name, *aliases = [x.strip() for x in line.split("\t") if x.strip()]
                    abroad[name] = aliases
        self.abroad = _Names(abroad)
        place_words = {a for al in self.places.covered.values() for a in al if has_cjk(a)}
        place_words |= set(self.places.covered)
        self.stop_zh = set(rules["stopwords_zh"]) | place_words
        self.stop_en = {en_stem(w) for w in rules["stopwords_en"]}
        self.intensifiers_en = re.compile(rules["intensifiers_en"], re.I) if rules.get("intensifiers_en") else None
        for aliases in self.places.covered.values():
            self.stop_en |= {en_stem(t) for a in aliases for t in en_tokens(a)}
        self.quantity = [(kind, re.compile(spec["zh"]), re.compile(spec["en"], re.I), tuple(spec["units"]))
                         for kind, spec in rules["quantity"].items()]
        self.units = {kind: units for kind, _, _, units in self.quantity}
        self.narrow = {kind: spec.get("narrow", {}) for kind, spec in rules["quantity"].items()}
        generic = rules.get("generic_amount", {})
        self.generic_amount = (re.compile(generic["zh"]), re.compile(generic["en"], re.I), generic.get("by_topic", {})) \
            if generic else None
        self.figure_required = set(rules.get("figure_required", self.units))
        self.figure_words = {k: tuple(v) for k, v in rules.get("figure_words", {}).items()}
        self.qualifiers = tuple(rules.get("qualifiers", ()))
        self.measure_words = frozenset(rules.get("measure_words", ()))
        yes_no = rules["yes_no"]
        self.yes_no = (re.compile(yes_no["zh"]), re.compile(yes_no["en"], re.I))
        implied = dict(rules.get("implied_kind", {}))
        asking = implied.pop("question_words", None)
        self.question_words = (re.compile(asking["zh"]), re.compile(asking["en"], re.I)) if asking else None
        self.implied = [(kind, re.compile(spec["zh"]), re.compile(spec["en"], re.I)) for kind, spec in implied.items()]
        self.asked = [(name, re.compile(spec["zh"]), re.compile(spec["en"], re.I), tuple(spec["terms"]))
                      for name, spec in rules.get("asked_about", {}).items()]
        child = rules.get("the_child", {})
        self.the_child = frozenset([*child.get("zh", ()), *(en_stem(w) for w in child.get("en", ()))])
        self.fillers = frozenset(rules.get("conversation_fillers", ())) | set(child.get("zh", ()))
        self.counted_child = [re.compile(child[k], re.I) for k in ("counted_zh", "counted_en") if child.get(k)]
        refs = rules.get("conversation_references", {})
        self.kind_references = frozenset(refs.get("kind", ()))
        self.reference_en = re.compile(refs["en"], re.I) if refs.get("en") else None
        self.kind_reference_en = re.compile(refs["en_kind"], re.I) if refs.get("en_kind") else None
        self.references = tuple(sorted([*refs.get("kind", ()), *refs.get("this", ())], key=len, reverse=True))
        self.known: frozenset[str] | None = None  # the documents' words (set by the assistant): what can be a topic
        self.dictionary: Dictionary | None = None  # CC-CEDICT over those words (set by the assistant)
        self.injection = [re.compile(p, re.I) for p in rules["injection"]]
        corpus_terms = self.glossary.chinese_terms | {t for ts in self.colloquial.entries.values() for t in ts}
        self.tokenizer = tokenizer_factory(user_words=corpus_terms, stopwords=self.stop_zh)

    def read(self, text: str, region: str | None = None, answer_language: str | None = None) -> Query:
        """Read a question. `answer_language` (zh | en) overrides the language the answer is written in (a
        follow-up in Chinese to an English conversation is answered in Chinese); words are read as written."""
        text = to_simplified(text)  # 包頭的陪產假 reads as 包头的陪产假: the documents are in simplified characters
        city = self.places.normalise(to_simplified(region) if region else region)
        covered, uncovered, parent_of, scopes = self.places.find(text)
        place_forms = list(self.places.last_aliases)
        abroad = self.abroad.find(text, text.lower())
        if abroad and not covered and not uncovered:
            uncovered = abroad  # a place outside China: no document covers it
        language = "zh" if has_cjk(text) and len(CJK_RUN.findall(text)) and _cjk_share(text) >= 0.3 else "en"
        if len(covered) == 1:  # a city the user names wins over a remembered selection (region)
            city = covered[0]
        place = None
        if not covered and len(uncovered) == 1 and scopes.get(uncovered[0]):
            # a place with no document of its own: its province's or the nation's documents answer
            place, city = uncovered[0], scopes[uncovered[0]][0]
            uncovered = []
        q = Query(text=text, language=language, city=city, cities=covered,
                  uncovered=[u for u in uncovered if not covered and not region], parent_of=parent_of, place=place)
        if len(covered) > 1:  # a comparison: exactly the places named, nothing else
            q.scope = list(covered)
        elif place:
            q.scope = scopes[place]
        elif city:
            q.scope = self.places.scope_of_name(city) if city in self.places.code_of else scopes.get(city, [])
            if city not in self.places.code_of:  # a region parameter naming an uncovered place
                q.place, q.scope = city, self.places.scope_of_name(city)
                q.city = q.scope[0] if q.scope else None
        if q.place:
            q.place_names = tuple(f for f in place_forms if has_cjk(f))
        q.injection = any(p.search(text) for p in self.injection)
        # the words that only name a place or ask for a figure are read here, not searched for
        terms_text, asked_words = text, ""
        for form in sorted((f for f in place_forms if has_cjk(f)), key=len, reverse=True):
            terms_text = terms_text.replace(form, " ")
        for kind, zh, en, _units in self.quantity:
            m = zh.search(text) or en.search(text)  # mixed questions ("包头育儿假 how many days?") too
            if m:
                q.quantity = kind
                q.quantity_text = m.group(0)
                # "Is Beijing raising how much insurance reimburses?" asks yes or no: the figure is only part of it
                q.needs_figure = kind in self.figure_required and not (
                    language == "en" and m.start() > 0 and self.yes_no[1].match(text)
                    or language == "zh" and self.yes_no[0].search(_sentence_at(text, m.start())))
                q.figure_words = self.figure_words.get(kind, ())
                asked_words = m.group(0)
                if has_cjk(m.group(0)):
                    terms_text = terms_text.replace(m.group(0), " ")
                break
        if q.quantity is None and self.generic_amount and has_cjk(text):  # "是多少": the kind from the topic
            m = self.generic_amount[0].search(terms_text)
            if m and self._generic_kind(q, m.group(0), terms_text.replace(m.group(0), " ")):
                terms_text = terms_text.replace(m.group(0), " ")
        if q.quantity is None and self.question_words and not any(p.search(text) for p in self.question_words):
            # no question word at all ("北京 学前教育 公办率 目标"): a rate or a share named is the figure asked for
            kind = next((k for k, zh, en in self.implied if zh.search(terms_text) or en.search(text)), None)
            if kind:
                q.quantity, q.needs_figure = kind, kind in self.figure_required
                q.figure_words = self.figure_words.get(kind, ())
        # what the question asks about in its question words ("谁出", "who pays": who bears the cost)
        for _name, zh, en, terms in self.asked:
            m = zh.search(terms_text) or en.search(text)
            if m:
                q.groups.append(Group(m.group(0).strip(), terms))
                terms_text = terms_text.replace(m.group(0), " ") if has_cjk(m.group(0)) else terms_text
        # Chinese words of the question (also Chinese inside an English question: "the 青春志爱团")
        everyday, rest = self.colloquial.expand(terms_text)
        q.groups.extend(everyday)
        for run in CJK_RUN.findall(rest):
            for w in self.tokenizer.query_words(run):
                if len(w) >= 2 and w not in self.stop_zh and not _AMOUNT_WORD.fullmatch(w):
                    q.groups.extend(Group(p, (p,)) for p in self._parts(w))
        if language == "zh":  # an English word inside a Chinese question ("用啥APP申请") is read by the glossary
            q.groups.extend(self.glossary.expand([w for w in en_tokens(rest) if len(w) > 1])[0])
        if language == "en":
            place_words = {en_stem(t) for f in place_forms if not has_cjk(f) for t in en_tokens(f)}
            plain = self.intensifiers_en.sub(" ", text) if self.intensifiers_en else text  # "right after" → "after"
            words = [w for w in en_tokens(plain) if w not in place_words]
            groups, uncovered_pos = self.glossary.expand(words)
            if self.dictionary is not None:  # the documents' other words for the same English phrase
                groups = [Group(g.source, g.terms,
                                also=tuple(_unique([*g.also, *self.dictionary.words_for(g.source.split())])))
                          for g in groups]
            q.groups.extend(groups)
            # the words that ask ("how many times", "how often") are read as the kind of figure: no concept
            asking = set(en_tokens(asked_words)) if asked_words and not has_cjk(asked_words) else set()
            q.unknown_words = [words[i] for i in uncovered_pos if words[i] not in self.stop_en
                               and en_lemma(words[i]) not in self.stop_en  # getting, gave
                               and words[i] not in asking and not words[i].isdigit() and len(words[i]) > 1]
            if self.dictionary is not None and q.unknown_words:  # the glossary's gaps, through CC-CEDICT
                found, left = self.dictionary.lookup(q.unknown_words)
                q.groups.extend(Group(phrase, terms, weak=True) for phrase, terms in found)
                q.unknown_words = [q.unknown_words[i] for i in left]
        self._composed(q, terms_text, {g.source for g in everyday})
        # a benefit named one way searches for every name it has (陪产假 → 护理假, 陪护假, …)
        q.groups = [Group(g.source, tuple(_unique([t2 for t in g.terms for t2 in (t, *self.classes.get(t, ()))])), g.weak, g.also)
                    if any(t in self.classes for t in g.terms) else g for g in q.groups]
        if q.quantity is None and self.generic_amount and language == "en":  # "what is the annual subsidy"
            m = self.generic_amount[1].search(text)
            if m:
                self._generic_kind(q, m.group(0), " ".join(t for g in q.groups if not g.weak for t in g.terms))
        # a concept that only says how a figure is counted (每年, per child) ranks, never decides; so does the child
        # a parent asks about (娃, my kid): who every question is about, not what it is about
        # (in an age question the child is what the figure is about: 娃多大能进托班)
        counted = q.quantity == "age" or any(p.search(text) for p in self.counted_child)
        context = frozenset() if counted else self.the_child
        q.groups = [dataclasses.replace(g, measure=True)
                    if g.terms and set(g.terms) <= self.measure_words or g.source in context else g
                    for g in q.groups]
        q.unknown_words = [w for w in q.unknown_words if w not in context]
        # a year the question names (2023年出生的, born in 2024) picks its line among a document's years
        years = list(dict.fromkeys(f"{a or b}年" for a, b in _YEAR.findall(text)))
        q.groups.extend(Group(y, (y,)) for y in years if not any(y in g.terms for g in q.groups))
        terms_now = {t for g in q.groups for t in g.terms}
        q.qualifiers = tuple(w for w in self.qualifiers if w in terms_now or w in text) + tuple(years)
        # keep the first occurrence of each concept
        seen, unique = set(), []
        for g in q.groups:
            if g.terms not in seen:
                seen.add(g.terms)
                unique.append(g)
        q.groups = unique
        if answer_language in ("zh", "en"):
            q.language = answer_language
        return q

    def _composed(self, q: Query, text: str, found: set[str]) -> None:
        """Two concepts said next to each other (at most a few characters apart, in one clause of the sentence)
        whose names make an everyday key together are also said by that key's terms, each of them: 上幼儿园会免费
        (幼儿园 + 免费: 幼儿园免费 → 免费学前教育), 宝宝刚生下来就能上医保 (新生儿 + 医保: 新生儿医保 → 新生儿参保资助).
        A key the question says whole was read already (`found`)."""
        lowered = text.lower()  # English concepts are read lower-cased
        for i, first in enumerate(q.groups):
            for j in range(i + 1, len(q.groups)):
                second = q.groups[j]
                at, then = lowered.find(first.source), lowered.find(second.source)
                if at < 0 or then < 0 or not re.fullmatch(_COMPOSE_GAP, text[at + len(first.source):then]):
                    continue
                keys = {a + b for a in (first.source, *first.terms) for b in (second.source, *second.terms)}
                for key in sorted(keys & self.colloquial.entries.keys() - found):
                    for k in (i, j):
                        g = q.groups[k]
                        q.groups[k] = dataclasses.replace(g, also=tuple(_unique([*g.also, *self.colloquial.entries[key]])))

    def _parts(self, word: str) -> tuple[str, ...]:
        """The word, or a compound the documents never write (儿科医生, 坐地铁) as the words it is made of that they
        do write (儿科, 医生; 地铁) when those spell all of it but one character; a word only partly theirs
        (最低工资) stays whole."""
        if self.known is None or word in self.known or len(word) < 3:
            return (word,)
        parts = [p for p in self.tokenizer.words(word) if p != word and len(p) >= 2 and p in self.known]
        spelled = [False] * len(word)
        for p in parts:
            i = word.find(p)
            spelled[i:i + len(p)] = [True] * len(p)
        # one character left over is a verb or a measure word of everyday speech (坐地铁 → 地铁)
        return tuple(dict.fromkeys(parts)) if parts and spelled.count(False) <= 1 else (word,)

    def _generic_kind(self, q: Query, asked: str, topic: str) -> bool:
        """A question asking "how much" without saying of what takes its kind of figure from the words of its
        topic (补贴 → money, 假 → duration); False when they name none."""
        kind = next((k for k, words in self.generic_amount[2].items() if any(w in topic for w in words)), None)
        if kind:
            q.quantity, q.quantity_text = kind, asked
            q.needs_figure = kind in self.figure_required
            q.figure_words = self.figure_words.get(kind, ())
        return kind is not None

    @functools.cached_property
    def vocabulary(self) -> frozenset[str]:
        """The documents' terms the glossary and the policy term classes name (护理假, 育儿补贴); built once, since a
        follow-up's reading asks it for every word."""
        return frozenset(self.glossary.names) | frozenset(self.classes)

    def gloss(self, term: str) -> str:
        """English for a Chinese term, read as its class's first name (护理假 → 陪产假 → paternity leave)."""
        return self.glossary.english(self.classes.get(term, (term,))[0]) or self.glossary.english(term)

    def units_for(self, kind: str | None, asked: str = "") -> tuple[str, ...]:
        """The units that answer a kind of figure; "多少天" / "how many days" narrows a duration to days."""
        units = self.units.get(kind, ()) if kind else ()
        narrow = self.narrow.get(kind, {})
        picked = [u for word, us in narrow.items() if word in asked.lower() for u in us]
        return tuple(dict.fromkeys(picked)) if picked else units


_T2S = None


def _sentence_at(text: str, at: int) -> str:
    """The sentence of `text` holding position `at`: "是否还发放一次性生育补贴？金额是多少？" asks yes or no in its
    first sentence and for the amount in its second."""
    start = max(text.rfind(p, 0, at) for p in "？?。！!") + 1
    ends = [i for i in (text.find(p, at) for p in "？?。！!") if i >= 0]
    return text[start:min(ends) + 1 if ends else len(text)]


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (OpenCC's tables, opencc-python-reimplemented)."""
    global _T2S
    if not has_cjk(text):
        return text
    if _T2S is None:
        from opencc import OpenCC

        _T2S = OpenCC("t2s")
    return _T2S.convert(text)


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if "\u4e00" <= ch <= "\u9fff") / len(letters)
