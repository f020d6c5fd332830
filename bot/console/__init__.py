"""The console chat (`crmbot chat`): `incoming` (a typed line → Incoming), `sender` (outbox rows →
the terminal, buttons numbered), `member` (whoever types is a member), `adapter` (the ConsoleChat
loop). No inbox: a typed line is handled at once and never redelivered."""
