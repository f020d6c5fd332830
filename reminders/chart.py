"""The weekly digest's chart: notes per rep and customers by stage, one PNG.

matplotlib is imported lazily with the Agg backend (no display, not on the CLI's start-up path).
When no CJK font is installed, Chinese names are written in pinyin rather than as empty boxes.
"""
from __future__ import annotations

import io

from chat import format as fmt

from .texts import t

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC")


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def _latin(text: str) -> str:
    if all(ord(ch) < 0x2E80 for ch in text):
        return text
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text)).title()


def render(reps: list[tuple[str, int]], stages: dict[str, int], lang: str) -> bytes:
    """The chart as PNG bytes (kept in the database, storage/attachments.py: never a file on one host)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    font = _cjk_font()
    label_lang = lang if font else "en"
    name = (lambda s: s) if font else _latin
    png = io.BytesIO()
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"]}):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.6), dpi=100)
        try:
            left.barh([name(r) for r, _ in reps] or ["-"], [n for _, n in reps] or [0], color="#4C78A8")
            left.invert_yaxis()
            left.set_title(t("chart_activity", label_lang))
            order = [s for s in fmt.STAGE["en"] if s in stages] + [s for s in stages if s not in fmt.STAGE["en"]]
            right.bar([fmt.STAGE[label_lang].get(s, s) for s in order] or ["-"], [stages[s] for s in order] or [0], color="#F58518")
            right.set_title(t("chart_pipeline", label_lang))
            right.tick_params(axis="x", labelrotation=30)
            fig.tight_layout()
            fig.savefig(png, format="png")
        finally:
            plt.close(fig)
    return png.getvalue()
