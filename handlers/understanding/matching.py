"""Finding the customer a free-text note is about.

``CustomerIndex(records)`` is built once; ``index.match(text)`` reads a note (not just a name) and returns a
``Match``: the customer, or the candidates when the mention fits several equally well, or a new customer.

How it stays fast at 100k customers: every key a customer can be named by (name, aliases, company and its
core, pinyin forms, surname, first/last name, given name) is precomputed into hash maps. A note yields a
few hundred candidate spans (Latin token n-grams, CJK substrings at each position), each looked up in O(1).
rapidfuzz only scores small buckets (same first two letters, similar length) and only when no exact key hit.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from .names import (
    CJK_HONORIFICS,
    COMMON_SURNAME_SET,
    COMMON_WORD_NAMES,
    COMPOUND_SURNAMES,
    GIVEN_NAME_CHARS,
    LATIN_TITLES,
    NAME_END_CHARS,
    PERSON_SURNAME_SET,
    WORD_SUFFIX_CHARS,
    WORD_SUFFIX_EXCEPTIONS,
    HONORIFIC_BREAKERS,
    HONORIFIC_WORDS,
    WORDS_ENDING_IN_SURNAME,
    has_cjk,
    is_cjk,
    looks_like_cjk_person,
    name_pinyin,
    normalize_text,
    split_cjk_name,
)
from .reading import CustomerRecord

MAX_MATCH_CHARS = 1000  # only the head of a very long note is searched for the customer

# Kinds of evidence and their weight.
NAME, ALIAS, PINYIN, COMPANY, FUZZY, SURNAME, GIVEN, FIRST, LAST, COMPANY_WORD, COMPANY_SHORT = range(11)  # < 16: see _pair
STRENGTH = {NAME: 10, ALIAS: 10, PINYIN: 9, COMPANY: 8, FUZZY: 7, SURNAME: 5, GIVEN: 5, FIRST: 5, LAST: 5,
            COMPANY_WORD: 4, COMPANY_SHORT: 6}
FULL_KINDS = frozenset({NAME, ALIAS, PINYIN, COMPANY})
# how specific a kind of evidence is: a whole name / company (2) or a part of one shared by many (1)
_TIER = {NAME: 2, ALIAS: 2, PINYIN: 2, COMPANY: 2, FUZZY: 2, SURNAME: 1, GIVEN: 1, FIRST: 1, LAST: 1, COMPANY_WORD: 1,
         COMPANY_SHORT: 1}
MAX_CANDIDATES = 8
BIG = 64  # a hit naming more records than this is a common name: it needs corroboration
MAX_HITS = 48  # evidence kept per note (strongest first)
MAX_FUZZY_QUERIES = 40
FUZZY_HEAD_CHARS = 400

LATIN_COMPANY_SUFFIXES = frozenset(
    "co company corp corporation inc incorporated ltd limited llc plc gmbh ag sa srl bv group holdings intl "
    "international lp llp pte pty".split()
)
CJK_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "总公司", "分公司", "集团", "公司", "工作室")
CJK_REGIONS = tuple(
    "中国 北京 上海 天津 重庆 深圳 广州 杭州 苏州 南京 成都 武汉 西安 宁波 厦门 青岛 东莞 佛山 温州 无锡 义乌 长沙 郑州 "
    "济南 合肥 福州 昆明 大连 沈阳 哈尔滨 香港 台湾 台北 澳门 广东 浙江 江苏 山东 福建 四川 湖北 湖南 河南 河北".split()
)
_REGION_SET = frozenset(CJK_REGIONS)
CJK_INDUSTRY_WORDS = tuple(
    "贸易 科技 食品 物流 建材 医疗 广告 酒业 服饰 电子 药业 汽配 家电 软件 餐饮 机电 实业 商贸 网络 信息 文化 传媒 "
    "设计 咨询 工程 制造 机械 化工 纺织 服装 电器 材料 能源 环保 建筑 装饰 地产 置业 投资 控股 农业 生物 医药 器械 "
    "超市 商行 五金 塑胶 包装 印刷 家居 家具 灯饰 照明 进出口 国际 供应链 酒店 旅游 教育 汽车 运输 电气 自动化".split()
)
CJK_SHORT_FOLLOWERS = ("那边", "这边", "公司", "方面", "集团", "的人", "那里")
# 小X / 老X ("小李", "老王") unless the pair is an ordinary word.
XIAO_LAO_WORDS = frozenset("小于 小时 小米 小区 小姐 老师 老板 老公 老婆 小心 小孩 小学 老家 老实 小吃 小组 小说 老年 小额 小批".split())

NEW_MARKERS_CJK = ("新来的客户", "新的客户", "潜在客户", "意向客户", "新联系人", "新客户", "新来的", "新客人", "新客",
                   "认识了一位", "认识了一个", "认识一位", "认识一个", "结识了", "结识")
# "Met a Sarah at the fair": someone of that first name, not the Sarah we know
_NOT_A_NAME = frozenset("end beginning start middle rest most some all part head lots none many both each half top bottom "
                        "side back front week month year day today tonight".split())
_CALENDAR_WORDS = frozenset("january february march april may june july august september october november december jan feb mar "
                            "apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday "
                            "the this next last".split())
_SOMEONE_CALLED = re.compile(r"\b(?:a|an|another|one|some)\s+(?=[A-Z][a-z]+\b)")
NEW_MARKERS_LATIN = re.compile(
    r"\b(?:new\s+(?:lead|customer|client|contact|prospect|account)s?|prospect|potential\s+(?:customer|client)|lead)\b"
    r"\s*(?:[:,\-–—]\s*|\b(?:named|called|is)\s+)?",
)
_NEW_APPOSITIVE = re.compile(
    r"\b([A-Z][a-z]+(?:[ \-][A-Z][a-z'’\-]+){1,2}),\s+(?:(?:a|an|the|our|their)\s+)?"
    r"(?:new\s+(?:lead|buyer|customer|client|contact|prospect|purchaser|account)|"
    r"[A-Z][a-z]+['’]s\s+(?:brother|sister|colleague|friend|wife|husband|son|daughter|cousin|boss|partner|replacement|successor|assistant))\b")
CJK_NAME_STOP = frozenset("说来电打在要想问咨是的对和跟今明昨下上通发已希需表觉刚也都把给让从到去过了吗呢吧啊，,。.、（(：: ")

# words that never start or end a (typo'd) name: fuzzy matching skips n-grams with them at either end
FUNCTION_WORDS = frozenset(
    """a an the and or but if then to of in on at by for with from about into over after before as is are was were be been
    he she they we i you it his her their our my your him them us me this that these those there here not no yes ok
    called call calls calling emailed email met meet meeting visited visit wants want wanted said says asked sent send
    will would can could should must may might need needs please pls today tomorrow yesterday next last week month year
    monday tuesday wednesday thursday friday saturday sunday quote price list order deal contract invoice payment
    updated update new lead customer client back again no answer try days weeks interested bulk around proposal
    discount shipment delayed upset happy unhappy demo expo lunch dinner coffee signed lost won sample samples units
    follow up ping text message renewal budget deck forecast spoke talked""".split()
)
# verbs that follow a person who is the subject of a note ("Bill called", "Grace emailed the PO")
_SUBJECT_VERBS = frozenset(
    """called calls rang phoned emailed emails texted messaged wechatted whatsapped replied responded wrote said says
    asked asks wants wanted needs needed confirmed signed agreed declined complained paid ordered cancelled canceled
    visited came dropped stopped sent mentioned promised requested approved rejected accepted hasn't hasnt has is was will
    won't wont didn't didnt doesn't doesnt""".split()
)
_LATIN_TOKEN = re.compile(r"[a-z][a-z0-9]*|[0-9]+[a-z][a-z0-9]*")
_BREAK_GAP = re.compile(r"^[\s.&'’\-]*$")
_SENTENCE_BREAKS = set(".!?:;,，。！？：；\n()（）[]\"“”")

