"""DingTalk 钉钉 (dingtalk-stream): `incoming` (a robot message → Incoming), `inbox` (stored before the
ack), `api` (the robot OpenAPI with its access token), `sender` (outbox rows → one-to-one or group
messages), `cards` (group replies with buttons as interactive cards, and their callbacks), `stream` (the SDK's stream connection), `signature` (HTTP outgoing-robot callbacks),
`adapter` (the DingTalkAdapter that runs them). Only this package imports `dingtalk_stream`."""
