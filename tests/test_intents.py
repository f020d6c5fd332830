"""Reading questions and instructions to the bot (handlers/intents.py): what they ask, and that notes stay notes."""
from __future__ import annotations

import pytest

from handlers.intents import Intent, read


@pytest.mark.parametrize(
    "text, expected",
    [
        ("张伟的电话是多少？", Intent("contact", name="张伟", field="phone")),
        ("请问王芳的手机号是多少", Intent("contact", name="王芳", field="phone")),
        ("刘总的邮箱是什么？", Intent("contact", name="刘总", field="email")),
        ("李娜的联系方式？", Intent("contact", name="李娜", field="phone")),
        ("what's Acme's phone", Intent("contact", name="Acme", field="phone")),
        ("What is the email for Globex?", Intent("contact", name="Globex", field="email")),
        ("Initech phone number?", Intent("contact", name="Initech", field="phone")),
        ("今天要跟进哪些客户？", Intent("due", value="today")),
        ("明天要拜访谁", Intent("due", value="tomorrow")),
        ("今天的待办", Intent("due", value="today")),
        ("who do I need to follow up today", Intent("due", value="today")),
        ("What's due tomorrow?", Intent("due", value="tomorrow")),
        ("today's follow-ups?", Intent("due", value="today")),
        ("张伟最近怎么样", Intent("status", name="张伟")),
        ("how is Wang doing?", Intent("status", name="Wang")),
        ("what's new with Acme", Intent("status", name="Acme")),
        ("when did I last talk to Wang", Intent("last_contact", name="Wang")),
        ("When was the last time we met Globex?", Intent("last_contact", name="Globex")),
        ("上次跟王伟联系是什么时候？", Intent("last_contact", name="王伟")),
        ("赵总上次见面是哪天", Intent("last_contact", name="赵总")),
        ("把张伟设为重要客户", Intent("set_tier", name="张伟", value="important")),
        ("帮我把王芳标记为流失", Intent("set_stage", name="王芳", value="churned")),
        ("set Initech to VIP", Intent("set_tier", name="Initech", value="important")),
        ("mark Acme as lost", Intent("set_stage", name="Acme", value="churned")),
        ("make Globex a key account", Intent("set_tier", name="Globex", value="important")),
        ("把王芳的电话改成13812345678", Intent("set_contact", name="王芳", field="phone", value="13812345678")),
        ("change Acme's email to ops@acme.test", Intent("set_contact", name="Acme", field="email", value="ops@acme.test")),
    ],
)
def test_questions_and_instructions(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize(
    "note",
    [
        "他问价格",
        "客户问什么时候发货",
        "王总问我们的电话是多少",
        "she asked for our phone number",
        "Acme asked when we can deliver?",
        "called Wang, wants quote Friday",
        "拜访了李娜，下周三前发报价",
        "张伟电话，周五报价",
        "王伟的电话是13812345678",  # giving a number is a note (or an import), not a question
        "how's it going",
        "set up a meeting with Acme to discuss pricing",
        "今天拜访了张伟，他最近生意不错",
        "Wang: what's the lead time? need answer by Friday",
        "张总说他们最近怎么样都要降价",
        "客户说今天要跟进一下物流",
        "把王总的电话改成明天打",
        "",
    ],
)
def test_notes_stay_notes(note):
    assert read(note) is None