_t2s = None


def _get_t2s():
    global _t2s
    if _t2s is None:
        try:
            import opencc

            _t2s = opencc.OpenCC("t2s").convert
        except Exception:  # pragma: no cover - opencc missing: no Traditional support
            _t2s = False
    return _t2s or None


def _latin_tokens(s: str) -> list[str]:
    return _LATIN_TOKEN.findall(s)


def _cjk_company_cores(company: str) -> list[str]:
    out = [company]
    core = company
    for suf in CJK_COMPANY_SUFFIXES:
        if core.endswith(suf) and len(core) - len(suf) >= 2:
            core = core[: -len(suf)]
            out.append(core)
            break
    for rl in (2, 3):
        if core[:rl] in _REGION_SET and len(core) - rl >= 2:
            out.append(core[rl:])
            break
    return out


@dataclass
class Hit:
    start: int
    end: int
    rids: list[int]  # shared with the index: never modify
    kind: int
    strength: float


@dataclass
class Match:
    customer: CustomerRecord | None = None
    ambiguous: bool = False
    candidates: list[CustomerRecord] = field(default_factory=list)
    mention: str | None = None
    is_new: bool = False  # a person introduced as new: customer is None, mention is their name
    span: tuple[int, int] | None = None  # where the mention is in the note text
    kind: str | None = None  # what matched: name, alias, pinyin, company, fuzzy, surname, ...
    spans: list[tuple[int, int]] = field(default_factory=list)  # every place the chosen customer is named
    named: list[tuple[int, int]] = field(default_factory=list)  # every known name or company in the note, chosen or not


_LATIN_WORD = re.compile(r"[a-z][a-z&'\-]{3,}")


def _same_initials(toks: list[str], key: str) -> bool:
    """Each word of the note's name starts like the key's and is close to it (80 or more)."""
    from rapidfuzz import fuzz

    words = key.split()
    return len(words) == len(toks) and all(a[:1] == b[:1] and fuzz.ratio(a, b) >= 80 for a, b in zip(toks, words))


def _told_apart_by_company(n: str, m: Match) -> CustomerRecord | None:
    """The one candidate whose company the note names, even shortened to its first characters or word ("伟达" for
    伟达机械, "Shah" for Shah Textiles), outside the ambiguous mention; None unless exactly one does."""
    s0, e0 = m.span or (0, 0)
    rest = n[:s0] + " " * (e0 - s0) + n[e0:]
    keys: dict[int, set[str]] = {}
    for i, c in enumerate(m.candidates):
        company = normalize_text(c.company or "", _get_t2s()).strip()
        mine = set()
        cjk = "".join(ch for ch in company if is_cjk(ch))
        if len(cjk) >= 3:
            mine.update(cjk[:k] for k in range(2, len(cjk) + 1))
        w = _LATIN_WORD.match(company)
        if w:
            mine.add(w.group())
        keys[i] = mine
    names = " ".join(normalize_text(c.name, _get_t2s()) for c in m.candidates)
    keys = {i: {k for k in mine if k not in names} for i, mine in keys.items()}  # "Miller Logistics": Miller is a name
    found = []
    for i, mine in keys.items():
        others = set().union(*(v for j, v in keys.items() if j != i)) if len(keys) > 1 else set()
        hit = any(k not in others and (k in rest if is_cjk(k[0]) else re.search(rf"\b{re.escape(k)}\b", rest)) for k in mine)
        if hit:
            found.append(m.candidates[i])
    return found[0] if len(found) == 1 else None


KIND_NAMES = {NAME: "name", ALIAS: "alias", PINYIN: "pinyin", COMPANY: "company", FUZZY: "fuzzy", SURNAME: "surname",
              GIVEN: "given_name", FIRST: "first_name", LAST: "last_name", COMPANY_WORD: "company",
              COMPANY_SHORT: "company"}


_KINDS = len(STRENGTH)
_KIND_BITS = 4  # a (record, kind) pair is kept as one int, rid << 4 | kind: half the memory of a tuple, same order


def _pair(rid: int, kind: int) -> int:
    return rid << _KIND_BITS | kind


def _add(d: dict, key: str, value) -> None:
    """value after key's values (a tuple while it is the only one: most keys name one customer, and the index
    keeps tuples; a list once there are more)."""
    cur = d.get(key)
    if cur is None:
        d[key] = (value,)
    elif cur[-1] != value:  # a record adds its keys together: checking the last entry is enough
        if type(cur) is tuple:
            d[key] = [*cur, value]
        else:
            cur.append(value)


_NAME_ONLY = frozenset({NAME})


_TIME_WORD_AFTER = re.compile(r"清明|明天|明早|明晚|明年|明儿|今天|今早|今晚|后天|昨天|前天|上午|下午|中午|晚上|早上|下周|下个?月|下星期|"
                              r"本周|这周|周[一二三四五六日天末]|星期[一二三四五六日天]|中秋|端午|国庆|元旦|春节|元宵|五一|年前|年后|节前|节后|月底|刚才|刚刚")


def _inside_longer_word(n: str, i: int, j: int, p: int, q: int) -> bool:
    """Whether the CJK name n[p:q] (inside the CJK run n[i:j]) is only part of a longer word or name:
    "高峰期" is not 高峰, "王伟明说" is not 王伟, "最高峰" is not 高峰."""
    if p > i and n[p - 1] == "最":
        return True
    if q >= j:
        return False
    c = n[q]
    if any(n.startswith(h, q) for h in CJK_HONORIFICS):
        return False  # "李娜姐", "高峰总"
    if _TIME_WORD_AFTER.match(n, q):
        return False  # "刘洋清明后过来": a date follows the name, not more of it
    if c in WORD_SUFFIX_CHARS and n[q: q + 2] not in WORD_SUFFIX_EXCEPTIONS:
        return True
    if q - p == 2 and c in GIVEN_NAME_CHARS:
        r = q + 1
        return r >= j or n[r] in NAME_END_CHARS or any(n.startswith(h, r) for h in CJK_HONORIFICS)
    return False


# rare surnames that are far more often a conjunction before a name: "何嘉欣和田中" is 田中, not 和田中
_CONJUNCTION_SURNAMES = frozenset("和")


