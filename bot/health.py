"""`/healthz` and `/readyz` for a load balancer or an orchestrator, on CRMBOT_HEALTH_PORT.

/healthz: the process answers (liveness; restart it when this fails).
/readyz: the database answers, its schema is the one this code needs, and which leases this replica
holds (the scheduler tick, retention, backups, Telegram polling). 200 when ready, 503 when not (take
it out of rotation); the JSON body says why either way. Holding no lease is ready: ingress and
delivery run on every replica.
/metrics: Prometheus text format (bot/metrics.py), when the app has metrics (build_app makes them
whenever CRMBOT_HEALTH_PORT is set).
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text

from storage.leases import KNOWN_LEASES

from .metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


async def readiness(app) -> tuple[bool, dict]:
    """(ready, what was found)."""
    report: dict = {"worker": app.deliverer.worker}
    try:
        async with app.db.read() as session:
            await (await session.connection()).execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as exc:  # what the operator needs is the reason, in one line
        report["database"] = f"unreachable: {exc!r}"[:300]
        return False, report
    from storage.db import schema_problem

    problem = await asyncio.to_thread(schema_problem, app.settings.db_url)  # alembic reads synchronously
    report["schema"] = problem or "current"
    leases = getattr(app, "leases", None)
    report["leases"] = sorted(name for name in KNOWN_LEASES if leases is not None and leases.holds(name))
    return problem is None, report


class HealthServer:
    """The two endpoints on their own small HTTP server (port 0: any free port, see `port`)."""

    def __init__(self, app, port: int, host: str = "0.0.0.0") -> None:
        self.app, self.host, self.requested_port = app, host, port
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_get("/healthz", self._healthz)
        web_app.router.add_get("/readyz", self._readyz)
        if getattr(self.app, "metrics", None) is not None:
            web_app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("health endpoints on port %s", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        ready, report = await readiness(self.app)
        return web.json_response(report | {"status": "ready" if ready else "not ready"}, status=200 if ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        app = self.app
        body = await app.metrics.exposition(app.db, app.services.clock, platforms=app.deliverer.senders, leases=getattr(app, "leases", None))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
