"""Feishu/Lark (lark-oapi): `incoming` (event → Incoming), `cards` (replies as text or interactive
cards), `callback` (HTTP mode: signature, token and decryption checks), `connection` (long-connection
mode: the SDK's WebSocket client), `inbox` (events stored before the ack), `sender` (outbox rows →
im.v1.message.create), `profiles` (names from the contact API), `adapter` (the FeishuAdapter that
runs them). Only this package imports `lark_oapi`."""
