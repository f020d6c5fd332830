"""Slack's modals for the edit forms of handlers/edit_forms.py, and the "Log as CRM note" message shortcut.

An *Edit* button (on a customer card, on a follow-up of the App Home tab, a reminder's Reschedule)
opens a modal with views.open and the press's trigger_id: the follow-up form (date picker, optional
time picker) or the customer form (tier, stage and, for managers and admins, the owner among the team's
members). Its submission is read back here as the neutral form; what is wrong with it is shown in the
modal (response_action "errors", by block id = the form's field names), else the modal closes and the
change is applied like any message (stored first, handled once).
"""
from __future__ import annotations

import json

from handlers.edit_forms import CustomerForm, Refusal, TaskForm, text

EDIT_ACTION_PREFIX = "crm_edit:"  # action_id crm_edit:<what>; value "task:12" / "customer:7"
CALLBACK_PREFIX = "crm_form:"  # a modal's callback_id: crm_form:task / crm_form:customer
SHORTCUT_CALLBACK = "log_crm_note"  # the message shortcut in slack-manifest.yml
ACTION_ID = "value"  # every input's element
METADATA_LIMIT = 3000  # Slack's limit on private_metadata
KINDS = ("task", "customer")


def edit_target(value: str | None) -> tuple[str, int] | None:
    """An Edit button's value, "task:12" → ("task", 12); None for anything else."""
    kind, _, number = (value or "").partition(":")
    if kind not in KINDS or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return kind, int(number)


def edit_button(label: str, value: str) -> dict:
    return {"type": "button", "action_id": f"{EDIT_ACTION_PREFIX}{value}"[:255], "value": value, "text": {"type": "plain_text", "text": label[:75], "emoji": True}}


def origin_of(body: dict) -> dict:
    """Where the Edit was pressed, for the confirmation: a channel's id; {} for a DM or the Home tab
    (answered in the member's DM)."""
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    channel_id = channel.get("id") or container.get("channel_id") or ""
    if not channel_id or channel_id.startswith("D") or channel.get("name") == "directmessage":
        return {}
    return {"channel": str(channel_id)[:40]}


def _plain(value: str, limit: int = 75) -> dict:
    return {"type": "plain_text", "text": value[:limit] or "·", "emoji": True}


def _modal(kind: str, title: str, lang: str, blocks: list[dict], metadata: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": CALLBACK_PREFIX + kind,
        "title": _plain(title, 24),
        "submit": _plain(text("save", lang), 24),
        "close": _plain(text("cancel", lang), 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":"))[:METADATA_LIMIT],
        "blocks": blocks,
    }


def _option(value: str, label: str) -> dict:
    return {"text": _plain(label), "value": value[:150]}


def _select(block_id: str, label: str, options: list[tuple[str, str]], current: str | None) -> dict:
    element: dict = {"type": "static_select", "action_id": ACTION_ID, "options": [_option(v, l) for v, l in options[:100]]}
    chosen = [o for o in element["options"] if o["value"] == current]
    if chosen:
        element["initial_option"] = chosen[0]
    return {"type": "input", "block_id": block_id, "label": _plain(label, 2000), "element": element}


def task_view(form: TaskForm, origin: dict) -> dict:
    lang = form.lang
    time: dict = {"type": "timepicker", "action_id": ACTION_ID}
    if form.time is not None:
        time["initial_time"] = form.time.strftime("%H:%M")
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "plain_text", "text": f"#{form.task_id} {form.line}"[:3000], "emoji": True}},
        {"type": "input", "block_id": "date", "label": _plain(text("date", lang), 2000), "element": {"type": "datepicker", "action_id": ACTION_ID, "initial_date": form.date.isoformat()}},
        {"type": "input", "block_id": "time", "optional": True, "label": _plain(text("time", lang), 2000), "element": time},
    ]
    return _modal("task", text("task_title", lang), lang, blocks, {"task": form.task_id, "origin": origin})


def customer_view(form: CustomerForm, origin: dict) -> dict:
    lang = form.lang
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "plain_text", "text": form.name[:3000], "emoji": True}},
        _select("tier", text("tier", lang), [(c.value, c.label) for c in form.tiers], form.tier),
        _select("stage", text("stage", lang), [(c.value, c.label) for c in form.stages], form.stage),
    ]
    if form.owners:
        blocks.append(_select("owner", text("owner", lang), [(c.value, c.label) for c in form.owners], str(form.owner_id) if form.owner_id else None))
    return _modal("customer", text("customer_title", lang), lang, blocks, {"customer": form.customer_id, "origin": origin})


def refusal_view(refusal: Refusal) -> dict:
    """A modal saying why there is nothing to edit (no submit button)."""
    return {
        "type": "modal",
        "title": _plain(text("denied_title", refusal.lang), 24),
        "close": _plain(text("close", refusal.lang), 24),
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": refusal.text[:3000], "emoji": True}}],
    }


def view_for(form: TaskForm | CustomerForm | Refusal, origin: dict) -> dict:
    if isinstance(form, TaskForm):
        return task_view(form, origin)
    if isinstance(form, CustomerForm):
        return customer_view(form, origin)
    return refusal_view(form)


def form_of(view: dict) -> tuple[dict, dict] | None:
    """A submitted modal as (the neutral form, where its Edit was pressed); None when it is none of ours
    or cannot be read."""
    if not isinstance(view, dict):
        return None
    kind = str(view.get("callback_id") or "").removeprefix(CALLBACK_PREFIX)
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return None
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if kind not in KINDS or not isinstance(metadata, dict) or not isinstance(values, dict):
        return None
    where = metadata.get("origin")
    channel = where.get("channel") if isinstance(where, dict) else None
    origin = {"channel": channel[:40]} if isinstance(channel, str) and channel else {}

    def element(block: str) -> dict:
        found = (values.get(block) or {}).get(ACTION_ID) if isinstance(values.get(block), dict) else None
        return found if isinstance(found, dict) else {}

    def option(block: str) -> str | None:
        chosen = element(block).get("selected_option")
        return chosen.get("value") if isinstance(chosen, dict) and isinstance(chosen.get("value"), str) else None

    if kind == "task":
        date, time = element("date").get("selected_date"), element("time").get("selected_time")
        return {"kind": "task", "task": metadata.get("task"), "date": date if isinstance(date, str) else None, "time": time if isinstance(time, str) else None}, origin
    owner = option("owner")
    return {
        "kind": "customer",
        "customer": metadata.get("customer"),
        "tier": option("tier"),
        "stage": option("stage"),
        "owner": int(owner) if owner and owner.isascii() and owner.isdigit() and len(owner) <= 18 else (-1 if owner else None),
    }, origin


def block_errors(errors: dict[str, str], view: dict) -> dict[str, str]:
    """The form's errors by the modal's block ids (a field the modal does not show: its first input)."""
    found = view.get("blocks") if isinstance(view, dict) else None
    blocks: list = found if isinstance(found, list) else []
    inputs = [str(b.get("block_id")) for b in blocks if isinstance(b, dict) and b.get("type") == "input"]
    first = inputs[0] if inputs else "date"
    out: dict[str, str] = {}
    for field, message in errors.items():
        block = field if field in inputs else first
        out[block] = (out[block] + " " + message) if block in out else message
    return {k: v[:150] for k, v in out.items()}
