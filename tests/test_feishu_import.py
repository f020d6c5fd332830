"""A spreadsheet sent to the Feishu bot as a file is imported like on Telegram and Slack: the event
stored before its answer, the file fetched from im/v1/messages/:id/resources/:key (the fake Open API,
port 0), imported by handlers/imports.py, answered in the sender's language (issue 15)."""
from __future__ import annotations

from handlers import imports
from storage.models import Customer, Inbox

from .fakes.feishu_api import FeishuEnv, feishu_env, feishu_env_any_db  # noqa: F401  (fixtures)
from .helpers import rows, seed_team

SHEET = "客户名称,公司,手机\n王建国,建国五金,13900001111\n刘敏,敏捷物流,13900002222\n".encode()


async def _seed(env: FeishuEnv) -> None:
    await seed_team(env.app, (("ou_boss", "admin"),), platform="feishu")
    env.api.add_user("ou_boss", "老板")
    await env.tenant.dm("ou_boss", "你好，我是老板")  # Feishu's events carry no locale: the language is learnt from what they write
    await env.settle()


def _file_event(env: FeishuEnv, key: str, name: str, message_id: str | None = None) -> dict:
    return env.tenant.message_event("ou_boss", "", message_type="file", content={"file_key": key, "file_name": name}, message_id=message_id)


async def test_a_csv_sent_as_a_file_is_imported_and_summarised_in_chinese(feishu_env_any_db: FeishuEnv):
    env = feishu_env_any_db
    await _seed(env)
    env.api.files["file_v3_1"] = SHEET
    before = len(env.api.texts("ou_boss"))

    assert (await env.tenant.deliver(_file_event(env, "file_v3_1", "客户.csv")))[0] == 200
    await env.settle()
    await imports.settle()  # the import runs after the message's own short transaction
    await env.settle()

    started, summary = env.api.texts("ou_boss")[before:]
    assert started.startswith("⏳ 正在导入 客户.csv") and "导入" in summary and "2" in summary
    assert {c.name for c in await rows(env.app, Customer)} == {"王建国", "刘敏"}
    fetched = [c for c in env.api.calls if c.method.startswith("GET /im/v1/messages/") and "/resources/file_v3_1" in c.method]
    assert len(fetched) == 1 and fetched[0].args.get("type") == "file"
    assert all(r.status == "handled" for r in await rows(env.app, Inbox))


async def test_a_redelivered_file_is_imported_once_and_a_file_feishu_will_not_give_gets_one_line(feishu_env: FeishuEnv):
    env = feishu_env
    await _seed(env)
    env.api.files["file_v3_2"] = SHEET
    event = _file_event(env, "file_v3_2", "customers.csv", message_id="om_file_once")

    for _ in range(2):  # Feishu delivers it again (it missed our answer)
        assert (await env.tenant.deliver(event))[0] == 200
        await env.settle()
        await imports.settle()
        await env.settle()
    before = len(env.api.texts("ou_boss"))
    assert (await env.tenant.deliver(_file_event(env, "file_gone", "客户2.csv")))[0] == 200
    await env.settle()

    fetched = [c for c in env.api.calls if "/resources/file_v3_2" in c.method]
    assert len(fetched) == 1
    [line] = env.api.texts("ou_boss")[before:]
    assert line and "\n" not in line.strip()
    assert len(await rows(env.app, Customer)) == 2