class _Keys:
    """Where the keys of some records are collected (the index itself, or one record's keys for add/remove)."""

    def __init__(self) -> None:
        self.full: dict[str, list[int]] = {}  # key -> [_pair(rid, kind)]
        self.latin_part: dict[str, list[int]] = {}  # single token -> [_pair(rid, kind)]
        self.cjk_surname: dict[str, list[int]] = {}
        self.cjk_given: dict[str, list[int]] = {}
        self.cjk_given1: dict[str, list[int]] = {}  # one-character given names: 芳姐, 阿芳 (林芳)
        self.cjk_short: dict[str, list[int]] = {}
        self.fuzzy: dict[tuple[str, int], list[tuple[str, int]]] = {}  # (first 2 chars, len) -> [(spaced key, rid)]
        self.max_cjk_key = 4

    # ---- building (the whole index, or one record's keys for add/remove) -------------------------------------
    def _add_latin_full(self, rid: int, text: str, kind: int) -> None:
        toks = _latin_tokens(text)
        if not toks:
            return
        _add(self.full, "".join(toks), _pair(rid, kind))
        spaced = " ".join(toks)
        if len(spaced) >= 5:
            _add(self.fuzzy, (spaced[:2], len(spaced)), (spaced, rid))

    def _add_cjk_full(self, rid: int, text: str, kind: int) -> None:
        key = "".join(text.split())  # (every whitespace character out, as str.isspace says)
        if len(key) >= 2:
            _add(self.full, key, _pair(rid, kind))
            if len(key) > self.max_cjk_key:
                self.max_cjk_key = min(len(key), 16)

    def _index(self, rid: int, rec: CustomerRecord, t2s) -> None:
        name_cjk = self._index_name(rid, rec.name, t2s)
        for alias in rec.aliases or ():
            self._index_alias(rid, alias, name_cjk, t2s)
        if rec.company:
            self._index_company(rid, rec.company, t2s)

    def _index_name(self, rid: int, raw_name, t2s) -> bool:
        """A record's name; whether it has CJK (how its Latin aliases are read)."""
        name = normalize_text((raw_name or "").strip(), t2s)
        if has_cjk(name):
            compact = "".join(name.split())
            if compact == raw_name and type(raw_name) is str:
                compact = raw_name  # the key is the record's own string (most names need no normalising)
            self._add_cjk_full(rid, compact, NAME)
            if looks_like_cjk_person(compact):
                sur, given = split_cjk_name(compact)
                _add(self.cjk_surname, sur, rid)
                if len(given) >= 2:
                    _add(self.cjk_given, given, rid)
                elif len(given) == 1:
                    _add(self.cjk_given1, given, rid)
                if len(compact) == 4 and compact[:2] not in COMPOUND_SURNAMES:
                    # a Japanese name, family name first: 田中健太 is 田中さん / 健太 (not 田 + 中健太)
                    _add(self.cjk_given, compact[:2], rid)
                    _add(self.cjk_given, compact[2:], rid)
                syl = name_pinyin(compact)
                if len(syl) >= 2:
                    ns = len(sur)
                    s_py, g_py = "".join(syl[:ns]), "".join(syl[ns:])
                    _add(self.full, s_py + g_py, _pair(rid, PINYIN))
                    _add(self.full, g_py + s_py, _pair(rid, PINYIN))
                    spaced = " ".join([s_py, *syl[ns:]])
                    _add(self.fuzzy, (spaced[:2], len(spaced)), (spaced, rid))
                    _add(self.latin_part, s_py, _pair(rid, LAST))
                    if len(given) >= 2:
                        _add(self.latin_part, g_py, _pair(rid, FIRST))
            # a Latin part, e.g. "王伟 David Wang"
            if _latin_tokens(name):
                self._index_latin_person(rid, name)
            return True
        self._index_latin_person(rid, name)
        return False

    def _index_alias(self, rid: int, alias, name_cjk: bool, t2s) -> None:
        a = normalize_text(str(alias).strip(), t2s)
        if not a:
            return
        if has_cjk(a):
            self._add_cjk_full(rid, a, ALIAS)
        else:
            self._add_latin_full(rid, a, ALIAS)
            toks = _latin_tokens(a)
            if name_cjk and 2 <= len(toks) <= 3 and not any(t in LATIN_COMPANY_SUFFIXES for t in toks):
                self._index_latin_person(rid, a)  # 佐藤美咲 "Misaki Sato": Misaki, Ms Sato

    def _index_company(self, rid: int, company, t2s) -> None:
        comp = normalize_text(company.strip(), t2s)
        if comp == company and type(company) is str:
            comp = company  # its keys share the record's string
        if has_cjk(comp):
            for core in _cjk_company_cores("".join(comp.split())):
                self._add_cjk_full(rid, core, COMPANY)
            core = _cjk_company_cores("".join(comp.split()))[-1]
            for ind in CJK_INDUSTRY_WORDS:
                if core.endswith(ind) and len(core) - len(ind) >= 2:
                    _add(self.cjk_short, core[: -len(ind)], rid)
                    break
        else:
            toks = _latin_tokens(comp)
            if toks:
                self._add_latin_full(rid, comp, COMPANY)
                core = list(toks)
                while len(core) > 1 and core[-1] in LATIN_COMPANY_SUFFIXES:
                    core.pop()  # each shorter form is a name too: "Tan Holdings" of "Tan Holdings Pte Ltd"
                    self._add_latin_full(rid, " ".join(core), COMPANY)
                if len(core) >= 2 and len(core[0]) >= 4 and core[0] not in COMMON_WORD_NAMES \
                        and core[0] not in DATE_WORDS:  # "Friday" of Friday Fresh Foods is mostly a day
                    _add(self.latin_part, core[0], _pair(rid, COMPANY_WORD))
                for k in range(2, len(core)):  # "Pacific Rim" of "Pacific Rim Imports"
                    if all(w in DATE_WORDS or w in FESTIVAL_WORDS for w in core[:k]):
                        continue  # "New Year" of New Year Printing is mostly the holiday ("Happy New Year!")
                    _add(self.full, "".join(core[:k]), _pair(rid, COMPANY_SHORT))

    def _index_latin_person(self, rid: int, name: str) -> None:
        toks = [t for t in _latin_tokens(name) if t not in LATIN_TITLES]
        if not toks:
            return
        self._add_latin_full(rid, " ".join(toks), NAME)
        if len(toks) >= 2:
            if len(toks) > 2:
                self._add_latin_full(rid, toks[0] + " " + toks[-1], NAME)
            _add(self.full, toks[-1] + toks[0], _pair(rid, NAME))  # "Smith Bob" / "Wang Wei" order
            _add(self.latin_part, toks[0], _pair(rid, FIRST))
            _add(self.latin_part, toks[-1], _pair(rid, LAST))


_KEY_DICTS = ("full", "latin_part", "cjk_surname", "cjk_given", "cjk_given1", "cjk_short")
_RID_DICTS = ("cjk_surname", "cjk_given", "cjk_given1", "cjk_short")  # values: rids (full's and latin_part's: pairs)


