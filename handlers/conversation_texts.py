"""What the bot says when it checks a reading, answers a question or carries out an instruction. Phone-sized."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # (English, Chinese)
    "filed_many": ("✓ {customers} · {channel}", "✓ 已记到 {customers} · {channel}"),
    "closed": ("✓ closed: {task}", "✓ 已完成：{task}"),
    "risk_cleared": ("✓ no longer: {risks}", "✓ 已解除：{risks}"),
    # asking about what the parser was unsure of
    "check_customer": ("Did you mean {name}?", "是{name}吗？"),
    "check_date": ("Follow-up {when} — right?", "跟进 {when}，对吗？"),
    "check_channel": ("Was it a {channel}?", "是{channel}吗？"),
    "check_amount": ("Amount {money} — right?", "金额 {money}，对吗？"),
    "check_risk": ("{risks} — right?", "{risks}，对吗？"),
    "check_outcome": ("{outcome} — right?", "{outcome}，对吗？"),
    "amount_too_large": (
        "Amount not recorded: too large. Send the right amount or edit your message.",
        "金额太大，没有记录。请发送正确的金额或修改消息。",
    ),
    "check_birthday": ("Birthday {date} — the customer's own?", "生日 {date}，是客户本人的吗？"),
    "btn_yes": ("Yes", "对"),
    "btn_ok": ("OK", "好的"),
    "btn_another_customer": ("Another customer", "其他客户"),
    "btn_no_follow_up": ("No follow-up", "不用跟进"),
    "btn_no_amount": ("No amount", "没有金额"),
    "btn_no_risk": ("No risk", "没有风险"),
    "btn_no": ("No", "不对"),
    "btn_not_theirs": ("Not theirs", "不是本人的"),
    "btn_cancel": ("Cancel", "取消"),
    "kept": ("✓ Kept.", "✓ 好的。"),
    "follow_up_removed": ("✓ No follow-up.", "✓ 不设跟进。"),
    "channel_set": ("✓ {channel}.", "✓ {channel}。"),
    "amount_removed": ("✓ No amount.", "✓ 已去掉金额。"),
    "risk_removed": ("✓ No risk.", "✓ 已去掉风险。"),
    "outcome_removed": ("✓ No outcome.", "✓ 已去掉结果。"),
    "birthday_removed": ("✓ Birthday not kept.", "✓ 不记这个生日。"),
    # questions answered from the data
    "unknown_customer": ("No customer called \"{q}\".", "没有叫“{q}”的客户。"),
    "contact": ("{name}: {contacts}", "{name}：{contacts}"),
    "no_contact": ("No phone or email for {name} yet.", "{name} 还没有电话或邮箱。"),
    "last_contact": ("Last contact with {name}: {when} ({channel}), {ago}.", "上次联系{name}：{when}（{channel}），{ago}。"),
    "never_contacted": ("No contact with {name} on record yet.", "还没有和{name}联系的记录。"),
    "status_next": ("Next: {when}: {task}", "下一步 {when}：{task}"),
    "status_none_open": ("No open follow-up.", "没有待跟进。"),
    "due_none": ("Nothing to follow up {day}. 🎉", "{day}没有要跟进的。🎉"),
    "due_header": ("To follow up {day} ({n}):", "{day}要跟进（{n}）："),
    # instructions in words
    "confirm_tier": ("Set {name} to {value}?", "把{name}设为{value}？"),
    "confirm_stage": ("Mark {name} as {value}?", "把{name}标记为{value}？"),
    "confirm_contact": ("Change {name}'s {field} to {value}?", "把{name}的{field}改成 {value}？"),
    "done_tier": ("✓ {name}: {value}.", "✓ {name}：{value}。"),
    "done_contact": ("✓ {name}: {field} updated.", "✓ {name}：{field}已更新。"),
    "cancelled": ("OK, nothing changed.", "好的，没有改动。"),
    "bad_phone": ("That doesn't look like a phone number.", "这个不像电话号码。"),
    "bad_email": ("That doesn't look like an email address.", "这个不像邮箱地址。"),
}

FIELD = {"en": {"phone": "phone", "email": "email"}, "zh": {"phone": "电话", "email": "邮箱"}}


def t(key: str, lang: str, **values) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)
