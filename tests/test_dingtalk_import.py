"""A spreadsheet sent to the DingTalk robot as a file is imported like on Telegram and Slack: stored
before the ack, fetched through messageFiles/download (the fake, port 0, through the real
dingtalk-stream SDK's connection), imported by handlers/imports.py, answered in the sender's language."""
from __future__ import annotations

from handlers import imports
from storage.models import Customer, Inbox

from .fakes.dingtalk_world import DingTalkWorld, dingtalk_world, dingtalk_world_any_db, fake_dingtalk  # noqa: F401  (fixtures)
from .helpers import seed_team

SHEET = "客户名称,公司,手机\n王建国,建国五金,13900001111\n刘敏,敏捷物流,13900002222\n".encode()


async def test_a_csv_sent_as_a_file_is_imported_and_summarised_in_chinese(dingtalk_world_any_db: DingTalkWorld):
    world = dingtalk_world_any_db
    await seed_team(world.app, (("staff01", "admin"),), platform="dingtalk")
    await world.start()
    await world.say("staff01", "你好，我是小李")  # a Chinese speaker
    before = len(world.fake.to("staff01"))

    await world.exchange(world.fake.file_message("staff01", "客户.csv", SHEET, created_ms=int(world.clock().timestamp() * 1000)))
    await imports.settle()
    await world.deliver()

    started, summary = world.fake.to("staff01")[before:]
    assert started.text.startswith("⏳ 正在导入 客户.csv") and "2" in summary.text and "导入" in summary.text
    assert {c.name for c in await world.rows(Customer)} == {"王建国", "刘敏"}
    assert len(world.fake.downloads) == 1
    file_rows = [r for r in await world.rows(Inbox) if r.payload.get("dingtalk", {}).get("msgtype") == "file"]
    assert len(file_rows) == 1 and file_rows[0].status == "handled"


async def test_a_redelivered_file_is_imported_once(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), platform="dingtalk")
    await world.start()
    data = world.fake.file_message("staff01", "customers.csv", SHEET, msg_id="msgFILE", created_ms=int(world.clock().timestamp() * 1000))

    await world.exchange(data)
    await imports.settle()
    await world.deliver()
    again = await world.exchange(data)  # DingTalk missed our ack and sends it again
    await imports.settle()
    await world.deliver()

    assert again == [] and len(world.fake.downloads) == 1 and len(world.fake.to("staff01")) == 2
    assert len(await world.rows(Customer)) == 2


async def test_a_file_dingtalk_will_not_give_and_a_pdf_get_one_friendly_line_and_import_nothing(dingtalk_world: DingTalkWorld):
    world = dingtalk_world
    await seed_team(world.app, (("staff01", "admin"),), platform="dingtalk")
    await world.start()
    gone = world.fake.file_message("staff01", "客户.xlsx", b"", created_ms=int(world.clock().timestamp() * 1000))
    world.fake.files.clear()  # the downloadCode no longer works
    pdf = world.fake.file_message("staff01", "brochure.pdf", b"%PDF-1.4", created_ms=int(world.clock().timestamp() * 1000))

    for data in (gone, pdf):
        [reply] = await world.exchange(data)
        assert reply.text and "Traceback" not in reply.text and len(reply.text.splitlines()) <= 2

    assert await world.rows(Customer) == [] and world.fake.downloads == []
