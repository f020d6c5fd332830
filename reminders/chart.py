"""The weekly digest's chart: notes per rep and customers by stage, one PNG.

Rendering takes a few hundred milliseconds of CPU (and a second for matplotlib's import the first
time), so it never runs on the event loop, nor in a thread of this process (whose GIL the loop would
then wait for: a measured 80 ms stall): `png()` renders in a worker process (one, started on first
use, spawned), and callers hold no database transaction meanwhile (the scheduled digests read their
data, let go of the session, render, then write). Charts are cached per period: the same period with
the same figures (the managers of one team on a Monday, `/digest week` asked twice) is drawn once,
and a chart being drawn is waited for, not drawn again. A worker process that died is replaced.

matplotlib is imported lazily with the Agg backend (no display, not on the CLI's start-up path), and
through its object API (a Figure of its own, no pyplot global state). When no CJK font is installed,
Chinese names are written in pinyin rather than as empty boxes.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import io
import multiprocessing
import threading
from collections import OrderedDict
from concurrent.futures.process import BrokenProcessPool

from chat import format as fmt

from .texts import t

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
CACHE_SIZE = 64  # charts kept (a few periods × a few scopes × two languages)

_cache: OrderedDict[tuple, bytes] = OrderedDict()
_drawing: dict[tuple, concurrent.futures.Future] = {}
_lock = threading.Lock()  # the cache, the charts being drawn and the pool (several event loops may ask)
_pool: concurrent.futures.ProcessPoolExecutor | None = None
renders = 0  # how many charts were sent to be drawn (not served from the cache): tests read it


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def _latin(text: str) -> str:
    if all(ord(ch) < 0x2E80 for ch in text):
        return text
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text)).title()


def cache_key(period: str, reps: list[tuple[str, int]], stages: dict[str, int], lang: str) -> tuple:
    return (period, lang, tuple((str(r), int(n)) for r, n in reps), tuple(sorted((str(s), int(n)) for s, n in stages.items())))


def cached(period: str, reps: list[tuple[str, int]], stages: dict[str, int], lang: str) -> bytes | None:
    """The chart from the cache, or None: never drawn here (callers inside a transaction)."""
    key = cache_key(period, reps, stages, lang)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


async def png(period: str, reps: list[tuple[str, int]], stages: dict[str, int], lang: str) -> bytes:
    """The chart for a period (e.g. "weekly:2027-03-01T00:00:00+08:00"), from the cache or drawn in
    the worker process."""
    global renders
    key = cache_key(period, reps, stages, lang)
    for attempt in (1, 2):
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
            future = _drawing.get(key)
            if future is None:
                future = _drawing[key] = _executor().submit(render, list(reps), dict(stages), lang)
                renders += 1
        try:
            data = await asyncio.wrap_future(future)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a new one, once
            _forget(key, future, broken=True)
            if attempt == 2:
                raise
            continue
        except BaseException:
            _forget(key, future)
            raise
        with _lock:
            _cache[key] = data
            _cache.move_to_end(key)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            if _drawing.get(key) is future:
                del _drawing[key]
        return data
    raise AssertionError("unreachable")


def _executor() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _forget(key: tuple, future: concurrent.futures.Future, broken: bool = False) -> None:
    global _pool
    with _lock:
        if _drawing.get(key) is future:
            del _drawing[key]
        if broken and _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def shutdown() -> None:
    """Stop the worker process (it also stops at exit)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def render(reps: list[tuple[str, int]], stages: dict[str, int], lang: str) -> bytes:
    """The chart as PNG bytes (kept in the database, storage/attachments.py: never a file on one host).
    Blocking: call it through `png()` (the worker process), never on the event loop."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    font = _cjk_font()
    label_lang = lang if font else "en"
    name = (lambda s: s) if font else _latin
    png_out = io.BytesIO()
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"]}):
        fig = Figure(figsize=(8, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        left.barh([name(r) for r, _ in reps] or ["-"], [n for _, n in reps] or [0], color="#4C78A8")
        left.invert_yaxis()
        left.set_title(t("chart_activity", label_lang))
        order = [s for s in fmt.STAGE["en"] if s in stages] + [s for s in stages if s not in fmt.STAGE["en"]]
        right.bar([fmt.STAGE[label_lang].get(s, s) for s in order] or ["-"], [stages[s] for s in order] or [0], color="#F58518")
        right.set_title(t("chart_pipeline", label_lang))
        right.tick_params(axis="x", labelrotation=30)
        fig.tight_layout()
        fig.savefig(png_out, format="png")
    return png_out.getvalue()
