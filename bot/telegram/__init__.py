"""Telegram (python-telegram-bot): `incoming` (update → Incoming), `inbox` (updates stored before
Telegram is told), `sender` (outbox rows → Bot API), `webhook` (the webhook endpoint), `adapter`
(the TelegramAdapter that runs them). Only this package imports `telegram`."""
