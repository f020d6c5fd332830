"""Strangers, wrong /join and /pair codes and role refusals leave an audit row (issue 13, low 12),
and codes cannot be guessed by trying: after a few wrong ones an account's codes are not checked
for an hour."""

from __future__ import annotations

from sqlmodel import select

from handlers import access
from storage.models import AuditLog, Invite

from .helpers import Person, seed_team


async def _audit(app, action: str) -> list[AuditLog]:
    async with app.db.read() as session:
        return list((await session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))).all())


async def test_a_stranger_is_audited_without_what_they_wrote(app):
    await seed_team(app)
    stranger = Person(app, "tg-666", platform="telegram")
    await stranger.say("my credit card is 4111 1111")
    await stranger.say("/customer 王伟")
    rows = await _audit(app, "stranger")
    assert [(r.platform, r.detail) for r in rows] == [("telegram", "tg-666 message"), ("telegram", "tg-666 /customer")]
    assert all("4111" not in r.detail for r in rows)


async def test_group_chatter_of_non_members_is_not_audited(app):
    await seed_team(app)
    await Person(app, "tg-7", platform="telegram", chat_id="-100", chat_kind="group").say("lunch?")
    assert await _audit(app, "stranger") == []


async def test_wrong_join_codes_are_audited_and_guessing_stops_after_a_few(app, clock):
    team = await seed_team(app)
    async with app.db.write() as session:
        session.add(Invite(code="RIGHT123", team_id=team["team"].id, role="rep", created_by=team["members"]["me"].id, created_at=clock()))
    guesser = Person(app, "tg-9", platform="telegram")
    for guess in range(access.CODE_TRIES):
        [reply] = await guesser.say(f"/join {guess:08X}")
        assert "not valid" in reply.text
    assert [r.detail for r in await _audit(app, "bad_code")] == ["tg-9 /join"] * access.CODE_TRIES
    [reply] = await guesser.say("/join RIGHT123")  # even the right code is not checked now
    assert "Too many wrong codes" in reply.text
    [reply] = await Person(app, "tg-10", platform="telegram").say("/join 00000000")  # another account is not held back
    assert "not valid" in reply.text
    clock.advance(hours=1, minutes=1)
    [reply] = await guesser.say("/join RIGHT123")
    assert "Welcome" in reply.text or "joined" in reply.text.lower()


async def test_wrong_pair_codes_are_audited_and_limited_too(app):
    await seed_team(app)
    guesser = Person(app, "sl-1", platform="slack")
    for _ in range(access.CODE_TRIES):
        [reply] = await guesser.say("/pair ABCDEF")
        assert "not valid" in reply.text
    [reply] = await guesser.say("/pair ABCDEF")
    assert "Too many wrong codes" in reply.text
    assert [(r.platform, r.detail) for r in await _audit(app, "bad_code")] == [("slack", "sl-1 /pair")] * access.CODE_TRIES


async def test_role_refusals_are_audited(app):
    await seed_team(app, members=(("boss", "admin"), ("rep", "rep", "boss")), customers=[{"name": "王伟", "owner": "boss"}])
    rep = Person(app, "rep")
    for command in ("/assign 王伟 rep", "/handover boss rep", "/invite rep", "/remove boss"):
        await rep.say(command)
    rows = await _audit(app, "refused")
    assert [r.detail for r in rows] == ["rep: /assign", "rep: /handover", "rep: /invite", "rep: /remove"]
    assert {r.member_id for r in rows} == {(await _member_id(app, "rep"))}


async def _member_id(app, name: str) -> int:
    from storage.models import Member

    async with app.db.read() as session:
        return (await session.exec(select(Member.id).where(Member.display_name == name))).one()
