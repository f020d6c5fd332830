"""Typed settings from environment variables, failing fast with a clear message."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("crmbot", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRMBOT_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: SQLite file in data_dir
    timezone: str = "Asia/Shanghai"
    language: str = "en"  # for members whose language is not known yet
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(18, 0)
    days_off: list[int] = [5, 6]  # Saturday, Sunday (Monday = 0)
    holiday_country: str = "CN"
    silence_days_important: int = 14
    silence_days_special: int = 30
    silence_days_general: int = 60
    overdue_escalation_days: int = 3
    nag_escalation_days: int = 3
    max_note_chars: int = 4000

    telegram_bot_token: str | None = Field(default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "CRMBOT_TELEGRAM_BOT_TOKEN"))
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = 8443
    slack_bot_token: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CRMBOT_SLACK_BOT_TOKEN"))
    slack_app_token: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CRMBOT_SLACK_APP_TOKEN"))
    slack_signing_secret: str | None = Field(default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CRMBOT_SLACK_SIGNING_SECRET"))
    slack_api_url: str | None = None
    slack_http_port: int | None = None
    encryption_key: str | None = None  # Fernet keys, comma-separated, newest first (storage/crypto.py)
    backup_dir: Path | None = None  # default: data_dir/backups
    backup_keep: int = 14  # daily backups kept

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (e.g. Asia/Shanghai, Europe/London)") from exc
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("en", "zh"):
            raise ValueError("must be 'en' or 'zh'")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'crmbot.db'}"


class SettingsError(SystemExit):
    pass


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "CRMBOT_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"  {name}: {err['msg']}")
        raise SettingsError("crmbot: bad configuration\n" + "\n".join(lines)) from None