class CustomerIndex(_Keys):
    """All the keys of a team's customers. Built once; ``add`` / ``remove`` / ``update`` change one record cheaply.

    Not safe to mutate from one thread while another matches (the conversation runs on one event loop).
    """

    def __init__(self, records: list[CustomerRecord]):
        super().__init__()
        self.records: list[CustomerRecord | None] = list(records)  # by rid; None once removed
        self._rid_of: dict = {}  # customer id -> rid
        self._build(_get_t2s())
        self._fuzzy_lists = {}
        for k, v in self.fuzzy.items():
            uniq: dict[str, list[int]] = {}
            for key, rid in v:
                uniq.setdefault(key, []).append(rid)
            self._fuzzy_lists[k] = (tuple(uniq), tuple(map(tuple, uniq.values())))
        self.fuzzy = {}
        # tuples of ints are not tracked by the cyclic GC: 100k customers then add nothing to each collection
        for name in _KEY_DICTS:
            d = getattr(self, name)
            for k, v in d.items():
                if type(v) is list:  # (a key of one customer has its tuple already)
                    d[k] = tuple(v)
        self._split_cache: dict[int, tuple] = {}
        self._big_sets: dict[int, tuple] = {}

    def _build(self, t2s) -> None:
        """Every record's keys, exactly as ``_index`` adds them record after record (the same lists, in the same
        order), with a name or a company that several records share worked out once (``_template``) and stamped
        with each of their rids. At 100k customers over half the names and most companies are shared, and the
        build spent most of its time normalising, reading pinyin and making keys again for them. A template is
        dropped after its last record (the build holds only those still to come); a part seen once, and every
        alias, is indexed directly."""
        records = self.records
        rid_of = self._rid_of
        try:
            names_left = Counter(rec.name for rec in records)
        except Exception:  # an unhashable name: every name indexed directly
            names_left = Counter()
        try:
            companies_left = Counter(rec.company for rec in records)
        except Exception:
            companies_left = Counter()
        name_templates: dict = {}  # name -> template, while records with that name are still to come
        company_templates: dict = {}
        max_cjk_key = self.max_cjk_key
        fuzzy = self.fuzzy
        for rid, rec in enumerate(records):
            if rec.id is not None:
                rid_of[rec.id] = rid
            try:
                pairs: list | None = None
                first = True
                for part in (0, 2):
                    if part == 0:
                        value = rec.name
                        left, templates = names_left, name_templates
                    else:
                        value = rec.company
                        if not value:
                            break
                        left, templates = companies_left, company_templates
                    n = left.get(value, 0) if left else 0  # records still to come with it, this one included
                    template = templates.get(value) if n else None
                    if template is None and n <= 1:  # the only one: straight in, as _index does
                        if part == 0:
                            name_cjk = self._index_name(rid, value, t2s)
                            first = False
                            for alias in rec.aliases or ():
                                self._index_alias(rid, alias, name_cjk, t2s)
                        else:
                            self._index_company(rid, value, t2s)
                        continue
                    if template is None:
                        template = templates[value] = self._template(part, value, False, t2s)
                    if n == 1:
                        del templates[value]  # its last record
                    left[value] = n - 1
                    pair_ops, rid_ops, fuzzy_ops, failed, name_cjk, longest = template
                    if longest > max_cjk_key:
                        max_cjk_key = longest
                    # a record's first part comes after other records' values only; a later part may repeat the
                    # value an earlier one added last to the same key (_add's check)
                    if pairs is None:
                        pairs = [None] * _KINDS  # this record's (rid, kind) ints, made once each and shared by its keys
                    base = rid << _KIND_BITS
                    ops = iter(pair_ops)
                    for d, key, kind in zip(ops, ops, ops):  # as _add
                        v = pairs[kind]
                        if v is None:
                            v = pairs[kind] = base | kind
                        cur = d.get(key)
                        if cur is None:
                            d[key] = (v,)
                        elif first or cur[-1] != v:
                            if type(cur) is tuple:
                                d[key] = [*cur, v]
                            else:
                                cur.append(v)
                    ops = iter(rid_ops)
                    for d, key in zip(ops, ops):
                        cur = d.get(key)
                        if cur is None:
                            d[key] = (rid,)
                        elif first or cur[-1] != rid:
                            if type(cur) is tuple:
                                d[key] = [*cur, rid]
                            else:
                                cur.append(rid)
                    ops = iter(fuzzy_ops)
                    for bucket, spaced in zip(ops, ops):
                        entry = (spaced, rid)
                        cur = fuzzy.get(bucket)
                        if cur is None:
                            fuzzy[bucket] = (entry,)
                        elif first or cur[-1] != entry:
                            if type(cur) is tuple:
                                fuzzy[bucket] = [*cur, entry]
                            else:
                                cur.append(entry)
                    if failed:
                        break  # _index stops at the part that raised
                    first = False
                    if part == 0:
                        for alias in rec.aliases or ():
                            self._index_alias(rid, alias, name_cjk, t2s)
            except Exception:
                continue
        self.max_cjk_key = max(max_cjk_key, self.max_cjk_key)

    def _template(self, part: int, arg, name_cjk: bool, t2s) -> tuple:
        """One part of a record (0: its name, 1: an alias, 2: its company) indexed as rid 0, as ops to repeat for
        each record with that part, each kind of op flat in one tuple (a template is held until its last record):
        (dict, key, kind) for the (rid, kind) pairs, (dict, key) for the rids, (bucket, key) for the fuzzy entries;
        then whether it raised, whether the name has CJK, the longest CJK key bound. Each key's values stay in the
        order _index added them (values of different keys never meet)."""
        keys = _Keys()
        failed = cjk = False
        try:
            if part == 0:
                cjk = keys._index_name(0, arg, t2s)
            elif part == 1:
                keys._index_alias(0, arg, name_cjk, t2s)
            else:
                keys._index_company(0, arg, t2s)
        except Exception:
            failed = True
        pair_ops: list = []
        for mine, d in ((self.full, keys.full), (self.latin_part, keys.latin_part)):
            for key, kinds in d.items():
                for kind in kinds:  # _pair(0, kind) == kind
                    pair_ops += (mine, key, kind)
        rid_ops: list = []
        for name in _RID_DICTS:
            d = getattr(keys, name)
            if d:
                mine = getattr(self, name)
                for key, zeros in d.items():
                    for _ in zeros:
                        rid_ops += (mine, key)
        fuzzy_ops: list = []
        for bucket, entries in keys.fuzzy.items():
            for spaced, _rid in entries:
                fuzzy_ops += (bucket, spaced)
        return tuple(pair_ops), tuple(rid_ops), tuple(fuzzy_ops), failed, cjk, keys.max_cjk_key

    def __len__(self) -> int:
        return len(self._rid_of) + sum(1 for r in self.records if r is not None and r.id is None)

    # ---- incremental changes --------------------------------------------------------------------------------
    def add(self, record: CustomerRecord) -> None:
        """Index one more customer (a customer with the same id is replaced)."""
        if record.id is not None and record.id in self._rid_of:
            self.remove(record.id)
        rid = len(self.records)
        keys = self._keys_of(rid, record)
        self.records.append(record)
        if record.id is not None:
            self._rid_of[record.id] = rid
        for name in _KEY_DICTS:
            d = getattr(self, name)
            for k, vals in getattr(keys, name).items():
                old = d.get(k)
                self._forget(old)
                d[k] = tuple(vals) if old is None else old + tuple(vals)  # a new rid is the largest: order kept
        for bk, entries in keys.fuzzy.items():
            ks, rl = self._fuzzy_lists.get(bk, ((), ()))
            ks, rl = list(ks), list(rl)
            for key, r in entries:
                if key in ks:
                    i = ks.index(key)
                    rl[i] = rl[i] + (r,)
                else:
                    ks.append(key)
                    rl.append((r,))
            self._fuzzy_lists[bk] = (tuple(ks), tuple(rl))
        self.max_cjk_key = max(self.max_cjk_key, keys.max_cjk_key)

    def remove(self, customer_id) -> bool:
        """Forget a customer by id; False when it was not indexed."""
        rid = self._rid_of.pop(customer_id, None)
        if rid is None:
            return False
        record = self.records[rid]
        self.records[rid] = None
        keys = self._keys_of(rid, record)
        for name in _KEY_DICTS:
            d = getattr(self, name)
            pairs = name in ("full", "latin_part")
            for k in getattr(keys, name):
                old = d.get(k)
                if old is None:
                    continue
                self._forget(old)
                # entries are in rid order (built in order, added at the end): cut out this rid's run
                lo = bisect_left(old, _pair(rid, 0) if pairs else rid)
                hi = bisect_left(old, _pair(rid + 1, 0) if pairs else rid + 1, lo)
                new = old[:lo] + old[hi:]
                if new:
                    d[k] = new
                else:
                    del d[k]
        for bk, entries in keys.fuzzy.items():
            bucket = self._fuzzy_lists.get(bk)
            if not bucket:
                continue
            ks, rl = list(bucket[0]), list(bucket[1])
            for key, _r in entries:
                if key not in ks:
                    continue
                i = ks.index(key)
                rids = tuple(r for r in rl[i] if r != rid)
                if rids:
                    rl[i] = rids
                else:
                    del ks[i], rl[i]
            if ks:
                self._fuzzy_lists[bk] = (tuple(ks), tuple(rl))
            else:
                del self._fuzzy_lists[bk]
        return True

    def update(self, record: CustomerRecord) -> None:
        """A customer's name, company, aliases or owner changed: re-index only that record."""
        self.add(record)  # add replaces a record with the same id

    def get(self, customer_id) -> CustomerRecord | None:
        rid = self._rid_of.get(customer_id)
        return None if rid is None else self.records[rid]

    def _keys_of(self, rid: int, record: CustomerRecord) -> _Keys:
        keys = _Keys()
        try:
            keys._index(rid, record, _get_t2s())
        except Exception:
            pass
        return keys

    def _forget(self, vals) -> None:
        """Drop what the caches hold for a key list that is about to be replaced."""
        if vals is None:
            return
        by_kind = self._split_cache.pop(id(vals), None)
        if by_kind is not None:
            for _k, rids in by_kind[1]:
                self._big_sets.pop(id(rids), None)
        self._big_sets.pop(id(vals), None)

    # ---- matching -------------------------------------------------------------------------------------------
    def match(self, text: str, prefer=None) -> Match:
        """The customer ``text`` is about.

        ``prefer``: the customers the author may see or owns, as a set of customer ids (fast) or a predicate
        on ``CustomerRecord``. The customer and the ambiguity are decided among them first; the whole index
        counts when none of them fits, or when only a weaker kind of evidence fits them than fits someone
        else (a full name of another rep's customer beats a bare surname of one's own).
        """
        try:
            return self._match(text if isinstance(text, str) else str(text), prefer)
        except Exception:  # never let a strange note break the parser
            return Match()

    def _match(self, text: str, prefer=None) -> Match:
        orig = text[:MAX_MATCH_CHARS]
        n = normalize_text(orig, _get_t2s())
        hits: list[Hit] = []
        latin_ngrams = self._latin_hits(orig, n, hits)
        self._cjk_hits(n, hits)
        if not any(h.kind in FULL_KINDS for h in hits):
            self._fuzzy_hits(latin_ngrams, hits)
        new = self._new_customer(orig, n, hits)
        if new is not None:
            return new
        m = self._resolve(orig, hits, prefer)
        if m.ambiguous and m.candidates:
            pick = _told_apart_by_company(n, m)
            if pick is not None:  # "伟达 张总", "zhangwei (伟达)": the company word names one of them
                m = Match(customer=pick, mention=m.mention, span=m.span, kind=m.kind, spans=[m.span] if m.span else [])
        m.named = [(h.start, h.end) for h in hits if h.kind in (NAME, ALIAS, COMPANY)]  # "6:30 Bakery": no clock
        return m

    def _latin_hits(self, orig: str, n: str, hits: list[Hit]):
        toks = [(m.start(), m.end(), m.group()) for m in _LATIN_TOKEN.finditer(n)]
        if not toks:
            return []
        # where token i starts a new phrase (punctuation or CJK in between)
        joined = [True] * len(toks)
        for i in range(1, len(toks)):
            joined[i] = bool(_BREAK_GAP.match(n[toks[i - 1][1]: toks[i][0]]))
        ngrams = []
        full = self.full
        for i in range(len(toks)):
            s0 = toks[i][0]
            key = ""
            for L in range(1, 5):
                j = i + L - 1
                if j >= len(toks) or (L > 1 and not joined[j]):
                    break
                key += toks[j][2]
                e = toks[j][1]
                ok = self._latin_ok(orig, toks, i, j)
                ngrams.append((s0, e, i, j, ok))
                vals = full.get(key)
                if vals and ok:
                    self._push(hits, s0, e, vals)
            tok = toks[i][2]
            vals = self.latin_part.get(tok)
            if vals is None and len(tok) > 4 and tok[-1] == "s" and tok[-2] != "s" and not full.get(tok):
                # a possessive without its apostrophe: "Annas order", "Kowalskis invoice"
                vals = self.latin_part.get(tok[:-1]) or full.get(tok[:-1])
            if vals and self._latin_ok(orig, toks, i, i, strict=True):
                self._push(hits, s0, toks[i][1], vals)
        return [(s, e, n[s:e]) for s, e, i, j, ok in ngrams if ok]

    @staticmethod
    def _latin_ok(orig: str, toks, i: int, j: int, strict: bool = False) -> bool:
        """Whether tokens i..j can be a name: not plain common words, unless capitalised mid-sentence or titled."""
        words = [toks[k][2] for k in range(i, j + 1)]
        if j > i and not strict and not any(w in FUNCTION_WORDS for w in words):
            return True  # a whole name of two words, even lower case ("june park wholesale - order …")
        if not all(w in COMMON_WORD_NAMES for w in words):
            if not strict:
                return True
            if words[0] not in COMMON_WORD_NAMES:
                return True
        if i > 0 and toks[i - 1][2] in LATIN_TITLES:
            return True
        # capitalised and not at a sentence start
        first = orig[toks[i][0]: toks[i][0] + 1]
        if not first.isupper():
            return False
        k = toks[i][0] - 1
        while k >= 0 and orig[k] == " ":
            k -= 1
        if k < 0 or orig[k] in _SENTENCE_BREAKS:
            # at a sentence start only as the subject of a contact: "Bill called", "Rose: wants samples"
            if j + 1 < len(toks):
                gap = orig[toks[j][1]: toks[j + 1][0]]
                if gap.strip() in ("", ":", "-", "—") and toks[j + 1][2] in _SUBJECT_VERBS:
                    return True
            return False
        return True

    def _push(self, hits, s, e, vals, skip=None):
        by_kind = self._split_cache.get(id(vals))
        if by_kind is None or by_kind[0] is not vals:
            groups: dict[int, list[int]] = {}
            mask = (1 << _KIND_BITS) - 1
            for pair in vals:
                groups.setdefault(pair & mask, []).append(pair >> _KIND_BITS)
            by_kind = (vals, [(k, list(dict.fromkeys(r))) for k, r in groups.items()])
            if len(self._split_cache) < 200000:
                self._split_cache[id(vals)] = by_kind
        for kind, rids in by_kind[1]:
            if skip is not None and kind in skip:
                continue
            hits.append(Hit(s, e, rids, kind, STRENGTH[kind]))

    def _cjk_hits(self, n: str, hits: list[Hit]) -> None:
        full, sur_d, given_d, short_d = self.full, self.cjk_surname, self.cjk_given, self.cjk_short
        maxk = self.max_cjk_key
        L_n = len(n)
        i = 0
        while i < L_n:
            if not is_cjk(n[i]):
                i += 1
                continue
            j = i
            while j < L_n and is_cjk(n[j]):
                j += 1
            # run n[i:j]
            for p in range(i, j):
                for L in range(2, min(maxk, j - p) + 1):
                    sub = n[p: p + L]
                    vals = full.get(sub)
                    if vals:
                        skip = _NAME_ONLY if L <= 3 and _inside_longer_word(n, i, j, p, p + L) else None
                        self._push(hits, p, p + L, vals, skip)
                    if L <= 3:
                        g = given_d.get(sub)
                        if g and not (p > i and n[p - 1] in COMMON_SURNAME_SET and n[p - 1] not in _CONJUNCTION_SURNAMES):
                            hits.append(Hit(p, p + L, g, GIVEN, STRENGTH[GIVEN]))
                    if L <= 6:
                        sh = short_d.get(sub)
                        if sh and (n.startswith(CJK_SHORT_FOLLOWERS, p + L) or self._person_after(n, p + L)
                                   or _FROM_BEFORE.search(n, max(0, p - 6), p)):  # "Ray from 明达"
                            hits.append(Hit(p, p + L, sh, COMPANY_SHORT, STRENGTH[COMPANY_SHORT]))
                # a one-character given name as a nickname: 芳姐, 芳哥, 阿芳 (not a surname: 王姐 is Wang)
                g1 = self.cjk_given1.get(n[p])
                if g1 and n[p] not in sur_d and (n.startswith(("姐", "哥"), p + 1) or (p > i and n[p - 1] == "阿")):
                    a = p - 1 if n.startswith("阿", p - 1) and p > i else p
                    hits.append(Hit(a, p + 1 + (n[p + 1:p + 2] in "姐哥"), g1, GIVEN, STRENGTH[GIVEN]))
                # surname + honorific, 老X / 小X
                for sl in (2, 1):
                    sur = n[p: p + sl]
                    if len(sur) < sl or (sl == 2 and sur not in COMPOUND_SURNAMES):
                        continue
                    rids = sur_d.get(sur)
                    if not rids:
                        continue
                    q = p + sl
                    hon = next((h for h in CJK_HONORIFICS if n.startswith(h, q)), None)
                    if hon is not None:
                        br = HONORIFIC_BREAKERS.get(hon)
                        if br and q + 1 < L_n and n[q + 1] in br:
                            hon = None
                        elif p > i and n[p - 1: p + 1] in WORDS_ENDING_IN_SURNAME:
                            hon = None
                        elif len(hon) == 1 and n[p: q + 1] in HONORIFIC_WORDS:
                            hon = None
                    if hon is not None:
                        hits.append(Hit(p, q + len(hon), rids, SURNAME, STRENGTH[SURNAME]))
                    elif sl == 1 and p > i and n[p - 1] in "老小" and sur in PERSON_SURNAME_SET and \
                            n[p - 1: p + 1] not in XIAO_LAO_WORDS and not (p - 2 >= i and n[p - 2] in "大从最较"):
                        hits.append(Hit(p - 1, q, rids, SURNAME, STRENGTH[SURNAME]))
                    break
            self._homophone_hits(n, i, j, hits)
            i = j

    def _person_after(self, n: str, q: int) -> bool:
        """"穗丰陈总": a company's short name right before a surname and an honorific names that company's person."""
        if q >= len(n) or n[q] not in self.cjk_surname:
            return False
        return any(n.startswith(h, q + 1) for h in CJK_HONORIFICS)

    def _homophone_hits(self, n: str, i: int, j: int, hits: list[Hit]) -> None:
        """张玮 for 张伟: a name written with other characters of the same pinyin (a loose match, flagged)."""
        if any(h.start < j and i < h.end and h.kind in FULL_KINDS for h in hits):
            return
        for p in range(i, j - 1):
            if n[p] not in PERSON_SURNAME_SET:
                continue
            for L in (3, 2):
                if p + L > j or _inside_longer_word(n, i, j, p, p + L):
                    continue
                vals = self.full.get("".join(name_pinyin(n[p:p + L])))
                if not vals:
                    continue
                mask = (1 << _KIND_BITS) - 1
                rids = list(dict.fromkeys(v >> _KIND_BITS for v in vals if v & mask == PINYIN))
                if rids:
                    hits.append(Hit(p, p + L, rids, FUZZY, STRENGTH[FUZZY]))
                    return

    def _fuzzy_hits(self, ngrams, hits: list[Hit]) -> None:
        if not self._fuzzy_lists:
            return
        fuzz = process = None  # rapidfuzz is imported at the first bucket to score (~0.2 s off a CJK note's cold start)
        seen = set()
        for s, e, raw in ngrams:
            if s > FUZZY_HEAD_CHARS or len(seen) >= MAX_FUZZY_QUERIES:
                break
            toks = _latin_tokens(raw)
            if toks[0] in FUNCTION_WORDS or toks[-1] in FUNCTION_WORDS:
                continue
            q = " ".join(toks)
            if q in seen or len(q) < 5:  # a 5-letter word scores 90 only against a 6-letter key: one letter dropped
                continue
            seen.add(q)
            cut = 88 if len(q) >= 8 else 90
            two = len(toks) == 2 and len(q) >= 10  # "Hannh Wiess": a slip in each word, each word still starting right
            best: dict[int, float] = {}
            for ln in range(len(q) - 2, len(q) + 3):
                bucket = self._fuzzy_lists.get((q[:2], ln))
                if not bucket:
                    continue
                keys, rid_lists = bucket
                if process is None:
                    from rapidfuzz import fuzz, process
                for k, score, idx in process.extract(q, keys, scorer=fuzz.ratio, score_cutoff=85 if two else cut, limit=10):
                    if score < cut and not _same_initials(toks, k):
                        continue
                    for rid in rid_lists[idx]:
                        if score > best.get(rid, 0):
                            best[rid] = score
            if best:
                top = max(best.values())
                rids = [r for r, sc in best.items() if sc >= top - 1.0]
                hits.append(Hit(s, e, rids, FUZZY, STRENGTH[FUZZY] + (top - 88) / 12))

    # ---- new customers --------------------------------------------------------------------------------------
    def _new_customer(self, orig: str, n: str, hits: list[Hit]) -> Match | None:
        span = None
        for marker in NEW_MARKERS_CJK:
            k = n.find(marker)
            if k < 0:
                continue
            q = k + len(marker)
            while q < len(n) and n[q] in "：:，, 、-叫是姓":
                q += 1
            span = self._cjk_name_at(n, q)
            if span is None and q < len(n) and n[q].isascii() and n[q].isalpha():
                span = self._latin_name_at(orig, q)  # 认识一位Emma
            if span is None:
                # "钱多多是新客户"
                b = k
                if n[max(0, b - 1): b] == "是":
                    b -= 1
                a = b
                while a > 0 and is_cjk(n[a - 1]) and b - a < 4:
                    a -= 1
                for a2 in range(a, b - 1):
                    if n[a2] in COMMON_SURNAME_SET and b - a2 >= 2:
                        span = (a2, b)
                        break
            if span:
                break
        if span is None:  # "Chen Hao, a new lead Mandy referred", "Jorge Delgado, Rosa's brother, new buyer at …"
            m = _NEW_APPOSITIVE.search(orig)
            if m:
                span = m.span(1)
        if span is None:
            m = NEW_MARKERS_LATIN.search(n)
            if m:
                span = self._latin_name_at(orig, m.end())
        if span is None:
            span = self._from_unknown_company(orig, n, hits)
        if span is None:
            for m in _SOMEONE_CALLED.finditer(orig):
                word = re.match(r"[A-Z][a-z]+", orig[m.end():]).group()
                if word.lower() in self.latin_part and word.lower() not in COMMON_WORD_NAMES:
                    span = self._latin_name_at(orig, m.end())
                    break
        if span is None:
            return None
        s, e = span
        # the full name is known: it is that customer, not a new one
        if any(h.kind in (NAME, ALIAS, PINYIN) and h.start < e and s < h.end for h in hits):
            return None
        return Match(mention=orig[s:e], is_new=True, span=(s, e), kind="new")

    @staticmethod
    def _cjk_name_at(n: str, q: int):
        if q >= len(n):
            return None
        sl = 2 if n[q: q + 2] in COMPOUND_SURNAMES else 1
        if sl == 1 and n[q] not in COMMON_SURNAME_SET:
            return None
        for hon in CJK_HONORIFICS:
            if n.startswith(hon, q + sl):
                return q, q + sl + len(hon)
        e = q + sl
        while e < len(n) and e - q < sl + 2 and is_cjk(n[e]) and n[e] not in CJK_NAME_STOP:
            e += 1
        return (q, e) if e - q >= 2 else None

    @staticmethod
    def _latin_name_at(orig: str, q: int):
        toks = []
        for m in re.finditer(r"[A-Za-z][A-Za-z'’\-]*|\S", orig[q: q + 80]):
            w = m.group()
            if not w[0].isalpha() or not w[0].isupper():
                break
            if w.lower() in LATIN_TITLES or w.rstrip(".").lower() in LATIN_TITLES:
                toks.append((q + m.start(), q + m.end()))
                continue
            if w.lower() in COMMON_WORD_NAMES - {"will", "mark", "may", "grace", "rose", "frank", "ray"}:
                break
            toks.append((q + m.start(), q + m.end()))
            if len(toks) >= 3:
                break
        if not toks:
            return None
        return toks[0][0], toks[-1][1]

    def _from_unknown_company(self, orig: str, n: str, hits: list[Hit]):
        # "Tom from Umbrella Corp" where Umbrella Corp is no known company
        for m in re.finditer(r"\b([A-Z][a-z'’\-]+(?:\s+[A-Z][a-z'’\-]+){0,2})\s+(?:from|of|at)\s+([A-Z][\w&'’\-]*(?:\s+[A-Z][\w&'’\-.]*){0,3})", orig):
            name_s, name_e = m.span(1)
            comp_s, comp_e = m.span(2)
            words = m.group(1).split()
            if all(w.lower() in COMMON_WORD_NAMES or w.lower() in LATIN_TITLES for w in words):
                continue
            if any(h.start < comp_e and comp_s < h.end for h in hits):
                continue  # the company is known
            if words[0].lower() in ("met", "called", "call", "visited", "lunch", "meeting", "email", "emailed", "fwd", "fw", "forwarded",
                                    "note", "notes", "msg", "message", "text", "reply", "update", "news", "word", "feedback", "quote"):
                continue  # "Fwd from WhatsApp — Priya: …": a heading, not a person from a company
            if words[0].lower() in _NOT_A_NAME or m.group(2).split()[0].lower() in _CALENDAR_WORDS:
                continue  # "End of April and Ahmed…", "Rest of the team", "someone at Monday's…"
            return name_s, name_e
        # "好运来超市的王经理" with an unknown company
        for m in _unknown_company_re().finditer(n):
            cs, ce = m.span(1)
            if any(h.start < ce and cs < h.end for h in hits):
                continue
            span = self._cjk_name_at(n, m.end())
            if span:
                return span
        return None

    # ---- choosing -------------------------------------------------------------------------------------------
    def _resolve(self, orig: str, hits: list[Hit], prefer=None) -> Match:
        if not hits:
            return Match()
        hits = _weigh_roles(orig, [h for h in hits if not self._someone_else(orig, h)])
        # the same key found again further on is the same evidence ("王总…王总")
        seen, uniq = set(), []
        for h in sorted(hits, key=lambda h: (-h.strength, h.start, h.start - h.end)):
            sig = (h.kind, tuple(h.rids) if len(h.rids) <= 8 else id(h.rids))
            if sig in seen:
                continue
            seen.add(sig)
            uniq.append(h)
        hits = uniq[:MAX_HITS]
        if prefer is not None:
            mine = self._preferred_hits(hits, prefer)
            if mine and max(_TIER[h.kind] for h in mine) >= max(_TIER[h.kind] for h in hits):
                m = self._choose(orig, mine, owned=False)
                if m.customer is not None or m.ambiguous:
                    return m
        return self._choose(orig, hits)

    def _someone_else(self, orig: str, h: Hit) -> bool:
        """"Jorge Delgado" when we know Rosa Delgado, "Tom Baker" when we know Tom Hughes: a first or last name
        of ours next to a capitalised name we do not know is another person."""
        if h.kind in (LAST, COMPANY_WORD):
            m = re.search(r"([A-Z][a-z'’-]+)\s+$", orig[max(0, h.start - 20):h.start])
        elif h.kind == FIRST:
            m = re.match(r"\s+([A-Z][a-z'’-]+)", orig[h.end:h.end + 20])
        else:
            return False
        if m is None:
            return False
        word = m.group(1).lower()
        return (word not in self.latin_part and word not in LATIN_TITLES and word not in COMMON_WORD_NAMES
                and word not in FUNCTION_WORDS and len(word) >= 3)

    def _preferred_hits(self, hits: list[Hit], prefer) -> list[Hit]:
        records = self.records
        if callable(prefer):
            def keep(rids):
                return [r for r in rids if prefer(records[r])]
        else:
            ids = prefer if isinstance(prefer, (set, frozenset, dict)) else set(prefer)
            pref_rids = None

            def keep(rids):
                nonlocal pref_rids
                if len(rids) <= len(ids):
                    return [r for r in rids if records[r].id in ids]
                if pref_rids is None:  # the author's few customers against a common name's many holders
                    rid_of = self._rid_of
                    pref_rids = sorted(rid_of[c] for c in ids if c in rid_of)
                big = self._big_set(rids)
                return [r for r in pref_rids if r in big]
        out = []
        for h in hits:
            try:
                rids = keep(h.rids)
            except Exception:
                rids = []
            if rids:
                out.append(Hit(h.start, h.end, rids, h.kind, h.strength))
        return out

    def _choose(self, orig: str, hits: list[Hit], owned: bool = True) -> Match:
        # owned: the hits' rid lists belong to the index (their sets may be cached), not made for this note
        sets = [frozenset(h.rids) if len(h.rids) <= BIG or not owned else self._big_set(h.rids) for h in hits]
        small = [k for k, h in enumerate(hits) if len(h.rids) <= BIG]
        big = [k for k, h in enumerate(hits) if len(h.rids) > BIG]
        cand: set[int] = set()
        for k in small:
            cand.update(hits[k].rids)
        # large hits (a common surname or first name) count where they corroborate each other
        for x in range(len(big)):
            for y in range(x + 1, len(big)):
                a, b = hits[big[x]], hits[big[y]]
                if a.start < b.end and b.start < a.end:
                    continue
                inter = sets[big[x]] & sets[big[y]]
                if len(inter) <= BIG:
                    cand.update(inter)
        best_hit: dict[int, int] = {}
        score: dict[int, float] = {}
        # words another customer's full name already claims ("Tom" of "Tom Hughes") corroborate nobody else
        claimed = [(x.start, x.end, sets[k]) for k, x in enumerate(hits) if x.kind in FULL_KINDS and len(x.rids) <= BIG]
        for rid in cand:
            mine = [k for k in range(len(hits)) if rid in sets[k]]
            b = mine[0]  # hits are sorted strongest first
            sc = hits[b].strength
            used = [(hits[b].start, hits[b].end)]
            for k in mine[1:]:
                h = hits[k]
                if any(h.start < e and s0 < h.end for s0, e in used):
                    continue
                if any(a < h.end and h.start < z and rid not in rs for a, z, rs in claimed):
                    continue
                sc += min(3.0, h.strength / 3)
                used.append((h.start, h.end))
            best_hit[rid], score[rid] = b, sc
        top = max(score.values()) if score else -1.0
        big_top = max((hits[k].strength for k in big), default=-1.0)
        if big and big_top > top:
            # only an uncorroborated common name: ambiguous among its many holders
            k = next(k for k in big if hits[k].strength == big_top)
            h = hits[k]
            cands = [self.records[r] for r in h.rids[:MAX_CANDIDATES]]
            return Match(ambiguous=True, candidates=cands, mention=orig[h.start: h.end], span=(h.start, h.end),
                         kind=KIND_NAMES.get(h.kind))
        tied = [rid for rid, sc in score.items() if sc >= top - 1e-6]
        groups: dict[int, list[int]] = {}
        for rid in tied:
            groups.setdefault(best_hit[rid], []).append(rid)
        if len(groups) > 1:
            # different mentions tie: the first-mentioned wins; hits over the same words are one mention
            k0 = min(groups, key=lambda k: (hits[k].start, -hits[k].end))
            h0 = hits[k0]
            tied = [rid for rid in tied if hits[best_hit[rid]].start < h0.end and h0.start < hits[best_hit[rid]].end]
        else:
            tied = next(iter(groups.values()))
        h = hits[best_hit[tied[0]]]
        mention = orig[h.start: h.end]
        kind = KIND_NAMES.get(h.kind)
        if len(tied) == 1:
            rid = tied[0]
            spans = sorted({(x.start, x.end) for k, x in enumerate(hits) if rid in sets[k]})
            return Match(customer=self.records[rid], mention=mention, span=(h.start, h.end), kind=kind, spans=spans)
        cands = [self.records[r] for r in sorted(tied)[:MAX_CANDIDATES]]
        return Match(ambiguous=True, candidates=cands, mention=mention, span=(h.start, h.end), kind=kind)

    def _big_set(self, rids) -> frozenset:
        got = self._big_sets.get(id(rids))
        if got is not None and got[0] is rids:  # the entry keeps rids alive, so its id is not reused meanwhile
            return got[1]
        fs = frozenset(rids)
        if len(self._big_sets) < 100000:
            self._big_sets[id(rids)] = (rids, fs)
        return fs


