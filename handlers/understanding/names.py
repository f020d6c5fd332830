"""Name lexicons shared by customer matching: surnames, honorifics, pinyin, text normalisation."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Compound (two-character) surnames, checked before single ones.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 轩辕 呼延 澹台 万俟 闻人 申屠 百里 东郭".split()
)

# The ~200 commonest single-character surnames (mainland usage), most frequent first.
COMMON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMMON_SURNAME_SET = frozenset(COMMON_SURNAMES)
# Less common surnames (Cantonese and Taiwanese usage among them) that are not everyday words: a customer named
# with one is still a person (surname + honorific, 小X, pinyin), but they do not start new names in free text.
RARE_SURNAMES = frozenset(
    "萧冼区练植湛招揭伊侍储冀凤劳匡厉宓官宣宦宰容宿尉屠嵇巢幸庾廉弘慕戎扈晁暨杭桓殳汲洪浦滑濮燕牧璩祖禄竺糜羿胥"
    "芮花苍茹荀荆莘蒯蓟蔺裘訾诸谈贡贲赖逄逯邰邴郁郏郗郜郦鄂钭钮闻阎阙阚隗雍鞠韶麴"
) - COMMON_SURNAME_SET
PERSON_SURNAME_SET = COMMON_SURNAME_SET | RARE_SURNAMES

# Surname readings where the everyday reading of the character differs.
SURNAME_PINYIN = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha", "覃": "qin",
    "翟": "zhai", "乐": "yue", "盖": "ge", "繁": "po", "缪": "miao", "种": "chong", "秘": "bi", "员": "yun",
    "沈": "shen", "贾": "jia", "石": "shi", "柏": "bai", "尉": "yu", "长": "chang", "召": "shao", "万": "wan",
    "任": "ren", "华": "hua", "重": "chong", "宿": "su", "句": "gou", "能": "nai", "阚": "kan",
}

# Honorifics / titles that may follow a Chinese surname or full name ("王总", "李经理").
CJK_HONORIFICS = (
    "总经理", "副总", "董事长", "总监", "经理", "老板", "先生", "女士", "小姐", "老师", "主任", "院长", "校长", "律师",
    "医生", "博士", "教授", "师傅", "阿姨", "太太", "夫人", "董", "总", "工", "姐", "哥", "叔", "局长", "处长", "科长",
    "部长", "厂长", "店长", "老总", "助理", "主管", "秘书", "会长", "行长", "所长", "团长", "生", "太", "sir",
)
CJK_HONORIFICS = tuple(sorted(set(CJK_HONORIFICS), key=len, reverse=True))
# "周总结", "王总共" ... : 总 followed by these is an ordinary word.
ZONG_BREAKERS = frozenset("结共计额量价体是算之数值部裁统")

LATIN_TITLES = frozenset("mr mrs ms miss mx dr prof sir madam mister".split())

# English words that are also given names, surnames or pinyin syllables. As a bare single token they only
# count when capitalised in the middle of a sentence (or after a title such as Mr).
COMMON_WORD_NAMES = frozenset(
    """
    he ma an you mo bo pan fan tan ban man sang song bin hang gang ding long sun young king may will mark bill
    june april august grace hope faith joy rose summer frank sue art don ray pat rob jack chase hunter miles max
    dean grant ben sky dawn eve holly ivy iris lily daisy amber ruby crystal violet autumn angel sunny penny sandy
    rusty woody gene guy harry carol jean nick drew wade gray grey rich brown white black green price cash case bush
    cook hall wood hill page rice park bell ward lane fox love day wells fields banks chance gay hung wing sing
    chen lee tang yang lin li hu lu yu du su shi jin gao guo wu xu zhu ye jia bai fang cheng chang
    lei tao jie min na lan ping ying hui jun bo ming hong mei yan ting
    the to for of at on in by a i it is be we us our sales team new lead call met email text ok hi
    """.split()
) - frozenset(
    # pinyin surnames that are not English words: ordinary tokens, fine as names
    "chen tang yang lin li hu lu yu du su shi jin gao guo wu xu zhu ye jia bai fang cheng chang lei tao jie min na lan ping ying hui jun ming hong mei yan ting".split()
)


def norm_char(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    if len(n) != 1:
        return c.lower()
    if "\u00c0" <= n <= "\u024f":  # Latin with diacritics: Müller -> muller
        d = unicodedata.normalize("NFKD", n)
        if d and d[0].isascii():
            return d[0].lower()
    return n.lower()


_ASCII_TABLE = {}
_LATIN_DIACRITIC = re.compile("[\u00c0-\u024f]").search  # Latin with diacritics (norm_char's range)


def normalize_text(text: str, t2s=None) -> str:
    """Lower-case, NFKC (full-width to half-width) and Traditional→Simplified, keeping every index in place."""
    if text.isascii():
        return text.lower()
    whole = unicodedata.normalize("NFKC", text)
    if len(whole) == len(text) and _LATIN_DIACRITIC(whole) is None:
        out = whole.lower()
        if len(out) != len(text):
            out = "".join(norm_char(c) for c in text)
    else:
        out = "".join(norm_char(c) for c in text)
    if t2s is not None:
        try:
            conv = t2s(out)
            if len(conv) == len(out):
                out = conv
        except Exception:
            pass
    if not _CANTONESE_SET.isdisjoint(out):
        out = out.translate(_CANTONESE)
    return out


# Cantonese written forms read as their Mandarin counterparts, one character for one (indices stay in place):
# 佢哋嚟咗我哋公司睇货 → 他们来了我们公司看货.
_CANTONESE = str.maketrans({"佢": "他", "哋": "们", "嚟": "来", "咗": "了", "睇": "看", "唔": "不", "冇": "没", "係": "是",
                            "喺": "在", "啲": "些", "嘅": "的", "俾": "给", "畀": "给", "咁": "这", "噉": "这", "乜": "什",
                            "揾": "找", "搵": "找", "攞": "拿", "嗰": "那", "咩": "么", "返": "回"})
_CANTONESE_SET = frozenset("佢哋嚟咗睇唔冇係喺啲嘅俾畀咁噉乜揾搵攞嗰咩返")


def is_cjk(c: str) -> bool:
    o = ord(c)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF


# the code points is_cjk accepts, as one character class: a regex scans a string in C (the index build asks this of
# every name, alias and company)
_CJK_CLASS = "\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002ffff"
_HAS_CJK = re.compile(f"[{_CJK_CLASS}]").search
_ALL_CJK = re.compile(f"[{_CJK_CLASS}]*").fullmatch


def has_cjk(s: str) -> bool:
    if type(s) is str:
        return _HAS_CJK(s) is not None
    return any(is_cjk(c) for c in s)


def split_cjk_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese personal name."""
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def looks_like_cjk_person(name: str) -> bool:
    return 2 <= len(name) <= 4 and (_ALL_CJK(name) is not None if type(name) is str else all(is_cjk(c) for c in name)) and (
        name[0] in PERSON_SURNAME_SET or name[:2] in COMPOUND_SURNAMES
    )


