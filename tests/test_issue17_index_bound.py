"""The customer indexes a process holds are bounded by customers, not only by teams (issue 17: a million customers
over many teams in one process): the least recently used team's index goes first, the one just built stays, and a
dropped team's index is built again on its next note."""
from __future__ import annotations

import gc

from handlers import customer_index
from storage import crm
from storage.models import Customer


async def _team_with(app, name: str, customers: int) -> int:
    async with app.db.write() as session:
        team = await crm.create_team(session, name, "Asia/Shanghai")
        for i in range(customers):
            await crm.add_customer(session, Customer(team_id=team.id, name=f"{name}客户{i}", company=f"{name}公司"))
        return team.id


async def test_indexes_beyond_the_customer_budget_are_dropped_least_recently_used_first(app, monkeypatch):
    monkeypatch.setattr(customer_index, "MAX_CUSTOMERS", 25)
    a, b, c = [await _team_with(app, name, 10) for name in ("甲", "乙", "丙")]
    indexes = app.services.indexes
    await indexes.parser(a)
    await indexes.parser(b)
    assert set(indexes._parsers) == {a, b}  # 20 customers: within the budget
    await indexes.parser(a)  # a is now the most recently used
    await indexes.parser(c)  # 30 > 25: b goes, not a
    assert list(indexes._parsers) == [a, c]
    builds = indexes.builds
    parser = await indexes.parser(b)  # built again when asked for
    assert indexes.builds == builds + 1 and len(parser.index) == 10
    assert list(indexes._parsers) == [c, b]


async def test_one_team_larger_than_the_budget_is_still_held(app, monkeypatch):
    monkeypatch.setattr(customer_index, "MAX_CUSTOMERS", 5)
    team = await _team_with(app, "丁", 8)
    parser = await app.services.indexes.parser(team)
    assert list(app.services.indexes._parsers) == [team] and len(parser.index) == 8
    assert await app.services.indexes.parser(team) is parser  # kept: the next note does not rebuild


async def test_a_large_build_leaves_the_collector_on_and_the_index_frozen(app, monkeypatch):
    monkeypatch.setattr(customer_index, "FREEZE_AT", 3)
    small, large = await _team_with(app, "戊", 2), await _team_with(app, "己", 3)
    gc.unfreeze()
    try:
        parser = await app.services.indexes.parser(small)
        assert gc.isenabled() and gc.get_freeze_count() == 0
        assert any(obj is parser.index for obj in gc.get_objects())
        parser = await app.services.indexes.parser(large)
        assert gc.isenabled() and gc.get_freeze_count() > 0
        assert not any(obj is parser.index for obj in gc.get_objects())  # frozen: out of the collector's passes
    finally:
        gc.unfreeze()
