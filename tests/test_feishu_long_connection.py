"""Feishu long-connection mode: the SDK's own WebSocket client (endpoint discovery, protobuf frames)
against the fake's WebSocket on 127.0.0.1; events are answered only once they are in the inbox."""
from __future__ import annotations

import pytest

from storage.models import Inbox, Interaction, Task

from .fakes.feishu_api import APP_ID, FakeFeishuAPI, FeishuEnv, feishu_settings, feishu_ws_env  # noqa: F401  (fixtures)
from .helpers import rows, seed_team

CUSTOMERS = [{"name": "李娜", "company": "星河贸易"}, {"name": "王伟", "company": "华东机电", "aliases": ["王总"]}]


@pytest.fixture
async def team(feishu_ws_env: FeishuEnv) -> FeishuEnv:
    await seed_team(feishu_ws_env.app, (("ou_boss", "admin"),), CUSTOMERS, platform="feishu")
    feishu_ws_env.api.add_user("ou_boss", "老板")
    return feishu_ws_env


async def test_a_dm_note_over_the_long_connection_is_stored_before_its_answer_and_confirmed(team: FeishuEnv):
    assert any(c.method == "POST /callback/ws/endpoint" and c.args == {"AppID": APP_ID} for c in team.api.calls)
    team.adapter._spawn = lambda work: work.close()  # hold the handling: what the answer waited for is the inbox row
    code, _ = await team.tenant.dm("ou_boss", "拜访了李娜，下周三前发报价")
    assert code == 200
    [row] = await rows(team.app, Inbox)
    assert row.status == "received"

    del team.adapter._spawn  # back to the class's own: Feishu's redelivery of a stored, unhandled event is handled once
    event = team.tenant.message_event("ou_boss", "拜访了李娜，下周三前发报价", message_id=row.key.split(":", 2)[2])
    for _ in range(2):
        assert (await team.tenant.deliver(event))[0] == 200
        await team.settle()
    [note] = await rows(team.app, Interaction)
    [card] = team.api.to("ou_boss")
    assert card["msg_type"] == "interactive" and "李娜" in team.api.texts("ou_boss")[0]


async def test_button_press_and_group_mention_over_the_long_connection(team: FeishuEnv):
    code, _ = await team.tenant.mention("ou_boss", "oc_sales", "拜访了王总，明天发报价")
    assert code == 200
    await team.settle()
    [confirmation] = team.api.to("oc_sales")
    assert "王伟" in team.api.texts("oc_sales")[0]

    code, answer = await team.tenant.press("ou_boss", confirmation, "撤销")
    assert (code, answer) == (200, {})  # the card callback's answer travels back in the frame
    await team.settle()
    assert await rows(team.app, Task, Task.status == "open") == []
    assert len(team.api.to("oc_sales")) == 2


async def test_a_redelivery_over_the_long_connection_is_answered_once(team: FeishuEnv):
    event = team.tenant.message_event("ou_boss", "拜访了李娜，下周三前发报价")
    for _ in range(2):
        assert (await team.tenant.deliver(event))[0] == 200
        await team.settle()
    assert len(await rows(team.app, Interaction)) == 1 and len(team.api.to("ou_boss")) == 1


async def test_when_the_inbox_cannot_be_written_the_frame_says_500(team: FeishuEnv, monkeypatch):
    from bot.feishu import inbox

    async def broken(db, item):
        raise OSError("disk full")

    monkeypatch.setattr(inbox, "store", broken)
    code, _ = await team.tenant.dm("ou_boss", "拜访了李娜")
    assert code == 500
    assert await rows(team.app, Inbox) == []


async def test_refused_credentials_stop_the_start_with_a_clear_message(sqlite_url, tmp_path, clock):
    from bot.feishu.adapter import FeishuConfigError
    from bot.wiring import build_app
    from tests.conftest import make_settings

    api = FakeFeishuAPI()
    await api.start()
    try:
        settings = feishu_settings(api, http=False) | {"feishu_app_secret": "wrong"}
        app = build_app(make_settings(sqlite_url, tmp_path, **settings), clock=clock, migrate=False, with_adapters=True)
        [adapter] = app.adapters
        with pytest.raises(FeishuConfigError, match="Feishu refused"):
            await adapter.start()
        await adapter.stop()
        await app.close()
    finally:
        await api.stop()
