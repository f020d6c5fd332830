"""No crmbot code holds the event loop on Slack either (issue 16: "no handler blocks the loop for more than
50 ms"): a note, a button press, the App Home tab, the follow-up form and a weekly digest with its chart
(uploaded), through the real Bolt app against the fake Web API, under asyncio's debug mode with a 50 ms
slow-callback threshold. The callbacks asyncio logs as slow are told apart by the CPU time the loop's
thread spent in them (tests/test_telegram_loop.py's SlowCallbacks: a loaded machine makes wall time lie).

Found by it: the first note with a follow-up imported the `holidays` package and built the year's calendar
on the loop (0.2-0.7 s of CPU, every other chat held up); `crmbot run` now loads it in a thread before the
adapters start (bot.runner.warm_up), as this test does."""
from __future__ import annotations

import asyncio

from bot.runner import warm_up
from reminders import chart
from storage.models import Task
from tests.helpers import rows as _rows
from tests.test_telegram_loop import slow_callbacks  # noqa: F401  (fixture)

from .fakes.slack_api import SlackEnv, seed_slack_admin, slack_env  # noqa: F401  (fixtures)

ME = "UBOSS"


async def test_slack_handling_never_blocks_the_loop(slack_env: SlackEnv, slow_callbacks):  # noqa: F811
    env = await seed_slack_admin(slack_env, ME, [{"name": "王伟", "company": "华东机电"}, {"name": "李娜", "company": "华为"}])
    await warm_up(env.app)  # as crmbot run does before its adapters start
    await env.slack.dm(ME, "called 李娜, sent the price list")  # warm: first-use imports and caches are start-up, not handling
    await env.slack.open_home(ME)
    await env.settle()

    loop = asyncio.get_running_loop()
    was_debug, threshold = loop.get_debug(), loop.slow_callback_duration
    loop.set_debug(True)
    loop.slow_callback_duration = 0.05
    drawn = chart.renders
    try:
        await env.slack.dm(ME, "called 王伟, wants a quote today")
        await env.settle()
        filed = env.api.posts("DBOSS")[-1]
        [task] = [t for t in await _rows(env.app, Task) if t.status == "open"]
        await env.slack.press_edit(ME, task_id=task.id)  # the Home tab's Edit: the follow-up form
        await env.settle()
        [modal] = env.api.opened()
        status, _ = await env.slack.submit(ME, modal, {"date": "2027-03-05", "time": "15:30"})
        await env.settle()
        await env.slack.press(ME, filed, "Undo")
        await env.settle()
        await env.slack.command(ME, "C1", "link")
        await env.slack.command(ME, "C1", "digest week")
        await env.settle()
        await env.slack.command(ME, "C1", "digest week")
        await env.settle()
    finally:
        loop.set_debug(was_debug)
        loop.slow_callback_duration = threshold

    assert status == 200
    assert await _rows(env.app, Task) == []  # moved by the form, then undone with its note
    assert len(env.api.of("files.completeUploadExternal")) == 2 and chart.renders == drawn + 1  # drawn once, then the cache
    slow = slow_callbacks
    print("\n".join(f"{cpu:.3f} s CPU: {m[:160]}" for m, cpu in slow.ours()))
    assert [m for m, cpu in slow.ours() if cpu >= 0.05] == []
