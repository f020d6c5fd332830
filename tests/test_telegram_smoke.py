from tests.fakes.telegram_api import user
from tests.fakes.telegram_world import fake_telegram, world  # noqa: F401
from tests.helpers import seed_team

LI = user(1001, "Li", language_code="en")


async def test_smoke(world):
    await seed_team(world.app, members=(("1001", "admin"),), customers=({"name": "Wang Lei", "company": "Acme", "owner": "1001"},), platform="telegram")
    await world.start()
    world.fake.say(LI, "called Wang Lei, wants a quote")
    msg = await world.reply(1001)
    print(msg)
    assert "Wang Lei" in msg["text"]