@lru_cache(maxsize=20000)
def char_pinyin(c: str) -> str:
    """One character's first reading without tones (ü as v): what ``lazy_pinyin(c, style=NORMAL)`` says.

    Read from pypinyin's single-character table instead of importing pypinyin, whose import loads and
    indexes its phrase dictionary (~0.4 s, most of `crmbot parse`'s cold start) that a single character
    never needs. The two agree on every character in the table (tests/test_pinyin_table.py).
    """
    table = _pinyin_table()
    if table is None:  # a pypinyin without the JSON table: ask pypinyin itself
        from pypinyin import Style, lazy_pinyin

        r = lazy_pinyin(c, style=Style.NORMAL, errors="ignore")
        return r[0] if r else ""
    readings = table.get(str(ord(c))) if len(c) == 1 else None
    if not readings:
        return ""
    return "".join("v" if "\u0308" in (nfd := unicodedata.normalize("NFD", ch)) else nfd[0] for ch in readings.split(",")[0])


@lru_cache(maxsize=1)
def _pinyin_table() -> dict[str, str] | None:
    """pypinyin's code point → readings table (pinyin_dict.json, "wáng,wàng"), or None when it is not there."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("pypinyin")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "pinyin_dict.json"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def name_pinyin(name: str) -> list[str]:
    """Syllables of a Chinese name, surname read as a surname."""
    sur, given = split_cjk_name(name)
    syl = []
    if len(sur) == 1 and sur in SURNAME_PINYIN:
        syl.append(SURNAME_PINYIN[sur])
    else:
        syl.extend(char_pinyin(c) for c in sur)
    syl.extend(char_pinyin(c) for c in given)
    return [s for s in syl if s]

# Ordinary words whose last character is a surname: "如何" is not Mr 何, "下周" is not Mr 周.
_WORDS_ENDING_IN_SURNAME = """
如何 任何 为何 几何 奈何 有何 从何 上周 下周 本周 这周 每周 一周 两周 半周 整周 当周 次周 前周 森林 树林 园林 竹林 少林 武林
丛林 行李 桃李 人马 兵马 出马 上马 下马 骑马 赛马 子孙 儿孙 外孙 金黄 蛋黄 焦黄 枯黄 发黄 米黄 提高 很高 太高 最高 较高 更高
身高 增高 升高 偏高 过高 挺高 不高 紧张 主张 扩张 开张 嚣张 夸张 一张 两张 几张 慌张 国王 大王 称王 对方 双方 一方 各方 我方
买方 卖方 甲方 乙方 官方 地方 配方 处方 南方 北方 东方 西方 多方 厂方 其余 多余 业余 剩余 资金 现金 黄金 租金 奖金 基金 押金
定金 订金 佣金 美金 薪金 税金 工程 过程 流程 日程 行程 课程 进程 全程 章程 长江 相关 海关 有关 机关 公关 攻关 过关 难关 完成
达成 促成 形成 组成 变成 造成 做成 谈成 建成 制成 合成 收成 八成 九成 七成 支付 应付 对付 交付 预付 垫付 偿付 责任 信任 主任
担任 前任 现任 上任 新任 接任 胜任 由于 对于 关于 至于 等于 属于 处于 位于 大于 小于 善于 终于 急于 用于 基于 鉴于 过于 便于
在于 经常 非常 正常 日常 通常 平常 异常 时常 照常 中文 英文 公文 原文 全文 正文 论文 条文 发文 平安 公安 保安 治安 不安 说明
表明 证明 声明 聪明 发明 透明 分明 标明 写明 注明 讲明 查明 光明 简明 中华 豪华 精华 繁华 才华 汽车 货车 开车 上车 下车 坐车
叉车 卡车 火车 停车 装车 专车 打包 红包 钱包 承包 分包 外包 厂商 供应商 客商 电商 协商 经销商 代理商 磋商 招商 外商 服务商
批发商 方向 意向 倾向 走向 转向 导向 动向 去向 面向 趋向 偏向 一向 取向 供应 答应 回应 响应 反应 相应 适应 对应 效应 理应
共和 平和 温和 缓和 暖和 总和 订单 下单 账单 清单 菜单 名单 报单 接单 签单 丢单 抢单 保单 货单 买单 大单 小单 跟单 简单 同时
及时 准时 按时 当时 平时 随时 小时 有时 临时 那时 这时 届时 定时 到时 暂时 何时 几时 安全 完全 齐全 健全 周全 主管 监管 接管
托管 不管 尽管 高管 保管 分管 古董 钻石 宝石 思路 线路 道路 出路 一路 销路 套路 门路 电路 铁路 公路 马路 走路 半路 公司 上司
大米 小米 玉米 厘米 平米 运费 免费 收费 付费 花费 浪费 经费 消费 话费 学费 会费 电费 明白 空白 坦白 蛋白 表白 了解 理解 误解
讲解 见解 和解 调解 分解 破解 化解 谅解 缓解 价钱 本钱 有钱 赚钱 没钱 花钱 省钱 值钱 付钱 收钱 欠钱 工钱 还钱 多少钱 整齐
到齐 备齐 配齐 凑齐 厂房 库房 住房 机房 药房 相连 接连 大连 事项 款项 选项 强项 各项 萝卜 设计 统计 会计 估计 合计 总计 共计
预计 时尚 高尚 保卫 门卫 措施 实施 设施 快乐 音乐 娱乐 前景 场景 背景 风景 贸易 容易 交易 简易 轻易 不易 山谷 低谷 气温 高温
常温 保温 降温 健康 祝贺 那边 这边 旁边 身边 周边 左边 右边 两边 一边 海边 路边 电池 水池 委屈 相符 不符 疫苗 启蒙 内蒙 一起
文章 印章 规章 盖章 公章 孔 面孔 毛 羽毛 皮毛 合同 相同 不同 共同 陪同 如同 等同 雷同 连同 协同
""".split()
WORDS_ENDING_IN_SURNAME = frozenset(w for w in _WORDS_ENDING_IN_SURNAME if len(w) == 2)
# honorific characters that also start ordinary words after a surname ("王工作" is not 王工)
HONORIFIC_BREAKERS = {"工": frozenset("作厂程资具业人艺期商地会种序位号单"), "总": ZONG_BREAKERS,
                      "生": frozenset("产日意气活病效成物鲜长态存命动涯前字词肖怕"),
                      "太": frozenset("多少忙贵高大久快慢好差远近早晚累难低小重轻贵便忙热冷了过阳空平"),
                      "姐": frozenset("妹"), "哥": frozenset("们"), "董": frozenset("事")}

# Characters common as the last character of a given name ("王伟明", "李娜婷"): after a two-character customer
# name, one of these followed by a name boundary means a longer name, another person. Left out: characters
# that usually act as adverbs or verbs right after a subject (刚, 也, 一, 先, 好, 要 ...).
GIVEN_NAME_CHARS = frozenset(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平桂英华玉兰萍红鹏辉建国志宏海波春梅晓东雪琳婷浩宇博文斌飞龙凯佳欣怡晨阳"
    "思颖轩梓涵诺雨泽鑫蕾薇倩莉琴燕慧婕瑶璐妍嘉俊峰毅锋亮健彬浩然琪晶晴蓉岚菲雯昊睿哲翔瑞祥福荣林森楠松柏栋梁"
    "旭昕曦晖炜烨煜磊鸣铭钧锦铮鹤鸿鹰凤霖露霏璇瑾瑜琦珊珍珠莹萱蓓芬芝芸茜莎菊蓉蔚薇馨香颜妮娅婉婧媛娴嫣婵"
    "秀丹彤彦坤垚城增培均基堂天元光兵冰军凡刚力勋卫成江河清涌润渊源滨潇澜沛洁浩淼湘漪溪瀚帆帅希庆康延弘强"
    "彪微德志忠怀恒恩悦惠智晟景朗朝杉权标桐森楷欢正武毅民永汉沁波治泉洪洲浚淳涵"
) - frozenset("刚一先好要也都还又再就才很已正天元光成正民永")
# a character that ends a name ("王伟明说", "李娜婷来电"): what follows a name in a note
NAME_END_CHARS = frozenset("说来电打在要想问咨是的对和跟今明昨下上通发已希需表觉刚也都把给让从到去过了吗呢吧啊那这他她们很还又再没不就才回签订付欠拖投微生邮约见找等")
# characters that make a word with the name before them ("高峰期", "高峰值"): the name is part of that word
WORD_SUFFIX_CHARS = frozenset("期值段率性化度型级式类界区")
WORD_SUFFIX_EXCEPTIONS = frozenset("期待 期望 期盼 化解 度过 性格 类似 区分".split())

# surname + one-character honorific that is an ordinary word ("卫生" is not Mr 卫)
HONORIFIC_WORDS = frozenset("卫生 毕生 师生 余生 终生 花生 众生 苗生 谋生 平生".split())
