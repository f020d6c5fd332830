"""When several customers answer to what was typed, offer them as buttons; the press re-runs the command.

Every command that takes a customer goes through ``customer_or_choice`` (in ``customer_lookup``, below
every command module): one match is returned, several become a question whose buttons carry the
customer's id into the command again ("/customer #12"). The press, here, runs the command table.
"""
from __future__ import annotations

from storage import messaging

from .context import Context
from .customer_lookup import MAX_CHOICES, candidates, customer_or_choice, label, offer  # noqa: F401  (where they live now; importers of handlers.choose keep working)
from chat.messages import Outgoing
from .texts import t


async def press(ctx: Context, prompt, note_unused, choice: str) -> list[Outgoing]:
    from .commands import run

    if not (choice.startswith("c") and choice[1:].isdigit() and len(choice) <= 10 and int(choice[1:]) in prompt.data.get("candidates", [])):
        return [Outgoing(t("prompt_closed", ctx.lang))]
    messaging.close_prompt(ctx.session, prompt)
    return await run(ctx, prompt.data["redo"].replace("{ref}", f"#{int(choice[1:])}"))
