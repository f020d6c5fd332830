"""Customer resolution inside free-text notes (own customer list, not the eval set)."""
import pytest

from handlers.understanding.matching import CustomerIndex
from handlers.understanding.notes import CustomerRecord

CUSTOMERS = [
    ("郭建华", "远航电子有限公司", ("郭总",)),
    ("宋佳", "佳美家居", ()),
    ("宋雨", "雨田农业", ()),
    ("欧阳娜娜", "娜娜花艺", ()),
    ("何平", "平安五金", ()),
    ("周晓东", "东方物流", ()),
    ("马丽", "马氏茶业", ()),
    ("Tom Baker", "Baker & Sons Ltd", ()),
    ("David Chen", "Pacific Rim Imports", ()),
    ("David Lowe", "Lowe Marine", ()),
    ("Emily Clark", "Clark Foods", ()),
    ("Hans Müller", "Müller GmbH", ()),
    ("Vertex Solutions Inc.", "Vertex Solutions Inc.", ("Vertex",)),
]


@pytest.fixture(scope="module")
def index():
    return CustomerIndex([CustomerRecord(i, n, c, a) for i, (n, c, a) in enumerate(CUSTOMERS)])


def who(index, text):
    m = index.match(text)
    return m.customer.name if m.customer else None


@pytest.mark.parametrize("text,name", [
    ("拜访了欧阳娜娜，聊了新品", "欧阳娜娜"),
    ("郭总来电说要样品", "郭建华"),  # alias
    ("远航电子那边催发货", "郭建华"),  # company core without 有限公司
    ("called Guo Jianhua about the samples", "郭建华"),  # pinyin with spaces
    ("guojianhua emailed", "郭建华"),  # pinyin glued
    ("Ouyang Nana wants a quote", "欧阳娜娜"),  # compound surname
    ("何总说下周再谈", "何平"),  # unique surname + honorific
    ("小马昨天来公司了", "马丽"),  # 小X
    ("Baker called about the invoice", "Tom Baker"),  # unique last name
    ("Emily emailed the PO", "Emily Clark"),  # unique first name
    ("Vertx Solutions wants a discount", "Vertex Solutions Inc."),  # typo
    ("Pacific Rim placed an order", "David Chen"),  # company prefix
    ("Hans Muller visited our booth", "Hans Müller"),  # diacritics
    ("晓东微信说可以", "周晓东"),  # given name
    ("拜訪了歐陽娜娜", "欧阳娜娜"),  # Traditional
])
def test_resolves(index, text, name):
    assert who(index, text) == name


def test_mention_and_span(index):
    text = "called Guo Jianhua about the samples"
    m = index.match(text)
    assert m.mention == "Guo Jianhua" and text[m.span[0]:m.span[1]] == "Guo Jianhua"
    assert m.kind == "pinyin"


@pytest.mark.parametrize("text,cands", [
    ("宋总那边说价格太高", {"宋佳", "宋雨"}),
    ("met David at the fair", {"David Chen", "David Lowe"}),
])
def test_shared_name_is_ambiguous(index, text, cands):
    m = index.match(text)
    assert m.customer is None and m.ambiguous
    assert {c.name for c in m.candidates} == cands


def test_company_breaks_a_tie(index):
    assert who(index, "David from Pacific Rim called") == "David Chen"


@pytest.mark.parametrize("text", [
    "下周五前把行李寄过去",  # 周 in 下周, 李 in 行李
    "马上处理，如何安排？",  # 马 in 马上, 何 in 如何
    "he said the price is ok, may call back",  # English words that are pinyin / names
    "本周总结：一切正常",  # 周总 inside 周总结
    "the sun is shining on Sunday",
    "",
    "😀😀😀",
])
def test_no_false_hits(index, text):
    m = index.match(text)
    assert m.customer is None and not m.ambiguous and not m.is_new


@pytest.mark.parametrize("text,mention", [
    ("新客户钱多多，开超市的，想要报价", "钱多多"),
    ("新客户宋先生电话咨询", "宋先生"),  # surname matches two customers: still a new person
    ("new lead: Jenny Wu, wants a catalog", "Jenny Wu"),
    ("Sarah from Umbrella Corp called about pricing", "Sarah"),
])
def test_new_customers(index, text, mention):
    m = index.match(text)
    assert m.is_new and m.customer is None and not m.ambiguous
    assert m.mention == mention


def test_new_marker_with_a_known_full_name_is_that_customer(index):
    m = index.match("新客户介绍：宋佳，做家居的")
    assert m.customer is not None and m.customer.name == "宋佳" and not m.is_new


def test_known_company_is_not_new(index):
    assert who(index, "Tom from Baker & Sons called") == "Tom Baker"


def test_long_and_odd_input_never_raises(index):
    for text in ["x" * 20000, "王总" * 10000, "\x00\uffff\ud800", "12345", "Mr. Mrs. Dr."]:
        index.match(text)


def test_scale_common_surname_is_ambiguous():
    recs = [CustomerRecord(i, "王" + g, None) for i, g in enumerate("伟芳娜敏静丽强磊军洋" * 10)]
    recs.append(CustomerRecord(999, "赵一鸣", "一鸣科技", ("赵总",)))
    idx = CustomerIndex(recs)
    m = idx.match("王总来电")
    assert m.ambiguous and m.customer is None and 1 < len(m.candidates) <= 8
    assert idx.match("赵总来电").customer.name == "赵一鸣"
