"""Sending to Telegram through the outbox: limits under a burst, 429 retry_after, 403 kept as failed,
a group upgraded to a supergroup, photos and documents as multipart uploads."""
from __future__ import annotations

from collections import defaultdict

from chat.messages import Button, Outgoing
from storage import messaging
from storage.models import Outbox
from tests.fakes.telegram_world import fake_telegram, world  # noqa: F401

GROUP = -100700


async def queue(world, chat_id, text: str, chat_kind: str = "private", **body) -> None:
    message = Outgoing(text, **body)
    async with world.app.db.write() as session:
        await messaging.outbox_add(session, Outbox(key=f"test:{chat_id}:{text}", kind="reminder", platform="telegram", chat_id=str(chat_id), chat_kind=chat_kind, body=message.to_body(), due_at=world.clock()))


def sends(world, chat_id=None):
    return [c for c in world.fake.calls if c.method == "sendMessage" and "result" in c.params and (chat_id is None or c.params["chat_id"] == str(chat_id))]


def max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_a_burst_respects_telegrams_limits_and_loses_nothing(world):
    await world.start()
    # 22 messages for one group, 3 for one person, one each for 40 other people; one 429 on the way
    expected = set()
    for i in range(22):
        await queue(world, GROUP, f"group {i}", "group")
        expected.add(f"group {i}")
    for i in range(3):
        await queue(world, 2001, f"rep {i}")
        expected.add(f"rep {i}")
    for chat in range(3000, 3040):
        await queue(world, chat, f"hello {chat}")
        expected.add(f"hello {chat}")
    world.fake.fail("sendMessage", 429, retry_after=4, chat_id=3005)
    started = world.clock().timestamp()

    await world.deliver()

    ok = sends(world)
    assert sorted(c.params["text"] for c in ok) == sorted(expected)  # every message once, none twice
    by_chat = defaultdict(list)
    for call in ok:
        by_chat[call.params["chat_id"]].append(call.at)
    for chat, times in by_chat.items():
        assert all(b - a >= 1.0 for a, b in zip(times, times[1:])), f"chat {chat} got more than 1 message/s"
    assert max_in_window(by_chat[str(GROUP)], 60.0) <= 20
    assert max(by_chat[str(GROUP)]) - started >= 60.0  # the group's last 2 waited for the next minute
    assert max_in_window([c.at for c in ok], 1.0) <= 30
    refused = [c for c in world.fake.calls if c.method == "sendMessage" and "result" not in c.params]
    assert len(refused) == 1 and by_chat["3005"][0] - refused[0].at >= 4.0


async def test_429_waits_retry_after_then_sends_once(world):
    await world.start()
    world.fake.fail("sendMessage", 429, retry_after=7)
    await queue(world, 2001, "call Wang back")
    await world.deliver()
    attempts = world.fake.called("sendMessage")
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 7
    [row] = await world.outbox()
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_blocked_user_is_logged_and_kept_not_retried(world, caplog):
    await world.start()
    world.fake.fail("sendMessage", 403)
    await queue(world, 2001, "call Wang back")
    await world.deliver()
    [row] = await world.outbox()
    assert row.status == "failed" and "blocked" in row.last_error
    assert len(world.fake.called("sendMessage")) == 1
    assert any("failed for good" in r.getMessage() for r in caplog.records)


async def test_a_group_upgraded_to_a_supergroup_still_gets_the_message(world):
    await world.start()
    world.fake.fail("sendMessage", 400, migrate_to=-100999, description="Bad Request: group chat was upgraded to a supergroup chat", chat_id=-42)
    await queue(world, -42, "digest", "group")
    await world.deliver()
    assert [c.params["text"] for c in sends(world, -100999)] == ["digest"]
    [row] = await world.outbox()
    assert row.status == "sent"


async def test_photos_and_documents_are_uploaded_with_their_buttons(world, tmp_path):
    await world.start()
    chart = tmp_path / "pipeline.png"
    chart.write_bytes(b"\x89PNG fake chart")
    sheet = tmp_path / "customers.xlsx"
    sheet.write_bytes(b"PK fake sheet")
    buttons = [[Button("Done", "p:abc:done")]]
    await queue(world, 2001, "This week", image_path=str(chart), buttons=buttons)
    await queue(world, 2001, "Your export", file_path=str(sheet))
    await queue(world, 2001, "x" * 5000)  # longer than one Telegram message
    await world.deliver()
    [photo] = world.fake.called("sendPhoto")
    assert photo.files["photo"][1] == chart.read_bytes()
    assert photo.params["caption"] == "This week"
    assert photo.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "p:abc:done"
    [document] = world.fake.called("sendDocument")
    assert document.files["document"] == ("customers.xlsx", sheet.read_bytes())
    long_parts = [c.params["text"] for c in world.fake.called("sendMessage")]
    assert "".join(long_parts) == "x" * 5000 and all(len(p) <= 4096 for p in long_parts)
    assert {r.status for r in await world.outbox()} == {"sent"}


async def test_a_missing_attachment_fails_for_good(world, tmp_path):
    await world.start()
    await queue(world, 2001, "chart", image_path=str(tmp_path / "gone.png"))
    await world.deliver()
    [row] = await world.outbox()
    assert row.status == "failed" and "missing" in row.last_error


def test_long_text_is_split_on_lines():
    from bot.telegram.sender import chunks

    text = "\n".join(f"line {i} " + "y" * 90 for i in range(100))
    parts = chunks(text)
    assert "\n".join(parts) == text and all(len(p) <= 4096 for p in parts)
