"""WeComSender against the fake WeCom API: how replies look on WeCom (cards, long text, files)."""
from __future__ import annotations

import datetime as dt

import pytest

from bot.wecom.api import WeComApi
from bot.wecom.sender import WeComSender
from chat.messages import Button, Outgoing
from reminders.delivery import PermanentFailure, RetryLater
from storage.models import Outbox

from .fakes.wecom_api import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI


@pytest.fixture
async def wecom(clock):
    api = FakeWeComAPI()
    await api.start()
    client = WeComApi(CORP_ID, SECRET, clock, api.base)
    yield api, WeComSender(client, AGENT_ID)
    await client.close()
    await api.stop()


def row(key: str = "reply:wecom:u1:1:0", chat_kind: str = "private") -> Outbox:
    now = dt.datetime(2027, 3, 1, tzinfo=dt.timezone.utc)
    return Outbox(key=key, kind="reply", platform="wecom", chat_id="u1", chat_kind=chat_kind, body={}, due_at=now, created_at=now)


async def test_many_buttons_are_cards_of_six_and_a_long_text_goes_first(wecom):
    api, sender = wecom
    choices = [[Button(f"客户{i}", f"p:x:{i}")] for i in range(8)]
    long_text = "哪位张总？\n" + "\n".join(f"{i}. 张{i} · 公司{i}" * 3 for i in range(12))
    await sender.send(row(), Outgoing(long_text, choices))
    kinds = [b["msgtype"] for b in api.sent("u1")]
    assert kinds == ["text", "template_card", "template_card"]
    assert api.sent("u1")[0]["text"]["content"] == long_text
    first, second = api.cards("u1")
    assert [b["key"] for b in first["button_list"] + second["button_list"]] == [f"p:x:{i}" for i in range(8)]
    assert len(first["button_list"]) == 6 and first["task_id"] != second["task_id"]
    again = api.cards("u1")
    await sender.send(row(), Outgoing(long_text, choices))  # the same row again: the same task ids (WeCom's duplicate check)
    assert [c["task_id"] for c in api.cards("u1")[2:]] == [c["task_id"] for c in again]


async def test_text_over_2048_bytes_is_split_at_line_ends_and_files_are_uploaded(wecom, tmp_path):
    api, sender = wecom
    text = "\n".join("拜访记录第%d条，客户很满意。" % i for i in range(200))
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG fake")
    await sender.send(row(), Outgoing(text, image_path=str(chart)))
    sent = api.sent("u1")
    pieces = [b["text"]["content"] for b in sent if b["msgtype"] == "text"]
    assert all(len(p.encode()) <= 2048 for p in pieces) and "\n".join(pieces) == text
    assert sent[-1]["msgtype"] == "image" and sent[-1]["image"]["media_id"].startswith("media")
    assert api.of("media/upload")[0].params["type"] == "image"


async def test_limits_and_refusals_are_translated_for_the_outbox(wecom):
    api, sender = wecom
    api.fail_next("message/send", 45033)
    with pytest.raises(RetryLater) as wait:
        await sender.send(row(), Outgoing("hi"))
    assert wait.value.seconds is not None and wait.value.seconds > 0
    api.fail_next("message/send", 81013)
    with pytest.raises(PermanentFailure):
        await sender.send(row(), Outgoing("hi"))
    with pytest.raises(PermanentFailure):
        await sender.send(row(chat_kind="group"), Outgoing("hi"))
    assert api.texts("u1") == []
