"""The rights of the people in the CRM (China's PIPL, GDPR): see everything held about one
customer (``export_customer``) and have it erased (``forget``).

Erasure deletes the customer, its interactions, tasks, shares and corrections; drops the pending pushes about
it; blanks the stored incoming messages those notes came from and the replies that quoted them;
and keeps only the bare audit trail (who did what when, no names or text), plus one row recording
the deletion itself.

A push is "about" a customer when its body.meta names it: ``customer_id``, ``customers`` (a
list) or ``task_id`` of one of its tasks. The scheduler puts these in every push it queues.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from . import corrections
from .crm import audit
from .models import AuditLog, Customer, CustomerShare, Inbox, Interaction, Member, Outbox, Task


async def counts(session: AsyncSession, customer_id: int) -> tuple[int, int]:
    """(interactions, tasks) held about a customer: what a deletion will remove."""
    notes = (await session.exec(select(func.count(Interaction.id)).where(Interaction.customer_id == customer_id))).one()
    tasks = (await session.exec(select(func.count(Task.id)).where(Task.customer_id == customer_id))).one()
    return notes, tasks


def is_about(row: Outbox, customer_id: int, task_ids: set[int]) -> bool:
    meta = (row.body or {}).get("meta") or {}
    return meta.get("customer_id") == customer_id or customer_id in (meta.get("customers") or []) or meta.get("task_id") in task_ids


async def pending_pushes_about(session: AsyncSession, customer_id: int, task_ids: set[int]) -> list[Outbox]:
    rows = (await session.exec(select(Outbox).where(col(Outbox.status).in_(("pending", "sending")), Outbox.kind != "reply"))).all()
    return [row for row in rows if is_about(row, customer_id, task_ids)]


async def forget(session: AsyncSession, customer: Customer, *, member_id: int | None, platform: str | None) -> dict:
    """Erase one customer (inside the caller's transaction). Returns what was removed."""
    cid = customer.id
    notes = list((await session.exec(select(Interaction).where(Interaction.customer_id == cid))).all())
    note_ids = {n.id for n in notes}
    task_stmt = select(Task).where(or_(Task.customer_id == cid, col(Task.interaction_id).in_(note_ids)) if note_ids else Task.customer_id == cid)
    tasks = list((await session.exec(task_stmt)).all())
    task_ids = {t.id for t in tasks}

    pushes = await pending_pushes_about(session, cid, task_ids)
    for row in pushes:
        row.status, row.last_error, row.body = "dropped", "customer deleted", {"text": ""}
        session.add(row)
    await _blank_messages(session, [n.source_key for n in notes if n.source_key])

    await corrections.forget_customer(session, cid, note_ids)
    for task in tasks:
        await session.delete(task)
    await session.flush()
    for note in notes:
        await session.delete(note)
    for share in (await session.exec(select(CustomerShare).where(CustomerShare.customer_id == cid))).all():
        await session.delete(share)
    await session.flush()
    for row in (await session.exec(select(AuditLog).where(AuditLog.customer_id == cid))).all():
        row.detail = ""  # the trail stays (who, what, when); names and note text go
        session.add(row)
    team_id = customer.team_id
    await session.delete(customer)
    await session.flush()
    removed = {"notes": len(notes), "tasks": len(tasks), "pushes": len(pushes)}
    await audit(session, "forget", team_id=team_id, member_id=member_id, customer_id=cid, platform=platform, detail=f"{removed['notes']} notes, {removed['tasks']} tasks, {removed['pushes']} pushes")
    return removed


async def _blank_messages(session: AsyncSession, keys: list[str]) -> None:
    """Incoming messages that became the deleted notes, and the replies quoting them: keep the key
    (redelivery stays a no-op), drop the text."""
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        for row in (await session.exec(select(Inbox).where(col(Inbox.key).in_(chunk)))).all():
            row.payload = {}
            session.add(row)
        replies = or_(*[col(Outbox.key).startswith(f"reply:{k}:", autoescape=True) for k in chunk])
        for row in (await session.exec(select(Outbox).where(replies))).all():
            row.body = {"text": ""}
            session.add(row)


# --- access right ----------------------------------------------------------------------------------
def _when(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat() if value else None


async def export_customer(session: AsyncSession, customer: Customer) -> dict:
    """Everything held about one customer, as plain JSON-ready data (decrypted)."""
    cid = customer.id
    names = {m.id: m.display_name for m in (await session.exec(select(Member).where(Member.team_id == customer.team_id))).all()}
    shares = (await session.exec(select(CustomerShare).where(CustomerShare.customer_id == cid))).all()
    notes = (await session.exec(select(Interaction).where(Interaction.customer_id == cid).order_by(Interaction.occurred_at, Interaction.id))).all()
    tasks = (await session.exec(select(Task).where(Task.customer_id == cid).order_by(Task.id))).all()
    trail = (await session.exec(select(AuditLog).where(AuditLog.customer_id == cid).order_by(AuditLog.at, AuditLog.id))).all()
    pushes = await pending_pushes_about(session, cid, {t.id for t in tasks})
    return {
        "customer": {
            "id": cid,
            "name": customer.name,
            "company": customer.company,
            "aliases": list(customer.aliases),
            "phone": customer.phone,
            "email": customer.email,
            "tier": customer.tier,
            "stage": customer.stage,
            "birthday": customer.birthday,
            "lunar_birthday": customer.lunar_birthday,
            "tags": list(customer.tags),
            "language": customer.language,
            "owner": names.get(customer.owner_id),
            "shared_with": [names.get(s.member_id) for s in shares],
            "last_contact_at": _when(customer.last_contact_at),
            "created_at": _when(customer.created_at),
            "updated_at": _when(customer.updated_at),
        },
        "interactions": [
            {
                "id": n.id, "author": names.get(n.author_id), "channel": n.channel, "text": n.text, "occurred_at": _when(n.occurred_at),
                "amount": n.amount, "currency": n.currency, "risk": list(n.risk), "outcome": n.outcome, "status": n.status, "created_at": _when(n.created_at),
            }
            for n in notes
        ],
        "tasks": [
            {
                "id": t.id, "assignee": names.get(t.assignee_id), "text": t.text, "due_at": _when(t.due_at), "due_has_time": t.due_has_time,
                "status": t.status, "done_at": _when(t.done_at), "created_at": _when(t.created_at),
            }
            for t in tasks
        ],
        "pending_messages": [{"id": p.id, "kind": p.kind, "text": (p.body or {}).get("text", ""), "due_at": _when(p.due_at)} for p in pushes],
        "audit": [{"at": _when(a.at), "member": names.get(a.member_id), "action": a.action, "platform": a.platform, "detail": a.detail} for a in trail],
    }


# --- the operator's look-ups (crmbot audit / export-customer) -------------------------------------
async def customers_matching(session: AsyncSession, text_: str) -> list[Customer]:
    """A customer by id ('12' or '#12') or by exact name, case-insensitive (every team)."""
    text_ = text_.strip()
    if text_.lstrip("#").isdigit() and len(text_) <= 10:
        found = await session.get(Customer, int(text_.lstrip("#")))
        return [found] if found else []
    return list((await session.exec(select(Customer).where(func.lower(Customer.name) == text_.lower()).order_by(Customer.id))).all())


async def members_matching(session: AsyncSession, text_: str) -> list[Member]:
    text_ = text_.strip()
    if text_.lstrip("#").isdigit() and len(text_) <= 10:
        found = await session.get(Member, int(text_.lstrip("#")))
        return [found] if found else []
    return list((await session.exec(select(Member).where(func.lower(Member.display_name) == text_.lower()).order_by(Member.id))).all())


async def audit_trail(session: AsyncSession, *, customer_ids: list[int] | None = None, member_ids: list[int] | None = None, limit: int = 200) -> list[tuple[AuditLog, str | None, str | None]]:
    """Newest first: (row, member name, customer name — None once the customer is deleted)."""
    stmt = select(AuditLog, Member.display_name, Customer.name).join(Member, col(Member.id) == col(AuditLog.member_id), isouter=True).join(
        Customer, col(Customer.id) == col(AuditLog.customer_id), isouter=True
    )
    if customer_ids is not None:
        stmt = stmt.where(col(AuditLog.customer_id).in_(customer_ids))
    if member_ids is not None:
        stmt = stmt.where(col(AuditLog.member_id).in_(member_ids))
    return list((await session.exec(stmt.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit))).all())
