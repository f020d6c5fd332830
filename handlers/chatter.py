"""Small talk that is no note ("谢谢", "ok", "收到"): answered with one line, nothing filed, no question asked."""
from __future__ import annotations

from .context import Context
from chat.messages import Outgoing

WORDS = {"谢谢", "多谢", "谢了", "好的", "好", "嗯", "嗯嗯", "收到", "ok", "okay", "k", "thanks", "thank you", "thx", "ty", "cool", "great", "👍", "🙏", "hi", "hello", "你好", "您好"}
REPLY = ("👍 Send a note any time.", "👍 有记录随时发给我。")


def answer(ctx: Context, text: str) -> list[Outgoing] | None:
    if text.strip().strip("!！。.~～ ").lower() not in WORDS:
        return None
    return [Outgoing(REPLY[ctx.lang == "zh"])]
