"""The tables. Every datetime is timezone-aware (stored as UTC).

Enumerations are kept as short strings (portable, readable in a SQL shell); the allowed values
are the tuples below, checked where values enter (handlers, importer).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Integer, UniqueConstraint, event
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from . import crypto
from .types import JSONDict, JSONList, UTCDateTime

ROLES = ("rep", "manager", "admin")
TIERS = ("important", "special", "general")
STAGES = ("potential", "new", "active", "loyal", "churned")
CHANNELS = ("call", "visit", "meeting", "email", "message", "other")
RISKS = ("overdue_payment", "complaint", "churn", "distress")
OUTCOMES = ("won", "lost")
TASK_STATUSES = ("open", "done", "cancelled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    timezone: str = "Asia/Shanghai"
    holiday_country: str = "CN"
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # bumped in the same transaction as any change to the team's customers: replicas' customer indexes compare it
    customer_version: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # the team's own cadences over the CRMBOT_* defaults: {"contact": {tier: days}, "review": {tier: days}} (storage/contact_plan.py)
    contact_plan: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False, server_default="{}"))


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    display_name: str
    role: str = "rep"
    manager_id: int | None = Field(default=None, foreign_key="member.id")
    timezone: str = "Asia/Shanghai"
    language: str = "en"
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Identity(SQLModel, table=True):
    """One messenger account of a member; a member may have one per platform."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str
    platform_user_id: str


class CustomerBase(SQLModel):
    name: str
    company: str | None = None
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSONList(), nullable=False))
    phone: str | None = Field(default=None, sa_type=crypto.Encrypted)  # encrypted at rest when a key is set
    email: str | None = Field(default=None, sa_type=crypto.Encrypted)
    tier: str = "general"
    stage: str = "potential"
    birthday: str | None = None  # "MM-DD", solar
    lunar_birthday: str | None = None  # "MM-DD", lunar calendar
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONList(), nullable=False))
    language: str | None = None  # for greetings; None: guess from the name


