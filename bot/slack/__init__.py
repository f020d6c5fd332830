"""Slack (slack-bolt, slack-sdk): `incoming` (event, command or action → Incoming), `text` (Slack
markup ↔ plain text and buttons), `inbox` (events stored before the ack), `sender` (outbox rows →
Web API), `signature` (HTTP-mode request signatures), `profiles` (users.info, cached), `files`
(downloading an uploaded sheet), `adapter` (the SlackAdapter that runs them). Only this package
imports `slack_sdk` and `slack_bolt`."""
