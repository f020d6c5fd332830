"""Commands given hostile arguments answer one friendly line and change nothing (issue 13)."""

from __future__ import annotations

from handlers.texts import t
from tests.helpers import Person, seed_team

CUSTOMERS = ({"name": "Wang Lei", "company": "Acme", "owner": "me"}, {"name": "李娜", "company": "华为", "owner": "me"})


async def test_find_wildcards_match_themselves(app_any_db):
    await seed_team(app_any_db, customers=CUSTOMERS)
    me = Person(app_any_db, "me")
    for query in ("%", "_", "%%", "\\"):
        await me.say(f"/find {query}")
        assert "Wang Lei" not in me.text and "李娜" not in me.text, query
    await me.say("/find Wang")
    assert "Wang Lei" in me.text


async def test_done_with_a_huge_or_odd_number_is_one_line(app_any_db):
    await seed_team(app_any_db, customers=CUSTOMERS)
    me = Person(app_any_db, "me")
    [reply] = await me.say("/done 99999999999999999999")
    assert reply.text == t("done_unknown", "en", n="99999999999999999999")
    [reply] = await me.say("/done ²")
    assert reply.text == t("done_usage", "en")
