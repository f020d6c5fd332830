"""The customer index across processes: `crmbot import` (or another replica's edit) while the bot runs,
and the next note on every replica finds the customer. Two App instances on one database stand for two
replicas (each its own engine and its own in-memory index); the import runs the real command."""
from __future__ import annotations

import asyncio
import csv

from sqlmodel import select

from bot.cli import main
from bot.wiring import build_app
from handlers.customer_index import record_of
from storage.models import Customer, Interaction
from tests.conftest import make_settings
from tests.helpers import Person, rows, seed_team


def _sheet(path, *names: str) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "company", "phone"])
        for i, name in enumerate(names):
            writer.writerow([name, "Zenith Pumps", f"1380013{i:04d}"])
    return str(path)


async def _filed_on(app, text: str) -> list[str]:
    notes = await rows(app, Interaction, Interaction.text == text)
    customers = {c.id: c.name for c in await rows(app, Customer)}
    return [customers[n.customer_id] for n in notes]


async def test_a_customer_imported_while_replicas_run_is_found_by_the_next_note_on_each(db_url, tmp_path, clock, capsys):
    replicas = [build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False) for _ in range(2)]
    try:
        seeded = await seed_team(replicas[0], members=(("li", "admin"),), customers=[dict(name="王伟", company="Acme", owner="li")])
        people = [Person(app, "li") for app in replicas]
        for person in people:  # both replicas have built their index (it holds only 王伟)
            await person.say("called 王伟, wants a quote")
        builds = [app.services.indexes.builds for app in replicas]

        sheet = _sheet(tmp_path / "new.csv", "Zoltan Kovacs")
        await asyncio.to_thread(_cli, "import", sheet, "--db", db_url, "--team", seeded["team"].name)
        assert "1" in capsys.readouterr().out

        for i, person in enumerate(people):
            text = f"visited Zoltan Kovacs, replica {i}"
            await person.say(text)
            assert await _filed_on(replicas[i], text) == ["Zoltan Kovacs"]
        assert [app.services.indexes.builds for app in replicas] == [b + 1 for b in builds]  # each rebuilt once
        await people[0].say("called Zoltan Kovacs again")  # … and then keeps it
        assert replicas[0].services.indexes.builds == builds[0] + 1
    finally:
        for app in replicas:
            await app.close()


async def test_an_edit_on_one_replica_reaches_the_other_and_its_own_edit_needs_no_rebuild(db_url, tmp_path, clock):
    first, second = (build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False) for _ in range(2))
    try:
        seeded = await seed_team(first, members=(("li", "admin"),), customers=[dict(name="王伟", company="Acme", owner="li")])
        team_id = seeded["team"].id
        for app in (first, second):
            await app.services.indexes.parser(team_id)
        builds = (first.services.indexes.builds, second.services.indexes.builds)

        # the first replica renames 王伟 and patches its own index in the same transaction (as /rename does)
        async with first.db.write() as session:
            wang = (await session.exec(select(Customer).where(Customer.name == "王伟"))).one()
            wang.aliases = ["老王"]
            session.add(wang)
            first.services.indexes.upsert(team_id, record_of(wang), session)

        for app in (first, second):
            parser = await app.services.indexes.parser(team_id)
            assert parser.index.match("给老王打了电话").customer.name == "王伟"
        assert first.services.indexes.builds == builds[0]  # its own change: patched, still current
        assert second.services.indexes.builds == builds[1] + 1  # the other replica's: rebuilt once
    finally:
        await first.close()
        await second.close()


async def test_a_notification_rebuilds_early_on_postgresql(db_url, tmp_path, clock):
    first, second = (build_app(make_settings(db_url, tmp_path), clock=clock, migrate=False) for _ in range(2))
    if first.db.is_sqlite:
        await first.close()
        await second.close()
        return  # (LISTEN/NOTIFY is PostgreSQL's; SQLite relies on the check before each match)
    listening = None
    try:
        seeded = await seed_team(first, members=(("li", "admin"),))
        team_id = seeded["team"].id
        await second.services.indexes.parser(team_id)
        builds = second.services.indexes.builds
        ready = asyncio.Event()
        listening = asyncio.create_task(second.services.indexes.listen(db_url, ready))
        await asyncio.wait_for(ready.wait(), 10)
        async with first.db.write() as session:
            session.add(Customer(team_id=team_id, name="Ada Byron"))
        for _ in range(500):  # until the notification's rebuild has happened (a bounded wait for an event)
            if second.services.indexes.builds > builds:
                break
            await asyncio.sleep(0.01)
        assert second.services.indexes.builds == builds + 1
        parser = await second.services.indexes.parser(team_id)
        assert second.services.indexes.builds == builds + 1  # the note after it pays nothing
        assert parser.index.match("called Ada Byron").customer.name == "Ada Byron"
    finally:
        if listening is not None:
            listening.cancel()
        await first.close()
        await second.close()


def _cli(*argv: str) -> None:
    try:
        main(list(argv))
    except SystemExit as exit_:
        assert not exit_.code, exit_.code


async def test_an_index_dropped_while_its_version_is_read_is_built_again(db_url, tmp_path, monkeypatch):
    """Regression (the fleet test at load 12): a note's index lookup awaits the team's version; another note
    failing meanwhile drops every index (drop_all), and the lookup raised KeyError, failing this note too."""
    from handlers import customer_index

    app = build_app(make_settings(db_url, tmp_path), migrate=False)
    try:
        team = (await seed_team(app, customers=({"name": "王伟"},)))["team"]
        indexes = app.services.indexes
        assert await indexes.parser(team.id) is not None
        read = customer_index.team_versions.current

        async def read_while_another_note_fails(session, team_id):
            indexes.drop_all()
            return await read(session, team_id)

        monkeypatch.setattr(customer_index.team_versions, "current", read_while_another_note_fails)
        builds = indexes.builds
        assert await indexes.parser(team.id) is not None
        assert indexes.builds == builds + 1
    finally:
        await app.close()