_UNKNOWN_COMPANY = None
_FROM_BEFORE = re.compile(r"(?<![a-z])(?:from|of|at|@)\s*$")
DATE_WORDS = frozenset("monday tuesday wednesday thursday friday saturday sunday today tomorrow weekend january february "
                       "march april june july august september october november december".split())
# words of greetings and holidays: a company's short form made only of them is read as the holiday
FESTIVAL_WORDS = frozenset("new year years christmas xmas eve mid autumn spring festival lunar chinese boxing day golden week national "
                           "easter thanksgiving halloween valentine valentines happy merry holiday holidays season seasons".split())


def _unknown_company_re():
    """"周一科技的李总", "好运来超市的王经理": a company (ending in a company word) and then its person."""
    global _UNKNOWN_COMPANY
    if _UNKNOWN_COMPANY is None:
        from .vocab import alternation, load

        words = alternation([*load("company_words")["zh"], "厂", "店"])
        _UNKNOWN_COMPANY = re.compile(rf"([\u4e00-\u9fff]{{2,10}}?(?:{words}))的")
    return _UNKNOWN_COMPANY


# The customer is the one the interaction was with: a name right after a contact verb ("called Priya",
# "拜访了韩梅") counts more, one inside what someone said ("she said Dmitri recommended us", "她把邓总介绍给我们")
# counts less, whatever the strength of the key that found it.
_CONTACT_BEFORE = re.compile(
    r"(?:\b(?:called|call|rang|phoned|met|meeting|visited|visit|emailed|texted|messaged|saw|lunch|coffee|dinner)\s+(?:with\s+|w/\s*)?|"
    r"(?:拜访|见了|见|约了|约|给|跟|找|打给|去)(?:了)?)$", re.I)
