"""Where a push goes: a member's private chat, or the group chats that subscribed to digests."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from storage.models import ChatLink, Identity

PLATFORM_PRIORITY = ("telegram", "slack", "feishu", "wecom", "dingtalk", "console")


@dataclass(frozen=True)
class Destination:
    platform: str
    chat_id: str
    chat_kind: str = "private"


def private_chat(identity: Identity) -> Destination:
    # Telegram: a private chat's id is the user's id. Slack: the adapter opens the DM from the user id.
    if identity.platform == "console":
        return Destination("console", f"console:{identity.platform_user_id}")
    return Destination(identity.platform, identity.platform_user_id)


def choose(identities: list[Identity]) -> Destination | None:
    ranked = sorted(
        (i for i in identities if i.platform in PLATFORM_PRIORITY), key=lambda i: (PLATFORM_PRIORITY.index(i.platform), i.id or 0)
    )
    return private_chat(ranked[0]) if ranked else None


async def member_destinations(session, member_ids) -> dict[int, Destination]:
    """The preferred private chat of each member that has one (one query)."""
    ids = list(set(member_ids))
    if not ids:
        return {}
    rows = (await session.exec(select(Identity).where(Identity.member_id.in_(ids)))).all()  # type: ignore[union-attr]
    by_member: dict[int, list[Identity]] = {}
    for row in rows:
        by_member.setdefault(row.member_id, []).append(row)
    out = {}
    for member_id, identities in by_member.items():
        dest = choose(identities)
        if dest is not None:
            out[member_id] = dest
    return out


DIGEST_BY = "digest_by:"  # a subscription names who subscribed: the chat's digest has that person's scope


def subscriber_of(subscriptions: list[str]) -> int | None:
    for item in subscriptions or []:
        if item.startswith(DIGEST_BY) and item[len(DIGEST_BY):].isdigit():
            return int(item[len(DIGEST_BY):])
    return None


async def digest_chats(session, team_id: int) -> list[tuple[Destination, int | None]]:
    """Chats subscribed to the digest, each with the member whose scope it gets (None: not known)."""
    links = (await session.exec(select(ChatLink).where(ChatLink.team_id == team_id).order_by(ChatLink.id))).all()
    return [(Destination(link.platform, link.chat_id, "group"), subscriber_of(link.subscriptions)) for link in links if "digest" in (link.subscriptions or [])]
