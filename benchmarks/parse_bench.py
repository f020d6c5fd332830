"""Note parser benchmark: index build time, per-note parse latency and memory at 1k / 10k / 100k customers.

    cd /work/main && uv run python benchmarks/parse_bench.py [--sizes 1000,10000,100000] [--notes 400]

Synthetic data: Chinese names with a realistic surname distribution (王/李/张/刘/陈 … heavy head, long tail),
one- and two-character given names, English names, Chinese and English companies, a few aliases. Notes are
drawn from ~40 templates in Chinese, English and both, naming customers in different ways (full name,
surname + honorific, pinyin, company, first name, typos, nobody). Not a unit test.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from handlers.understanding.matching import CustomerIndex  # noqa: E402
from handlers.understanding.notes import CustomerRecord, NoteParser  # noqa: E402

# surname, relative weight (roughly the 2020 census shares, in ‰)
SURNAMES = [
    ("王", 74), ("李", 72), ("张", 68), ("刘", 53), ("陈", 46), ("杨", 31), ("黄", 23), ("赵", 22), ("吴", 20), ("周", 19),
    ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12), ("何", 12), ("高", 11), ("林", 11), ("罗", 10),
    ("郑", 10), ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7), ("曹", 7), ("彭", 6),
    ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("袁", 5), ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 4),
    ("叶", 4), ("程", 4), ("苏", 4), ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 3),
    ("韦", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2),
    ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2),
    ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 1), ("覃", 1), ("武", 1), ("戴", 1), ("莫", 1),
    ("欧阳", 1), ("司马", 1), ("上官", 1), ("诸葛", 1),
]
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏海波春梅晓东雪琳婷浩宇博文斌飞龙凯佳欣怡晨阳思颖子轩梓涵一诺雨泽"
EN_FIRST = "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Donald Ashley Steven Emily Paul Donna Andrew Michelle Joshua Carol Kevin Amanda Brian Melissa George Deborah Oliver Sophie Lucas Chloe Ethan Grace".split()
EN_LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Schmidt Muller Rossi Dubois Tanaka Kowalski".split()
CN_REGIONS = "华东 华南 江南 中原 东方 北方 南方 海天 金鼎 星河 蓝海 银河 长城 恒通 鸿运 盛达 瑞丰 嘉禾 宏图 锦绣 永安 万通 新华 信达".split()
CN_WORDS = "机电 食品 贸易 科技 物流 建材 医疗 广告 酒业 服饰 电子 药业 汽配 家电 软件 餐饮 纺织 化工 包装 五金".split()
EN_CO_A = "Acme Globex Initech Umbra Vertex Northwind Contoso Fabrikam Stark Wayne Pioneer Summit Apex Nimbus Orion Zenith Atlas Polaris Cobalt Crimson".split()
EN_CO_B = "Trading Logistics Foods Imports Industries Solutions Systems Supplies Partners Labs Manufacturing Electronics Textiles Holdings".split()
EN_CO_C = ["Co.", "Inc.", "Ltd", "LLC", "Corporation", "GmbH", ""]

TEMPLATES = [
    "拜访了{cn}，下周三前发报价", "给{cn}打电话，他说明天下午3点再聊", "{sur}总来电：公司资金紧张，在裁员，订单可能取消",
    "{cn}微信说货款要拖到月底，已经逾期两周了", "{sur}总那边说价格太高，在考虑别的供应商", "{cn}生日是12月8号，记得送礼",
    "{cncomp}发邮件确认订单，3万元", "新客户{new}（好运来超市）电话咨询批发价，后天回电", "{cn}说他们公司可能要破产了，还欠我们8万货款",
    "{cn}12月15日上午10点来签合同", "给{cn}寄了样品，一周后跟进", "{cn}来公司参观，对新品很感兴趣，下个月5号再联系",
    "called {py}, wants quote Friday", "Met {en} at the expo, he wants a demo next Tuesday",
    "{enco} emailed, unhappy about the late delivery and filed a complaint", "{enco} signed the contract, 120k USD, kickoff meeting Dec 3",
    "{pyfull} called back, wants 50 units, send the contract tomorrow", "meeting with {enco} moved to Thursday 2pm",
    "{en} hasn't paid invoice 1043, 30 days overdue, call her Wednesday", "{first} from {encoshort}: call next week about the renewal",
    "Called {pyfull}, no answer, try again in 3 days", "{cn} video call, interested in a bulk order around 200k RMB, send proposal by Friday 5pm",
    "{cn}: lost the deal to a competitor", "{typo} wants an updated price list tomorrow", "{last} called: shipment delayed, he's upset and wants a discount",
    "lunch with {en}, she will introduce her CFO, ping her in 10 days", "visited {cn} at {cncomp} today, samples delivered, follow up in 2 weeks",
    "今天天气不错，下午开会讨论下季度计划", "remember to update the price sheet before Friday", "马上处理行李的问题，如何安排下周五的会议",
    "{cn}", "{en}", "ok", "👍👍", "客户说已经付清了之前拖欠的款项", "he says the payment will be late again, {last} is not happy",
    "{sur}经理说下周一来厂里看样品，顺便谈谈明年的框架协议，预算大概五十万", "new lead: Jenny Wu from Sunrise Foods, wants a catalog",
    "{cn}和{cn2}一起来公司开会，讨论了合作细节，下周五之前给他们发合同草案", "Spoke with {first} about the Q3 forecast; budget $45,000; send deck by 12/10",
]


def make_customers(n: int, rng: random.Random) -> list[CustomerRecord]:
    surnames, weights = zip(*SURNAMES)
    recs = []
    for i in range(n):
        r = rng.random()
        if r < 0.65:
            sur = rng.choices(surnames, weights)[0]
            given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
            name = sur + given
            comp = rng.choice(CN_REGIONS) + rng.choice(CN_WORDS) + rng.choice(("有限公司", "", "集团", ""))
            aliases = (sur + "总",) if rng.random() < 0.03 else ()
        elif r < 0.9:
            name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
            comp = f"{rng.choice(EN_CO_A)} {rng.choice(EN_CO_B)} {rng.choice(EN_CO_C)}".strip()
            aliases = ()
        else:
            comp = f"{rng.choice(EN_CO_A)}{rng.randint(1, 999)} {rng.choice(EN_CO_B)} {rng.choice(EN_CO_C)}".strip()
            name = comp
            aliases = (comp.split()[0],)
        recs.append(CustomerRecord(id=i, name=name, company=comp, aliases=aliases, owner=rng.choice("abcde")))
    return recs


def make_notes(recs: list[CustomerRecord], k: int, rng: random.Random) -> list[str]:
    from handlers.understanding.names import has_cjk, name_pinyin, split_cjk_name

    cn = [r for r in recs if has_cjk(r.name)]
    en = [r for r in recs if not has_cjk(r.name) and " " in r.name and r.name != r.company]
    cos = [r for r in recs if r.company and not has_cjk(r.company)]
    notes = []
    for _ in range(k):
        t = rng.choice(TEMPLATES)
        c, c2, e, co = rng.choice(cn), rng.choice(cn), rng.choice(en), rng.choice(cos)
        sur, _given = split_cjk_name(c.name)
        py = name_pinyin(c.name)
        enco = co.company.replace(" Co.", "").replace(" Inc.", "")
        typo = enco[:3] + enco[4:] if len(enco) > 6 else enco
        notes.append(t.format(
            cn=c.name, cn2=c2.name, sur=sur, cncomp=c.company or c.name, new="钱多多", py=py[0].title(),
            pyfull=" ".join(x.title() for x in py), en=e.name, first=e.name.split()[0], last=e.name.split()[-1],
            enco=enco, encoshort=enco.split()[0], typo=typo,
        ))
    notes.append("x" * 20000)
    notes.append("王总" * 10000)
    notes.append(("called Wang about the quote, 下周三前发报价 " * 400)[:20000])
    return notes


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return rss_mb()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--notes", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = []
    for size in (int(s) for s in a.sizes.split(",")):
        rng = random.Random(a.seed)
        recs = make_customers(size, rng)
        notes = make_notes(recs, a.notes, rng)
        gc.collect()
        base = current_rss_mb()
        t0 = time.perf_counter()
        index = CustomerIndex(recs)
        build = time.perf_counter() - t0
        index_mb = current_rss_mb() - base
        parser = NoteParser(index)
        for note in notes[:50]:  # warm-up (regex compilation, lazy imports, caches)
            parser.parse(note, now)
        times = []
        for note in notes:
            t = time.perf_counter()
            parser.parse(note, now)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        # a rep's view: prefer= the ids of ~200 customers they own
        own = {r.id for r in rng.sample(recs, min(200, len(recs)))}
        ptimes = []
        for note in notes:
            t = time.perf_counter()
            parser.parse(note, now, prefer=own)
            ptimes.append((time.perf_counter() - t) * 1000)
        ptimes.sort()
        pp50 = statistics.median(ptimes)
        pp99 = ptimes[min(len(ptimes) - 1, int(len(ptimes) * 0.99))]
        # incremental changes: rename and remove single customers
        utimes = []
        for r in rng.sample(recs, min(200, len(recs))):
            t = time.perf_counter()
            index.update(CustomerRecord(r.id, r.name + "明", r.company, r.aliases, r.owner))
            index.remove(r.id)
            utimes.append((time.perf_counter() - t) * 1000 / 2)
        utimes.sort()
        rows.append((size, build, p50, p99, times[-1], index_mb, rss_mb(), pp50, pp99, statistics.median(utimes), utimes[-1]))
        del index, parser
    print(f"{'customers':>10} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'index MB':>9} {'peak RSS MB':>12}"
          f" {'pref p50':>9} {'pref p99':>9} {'upd p50':>8} {'upd max':>8}")
    for size, build, p50, p99, mx, imb, rss, pp50, pp99, u50, umax in rows:
        print(f"{size:>10} {build:>8.2f} {p50:>8.3f} {p99:>8.3f} {mx:>8.2f} {imb:>9.1f} {rss:>12.1f}"
              f" {pp50:>9.3f} {pp99:>9.3f} {u50:>8.3f} {umax:>8.2f}")
    print(f"({a.notes} notes + 3 of 20,000 chars per size; latency is the whole NoteParser.parse, match + lexicons + dates;"
          " pref: parse with prefer= 200 customer ids; upd: one index.update or index.remove, ms)")


if __name__ == "__main__":
    main()
