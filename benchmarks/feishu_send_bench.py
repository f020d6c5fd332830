"""Feishu sends one at a time to the local fake Open API: the SDK's synchronous call in a worker thread
(how messages went before bot/feishu/api.py: `requests.request`, a new connection per call) against
FeishuSender (one kept-alive session, the token cached), beside a floor measured in the same run: a bare
POST of the same body on a kept-alive session with the token in hand. Rounds interleave the three.

    uv run python -m benchmarks.feishu_send_bench [--sends 100] [--rounds 5] [--tls]

--tls serves the fake over TLS with a certificate made here, as open.feishu.cn is served: the handshake a
new connection costs. The network round trips a new connection costs on top (TCP and TLS: two or three,
tens of ms each from a server far from Feishu) are not modelled: this machine talks to itself.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import os
import shutil
import ssl
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import lark_oapi as lark
from aiohttp import web
from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

from bot.feishu.api import OpenAPI
from bot.feishu.sender import FeishuSender
from chat.messages import Outgoing
from storage.models import Outbox
from tests.fakes.feishu_api import APP_ID, APP_SECRET, FakeFeishuAPI

USER = "ou_lilei"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


async def serve_tls(api: FakeFeishuAPI, cert: Path, key: Path) -> str:
    """The fake's own routes on a second, TLS site of its server."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    site = web.TCPSite(api._runner, "127.0.0.1", 0, ssl_context=server_ctx)  # type: ignore[arg-type]  (the fake serves plain HTTP only)
    await site.start()
    return f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


async def main(sends: int, rounds: int, tls: bool) -> None:
    api = FakeFeishuAPI()
    await api.start()
    folder = Path(tempfile.mkdtemp(prefix="crmbot-feishu-send-"))
    base, client_ctx = api.base, ssl.create_default_context()
    if tls:
        cert, key = certificate(folder)
        base = await serve_tls(api, cert, key)
        client_ctx.load_verify_locations(cert)
    sdk = lark.Client.builder().app_id(APP_ID).app_secret(APP_SECRET).domain(base).timeout(10).log_level(lark.LogLevel.WARNING).build()
    if tls:  # requests (under the SDK) trusts this bundle; the SDK's session is made per call, so no other way in
        os.environ["REQUESTS_CA_BUNDLE"] = str(cert)
    openapi = OpenAPI(base, APP_ID, APP_SECRET)
    openapi._session = aiohttp.ClientSession(timeout=openapi.timeout, connector=aiohttp.TCPConnector(ssl=client_ctx))  # the session it makes, trusting the certificate
    sender = FeishuSender(sdk, openapi)
    floor_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx))
    token = await openapi.token()
    counter = iter(range(10**9))

    def body() -> dict:
        return {"receive_id": USER, "msg_type": "text", "content": json.dumps({"text": f"跟进提醒 {next(counter)}"}, ensure_ascii=False)}

    async def by_sdk() -> None:
        b = body()
        request = CreateMessageRequest.builder().receive_id_type("open_id").request_body(
            CreateMessageRequestBody.builder().receive_id(USER).msg_type(b["msg_type"]).content(b["content"]).build()
        ).build()
        response = await asyncio.to_thread(sdk.im.v1.message.create, request)
        assert response.success(), response.msg

    async def by_sender() -> None:
        n = next(counter)
        row = Outbox(key=f"bench:{n}", kind="reply", platform="feishu", chat_id=USER, chat_kind="private", body={})
        await sender.send(row, Outgoing(f"跟进提醒 {n}"))

    async def floor() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with floor_session.post(base + "/open-apis/im/v1/messages", params={"receive_id_type": "open_id"}, json=body(), headers=headers) as response:
            assert (await response.json())["code"] == 0

    variants = {"SDK in a worker thread (before)": by_sdk, "FeishuSender (after)": by_sender, "floor: bare POST, kept-alive": floor}
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():  # warm up: imports, the token, first connections
        await fn()
    for _ in range(rounds):
        for name, fn in variants.items():
            for _ in range(sends):
                start = time.perf_counter()
                await fn()
                timings[name].append(time.perf_counter() - start)
    await floor_session.close()
    await openapi.close()
    await api.stop()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"one message.create at a time to the fake Feishu ({'TLS' if tls else 'plain HTTP'}), {rounds} rounds × {sends} sends each:")
    for name, times in timings.items():
        times.sort()
        print(f"  {name:32} median {statistics.median(times) * 1000:6.2f} ms  p90 {times[int(len(times) * 0.9)] * 1000:6.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sends", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tls", action="store_true", help="serve the fake over TLS (a certificate made here)")
    options = parser.parse_args()
    asyncio.run(main(options.sends, options.rounds, options.tls))
