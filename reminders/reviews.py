"""The review cycle: every customer is looked at by its owner at least every so many days for its tier
(storage/contact_plan.py: the team's plan, /plan; by default CRMBOT_REVIEW_DAYS_*: 30, 45, 60 days).

Once a week, on the owner's first working moment of it, the owner gets a short batched "to review"
list (the MAX_LINES most overdue) with one-tap answers under each customer: still active / change tier /
change stage / hand over / drop (handlers/review_buttons.py). Answering marks the customer reviewed
(an audit row "review"). One outbox row per owner and week (key review:member:ID:MONDAY).
"""
from __future__ import annotations

import datetime as dt

from chat import format as fmt
from chat.messages import Button, Outgoing
from storage import contact_plan, messaging
from storage.models import Customer, Member, Prompt

from . import push, workdays
from .destinations import member_destinations
from .texts import lang_of, t

MAX_LINES = 5


def key(member_id: int, monday: dt.date) -> str:
    return f"review:member:{member_id}:{monday.isoformat()}"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


async def due_for(session, owner_ids, now: dt.datetime, settings=None) -> dict[int, list[Customer]]:
    """Each owner's customers due for review by their team's plan, most overdue first."""
    customers = await contact_plan.reviewable(session, owner_ids=owner_ids)
    last = await contact_plan.last_reviews(session, [c.id for c in customers])
    plans = await contact_plan.team_plans(session, [c.team_id for c in customers], settings)
    due: dict[int, list[tuple[dt.datetime, Customer]]] = {}
    for c in customers:
        deadline = contact_plan.review_deadline(c, last, plans.get(c.team_id))
        if now >= deadline:
            due.setdefault(c.owner_id, []).append((deadline, c))
    return {owner: [c for _, c in sorted(items, key=lambda x: (x[0], x[1].id))] for owner, items in due.items()}


async def scan(app, now: dt.datetime, memo=None) -> int:
    settings = app.settings
    async with app.db.read() as session:
        _members, at_work = await workdays.active_members_at_work(session, now, settings, memo, "reviews")
        done = await push.existing_keys(session, [key(mid, _monday(v[2])) for mid, v in at_work.items()])
        owners = {mid: v for mid, v in at_work.items() if key(mid, _monday(v[2])) not in done}
        due = await due_for(session, owners, now, settings) if owners else {}
    queued = 0
    if due:
        async with app.db.write() as session:
            dests = await member_destinations(session, due)
            prompts, pushes = [], []
            for owner_id, customers in due.items():
                dest = dests.get(owner_id)
                if dest is None:
                    continue
                member, tz, today = owners[owner_id]
                shown = customers[:MAX_LINES]
                prompt_id = messaging.new_prompt_id()
                prompts.append(dict(id=prompt_id, member_id=owner_id, platform=dest.platform, chat_id=dest.chat_id, kind="review", data={"customers": [c.id for c in shown]}, status="open", created_at=now))
                message = render(member, shown, len(customers), prompt_id, now, tz)
                pushes.append(push.Push(key=key(owner_id, _monday(today)), kind="review", dest=dest, message=message, due_at=now, member_id=owner_id))
            if prompts:
                await (await session.connection()).execute(Prompt.__table__.insert(), prompts)
            queued = len(await push.queue_many(session, pushes))
    if memo is not None:
        for mid, (_m, _tz, today) in at_work.items():
            memo.done("reviews", mid, today)
    return queued


def render(member: Member, customers: list[Customer], total: int, prompt_id: str, now: dt.datetime, tz) -> Outgoing:
    lang = lang_of(member.language)
    lines = [t("review_head", lang, n=total)]
    rows = []
    for c in customers:
        tier, stage = fmt.TIER[lang].get(c.tier, c.tier), fmt.STAGE[lang].get(c.stage, c.stage)
        lines.append(f"• {c.name} · {tier} · {stage} · {fmt.ago(c.last_contact_at, now.astimezone(tz), lang)}")
        rows.append([Button(t("btn_review_active", lang, customer=fmt.clip(c.name, 12)), f"p:{prompt_id}:a{c.id}")] + [Button(t(f"btn_review_{w}", lang), f"p:{prompt_id}:{w[0]}{c.id}") for w in ("tier", "stage", "handover", "drop")])
    if total > len(customers):
        lines.append(t("more", lang, n=total - len(customers)))
    return Outgoing("\n".join(lines), rows)