_CONTACT_AFTER = re.compile(
    r"\s*(?:\b(?:called|rang|phoned|emailed|texted|messaged|wrote|replied|came by|visited us)\b|"
    r"(?:回了我|回我|来电|打来|发来|找我|约我|联系我|给我打))", re.I)
_MENTIONED_BEFORE = re.compile(
    r"(?:\b(?:said|says|told me|mentioned|recommended|referred|introduced|suggested|thinks|heard)\b[^,.;!?]{0,20}|"
    r"(?:说|讲|提到|推荐|介绍|听说)[^，。,.;!?；]{0,8}|把)$", re.I)


def _weigh_roles(orig: str, hits: list[Hit]) -> list[Hit]:
    if len({tuple(h.rids[:3]) for h in hits}) < 2:
        return hits  # one candidate: nothing to weigh
    out = []
    for h in hits:
        before = orig[max(0, h.start - 30):h.start]
        if _CONTACT_BEFORE.search(before[-12:]) or _CONTACT_AFTER.match(orig, h.end):
            h = Hit(h.start, h.end, h.rids, h.kind, h.strength + 6)
        elif _MENTIONED_BEFORE.search(before):
            h = Hit(h.start, h.end, h.rids, h.kind, h.strength - 4)
        out.append(h)
    return out
