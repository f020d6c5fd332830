"""Time find_times over a few hundred varied synthetic notes; prints p50/p99 in µs.

    uv run python benchmarks/when_bench.py
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from handlers.understanding.when import find_times

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

WHO = ["王总", "李经理", "Mr. Chen", "Anna", "陳小姐", "Globex", "黄磊", "Tom from Acme"]
DID = ["拜访了{w}", "给{w}打电话", "{w}来电", "called {w}", "met {w} at the expo", "emailed {w}",
       "{w}微信说", "lunch with {w}", "聽日同{w}傾", "{w} video call"]
WHAT = ["对新品很感兴趣", "嫌价格太高", "wants 50 units", "invoice 1043 is 30 days overdue",
        "预算3万", "asked for a 120k quote", "逾期两周了", "samples delivered", "phone 138-1234-5678",
        "ratio 12:1", "有两点顾虑", "便宜一点就签", "happy with the service"]
WHEN = ["下周三前发报价", "明天下午3点再聊", "follow up in 2 weeks", "一周后跟进", "ping her in 10 days",
        "下个月5号再联系", "月底前付款", "RFP due 12/10", "kickoff Dec 3", "12月15日上午10点来签合同",
        "Thursday 2pm", "by Friday 5pm", "call next week", "后天回电", "生日12月8号", "下個禮拜二晏晝三點",
        "send it today", "", "", "三天内回复", "next Tuesday at 10:30am", "the 15th", "1/15/2027",
        "周五上午", "in 3 days", "EOD", "tonight at 8"]


def notes(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        w = rnd.choice(WHO)
        parts = [rnd.choice(DID).format(w=w), rnd.choice(WHAT), rnd.choice(WHEN)]
        out.append(rnd.choice(["，", ", ", "; "]).join(p for p in parts if p))
    return out


def main() -> None:
    sample = notes(400)
    for text in sample:  # warm-up: OpenCC, regex caches
        find_times(text, NOW)
    wall, cpu = [], []
    for _ in range(5):
        for text in sample:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            find_times(text, NOW)
            wall.append((time.perf_counter_ns() - t0) / 1000)
            cpu.append((time.thread_time_ns() - c0) / 1000)
    # Wall time includes preemption by other processes on a busy machine; thread CPU
    # time does not, so both are shown.
    for name, xs in (("wall", wall), ("cpu", cpu)):
        xs.sort()
        p50, p99 = statistics.median(xs), xs[int(len(xs) * 0.99) - 1]
        print(f"find_times {name:4} over {len(sample)} notes x5: p50 {p50:.0f} µs, p99 {p99:.0f} µs, max {xs[-1]:.0f} µs")

if __name__ == "__main__":
    main()
