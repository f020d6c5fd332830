"""One `crmbot run` replica in a process of its own, configured from the environment (issue 18's fleet test).

It is `bot.runner.serve` with five test knobs, nothing else changed:
- it prints "PORTS telegram=<n> slack=<n>" once its webhook and Slack HTTP endpoints listen on 127.0.0.1
  (ports 0: the kernel picks), so a test can round-robin over the replicas;
- the outbox lease is REPLICA_TEST_LEASE_SECONDS (default 5; production 60) so a killed replica's rows
  in flight go back to the queue within seconds;
- the scheduler's tick runs every REPLICA_TEST_TICK_SECONDS (default 2; production 60), and every tick
  this process fires is printed as "TICK <worker> <scheduled ISO> <started ISO>" (APScheduler's own
  scheduled run time), so a test can check that each tick fired once, on one replica;
- with REPLICA_TEST_STALE_SECONDS, an inbox row acked and not handled is taken over after that many
  seconds (router.TAKE_OVER_AFTER and runner.INBOX_STALE; production 30), so a killed replica's notes
  hold up their chats for seconds;
- with REPLICA_TEST_INBOX_POLL=1 it does not LISTEN for handled inbox rows, so a chat's message waiting for
  an earlier one polls (2 ms doubling to 100 ms) as before NOTIFY (benchmarks/replicas_bench.py --inbox-poll).
Run as: python -m tests.fakes.replica_process
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

from bot import runner
from bot.wiring import build_app
from reminders import delivery, jobs


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def main() -> int:
    delivery.LEASE = dt.timedelta(seconds=float(os.environ.get("REPLICA_TEST_LEASE_SECONDS", "5")))
    tick_seconds = float(os.environ.get("REPLICA_TEST_TICK_SECONDS", "2"))
    if os.environ.get("REPLICA_TEST_STALE_SECONDS"):
        from handlers import router

        router.TAKE_OVER_AFTER = runner.INBOX_STALE = dt.timedelta(seconds=float(os.environ["REPLICA_TEST_STALE_SECONDS"]))
    if os.environ.get("REPLICA_TEST_INBOX_POLL") == "1":
        from storage import inbox_notify

        async def not_listening(*_args, **_kwargs) -> None:
            await asyncio.Event().wait()

        inbox_notify.listen = not_listening  # type: ignore[assignment]
    app = build_app(with_adapters=True)
    worker = app.deliverer.worker
    ports: dict[str, int] = {}

    def told(adapter):
        start = adapter.start

        async def start_and_tell() -> None:
            await start()
            port = adapter.webhook.port if adapter.platform == "telegram" else adapter.port
            ports[adapter.platform] = port
            if len(ports) == len(app.adapters):
                print("PORTS " + " ".join(f"{k}={v}" for k, v in sorted(ports.items())), flush=True)

        return start_and_tell

    for adapter in app.adapters:
        if adapter.platform == "telegram":
            adapter.webhook_host = "127.0.0.1"
        else:
            adapter.host = "127.0.0.1"
        adapter.start = told(adapter)

    listed = jobs.jobs

    def faster(app_, memo):
        out = listed(app_, memo)
        for job in out:
            if job["id"] == "tick":
                job.pop("minutes", None)
                job["seconds"] = tick_seconds
        return out

    jobs.jobs = faster
    started = runner.start_scheduler

    def start_scheduler(app_, **kwargs):
        from apscheduler.events import EVENT_JOB_SUBMITTED

        scheduler = started(app_, **kwargs)

        def fired(event) -> None:
            if event.job_id == "tick":
                for when in event.scheduled_run_times:
                    print(f"TICK {worker} {when.isoformat()} {_now()}", flush=True)

        scheduler.add_listener(fired, EVENT_JOB_SUBMITTED)
        return scheduler

    runner.start_scheduler = start_scheduler
    return asyncio.run(runner.serve(app))


if __name__ == "__main__":
    sys.exit(main())
