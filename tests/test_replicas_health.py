"""/healthz and /readyz under `crmbot run` (serve): ready with the database up and the schema current,
with the leases this replica holds; 503 with the reason when the schema is old or the database is away."""
from __future__ import annotations

import asyncio

import aiohttp

from bot.health import HealthServer
from bot.runner import serve
from bot.wiring import build_app
from storage.db import Database
from tests.conftest import make_settings


async def _get(port: int, path: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.json()


async def test_a_serving_replica_is_live_and_ready_and_says_which_leases_it_holds(db_url, tmp_path, clock):
    app = build_app(make_settings(db_url, tmp_path, health_port=0), clock=clock, migrate=False)
    stop = asyncio.Event()
    running = asyncio.create_task(serve(app, stop, lease_retry_seconds=0.05))
    try:
        while app.health is None or app.health.port is None or not (app.leases and app.leases.holds("scheduler")):
            await asyncio.sleep(0.01)  # until serve() has started the endpoints and taken its leases
        assert await _get(app.health.port, "/healthz") == (200, {"status": "ok"})
        status, report = await _get(app.health.port, "/readyz")
        assert status == 200 and report["database"] == "ok" and report["schema"] == "current"
        assert {"scheduler", "retention", "backups"} <= set(report["leases"])
    finally:
        stop.set()
        assert await running == 0


async def test_not_ready_on_an_old_schema_or_a_database_that_does_not_answer(tmp_path, clock):
    import socket

    empty = build_app(make_settings(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path), clock=clock, migrate=False)  # no schema at all
    with socket.socket() as probe:  # a port nothing listens on: the database is away
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    away = build_app(make_settings(f"sqlite:///{tmp_path / 'other.db'}", tmp_path), clock=clock, migrate=False)
    await away.db.dispose()
    away.db = Database(f"postgresql://postgres@127.0.0.1:{closed_port}/crm")  # the server went away after start
    servers = [HealthServer(empty, 0, "127.0.0.1"), HealthServer(away, 0, "127.0.0.1")]
    try:
        for server in servers:
            await server.start()
        status, report = await _get(servers[0].port or 0, "/readyz")
        assert status == 503 and "crmbot migrate" in report["schema"]
        status, report = await _get(servers[1].port or 0, "/readyz")
        assert status == 503 and report["database"].startswith("unreachable")
        assert (await _get(servers[1].port or 0, "/healthz"))[0] == 200  # alive: no restart, only out of rotation
    finally:
        for server in servers:
            await server.stop()
        await empty.close()
        await away.close()