class Customer(CustomerBase, table=True):
    __table_args__ = (
        Index("ix_customer_team_name", "team_id", "name"),
        Index("ix_customer_owner_stage", "owner_id", "stage"),  # digests: pipeline by stage
        Index("ix_customer_owner_created", "owner_id", "created_at"),  # digests: new customers
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    phone_hash: str | None = Field(default=None, index=True)  # keyed hash for exact lookups (crypto.py)
    email_hash: str | None = Field(default=None, index=True)
    last_contact_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # kept by crm.touch_customer from the customer's interactions, so the daily scans need no scan of
    # them: how many, the first one's time (usual gap = (last - first) / (count - 1)), the risks noted
    # at the last contact (an open risk), and when a nag about the customer was first sent (reminders)
    contact_count: int = Field(default=0, sa_column=Column(Integer(), nullable=False, server_default="0"))
    first_contact_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_risk: list[str] = Field(default_factory=list, sa_column=Column(JSONList(), nullable=False, server_default="[]"))
    nagged_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


# the lookup hashes follow phone and email on every ORM write (storage/crypto.py)
event.listen(Customer, "before_insert", crypto.fill_hashes)
event.listen(Customer, "before_update", crypto.fill_hashes)


class CustomerShare(SQLModel, table=True):
    """A customer shared with a member besides its owner (they see and edit it too)."""

    __tablename__ = "customer_share"
    __table_args__ = (UniqueConstraint("customer_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Interaction(SQLModel, table=True):
    """One quick note. customer_id is None while the note waits for its customer (status 'pending')."""

    __table_args__ = (
        Index("ix_interaction_customer_time", "customer_id", "occurred_at"),
        Index("ix_interaction_outcome_customer_time", "outcome", "customer_id", "occurred_at"),  # wins per customer
        Index("ix_interaction_author_time", "author_id", "occurred_at"),  # digests: notes per rep in a period
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    author_id: int = Field(foreign_key="member.id", index=True)
    channel: str = "other"
    text: str
    occurred_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    amount: float | None = None
    currency: str | None = None
    risk: list[str] = Field(default_factory=list, sa_column=Column(JSONList(), nullable=False))
    outcome: str | None = None
    status: str = "filed"  # filed | pending
    source_key: str | None = Field(default=None, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Task(SQLModel, table=True):
    __table_args__ = (Index("ix_task_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    assignee_id: int = Field(foreign_key="member.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id", index=True)
    text: str
    due_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    due_has_time: bool = False  # False: a date only; reminded at the start of the working day
    status: str = "open"
    done_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    team_id: int | None = Field(default=None, index=True)
    member_id: int | None = Field(default=None, index=True)
    customer_id: int | None = Field(default=None, index=True)
    action: str
    platform: str | None = None
    detail: str = ""


INBOX_RECEIVED = "status = 'received'"


class Inbox(SQLModel, table=True):
    """Every incoming message, keyed (platform, chat, message id): redelivery is a no-op."""

    # the rows not handled yet, by chat in arrival order: per-chat order across replicas, the inbox sweep (migration 0008)
    __table_args__ = (Index("ix_inbox_received", "platform", "chat_id", "id", sqlite_where=sql_text(INBOX_RECEIVED), postgresql_where=sql_text(INBOX_RECEIVED)),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    platform: str
    chat_id: str
    sender_id: str
    payload: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False))
    status: str = "received"  # received | handled
    received_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    handled_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Outbox(SQLModel, table=True):
    """Every outgoing message (replies and pushes): a unique key and a status."""

    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str = "reply"  # reply | reminder | overdue | greeting | nag | digest | …
    platform: str
    chat_id: str
    chat_kind: str = "private"
    member_id: int | None = Field(default=None, index=True)
    body: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False))
    status: str = "pending"  # pending | sending | sent | failed | dropped
    due_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0
    last_error: str | None = None
    late: bool = False
    claimed_by: str | None = None
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


OPEN_TEXT_PROMPTS = "status = 'open' AND kind IN ('name_customer', 'change_date', 'create_customer')"  # storage/messaging.py repeats it in its queries (migration 0012)


class Prompt(SQLModel, table=True):
    """A question the bot asked and is waiting on (which customer? create? change the date?).

    Its id is the opaque button payload; answering checks the presser is the member asked.
    """

    # the open typed questions only (at most one per member and chat): finding it never grows with history (migration 0006)
    __table_args__ = (Index("ix_prompt_open_text", "member_id", "platform", "chat_id", "created_at", sqlite_where=sql_text(OPEN_TEXT_PROMPTS), postgresql_where=sql_text(OPEN_TEXT_PROMPTS)),)
    id: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str
    chat_id: str
    kind: str
    data: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False))
    status: str = "open"  # open | answered | expired
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ChatLink(SQLModel, table=True):
    """A group chat linked to a team, and what it subscribed to (digest)."""

    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    platform: str
    chat_id: str
    subscriptions: list[str] = Field(default_factory=list, sa_column=Column(JSONList(), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Invite(SQLModel, table=True):
    code: str = Field(primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    role: str = "rep"
    created_by: int | None = Field(default=None, foreign_key="member.id")
    used_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AccountCode(SQLModel, table=True):
    """A short-lived code that attaches another messenger account to the same member (/pair)."""

    __tablename__ = "account_code"
    code: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Correction(SQLModel, table=True):
    """A user's fix of what the parser read from a note (customer, date, channel…): one row per note.

    ``parsed`` holds the parser's fields as it read the note (eval field names, plus the mention);
    ``corrected`` the fields the user fixed. Exported as the team's own regression set
    (`crmbot corrections export`). ``interaction_id`` is not a foreign key: an undone note keeps its lesson.
    """

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    interaction_id: int | None = Field(default=None, unique=True)
    customer_id: int | None = Field(default=None, index=True)  # the customer the note is on after the fix (erasure finds it)
    text: str
    reference_time: str  # when the note was sent, ISO-8601 with the sender's UTC offset (dates resolve against it)
    parsed: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False))
    corrected: dict = Field(default_factory=dict, sa_column=Column(JSONDict(), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SendWindow(SQLModel, table=True):
    """A platform limit's sliding window (recent send times, epoch seconds), shared by every replica."""

    __tablename__ = "send_window"
    platform: str = Field(primary_key=True)
    bucket: str = Field(primary_key=True)  # "all" | "chat:ID" | "group:ID"
    stamps: str = "[]"  # JSON list of floats
    blocked_until: float = 0.0  # a 429's retry_after, for a chat bucket


class Attachment(SQLModel, table=True):
    """A file an outgoing message carries (a digest's chart): any replica's sender can read it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    content_type: str
    data: bytes
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
