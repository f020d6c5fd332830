"""Typed settings from environment variables, failing fast with a clear message."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("crmbot", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRMBOT_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: SecretStr | None = None  # default: SQLite file in data_dir (may hold a password: see db_url, safe_db_url)
    timezone: str = "Asia/Shanghai"
    language: str = "en"  # for members whose language is not known yet
    workday_start: dt.time = dt.time(9, 0)
    workday_end: dt.time = dt.time(18, 0)
    days_off: list[int] = [5, 6]  # Saturday, Sunday (Monday = 0)
    holiday_country: str = "CN"
    silence_days_important: int = 14
    silence_days_special: int = 30
    silence_days_general: int = 60
    review_days_important: int = 30  # the review cycle per tier (a team may set its own: /plan)
    review_days_special: int = 45
    review_days_general: int = 60
    reminder_lead_minutes: int = 30  # a follow-up with a time (a call, a meeting) is reminded this long ahead (reminders/followups.py)
    overdue_escalation_days: int = 3
    nag_escalation_days: int = 3
    max_note_chars: int = 4000

    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "CRMBOT_TELEGRAM_BOT_TOKEN"))
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = 8443
    telegram_webhook_key: SecretStr | None = None  # the webhook secret is derived from the token with it; change it to rotate
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CRMBOT_SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CRMBOT_SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CRMBOT_SLACK_SIGNING_SECRET"))
    slack_api_url: str | None = None
    slack_http_port: int | None = None
    # Feishu/Lark (bot/feishu): long connection by default; HTTP callbacks when feishu_http_port is set.
    feishu_app_id: str | None = Field(default=None, validation_alias=AliasChoices("FEISHU_APP_ID", "CRMBOT_FEISHU_APP_ID"))
    feishu_app_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FEISHU_APP_SECRET", "CRMBOT_FEISHU_APP_SECRET"))
    feishu_verification_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FEISHU_VERIFICATION_TOKEN", "CRMBOT_FEISHU_VERIFICATION_TOKEN"))
    feishu_encrypt_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FEISHU_ENCRYPT_KEY", "CRMBOT_FEISHU_ENCRYPT_KEY"))
    feishu_api_url: str | None = Field(default=None, validation_alias=AliasChoices("FEISHU_API_URL", "CRMBOT_FEISHU_API_URL"))  # default: the SDK's (open.feishu.cn); a local fake in tests
    feishu_http_port: int | None = Field(default=None, validation_alias=AliasChoices("FEISHU_HTTP_PORT", "CRMBOT_FEISHU_HTTP_PORT"))
    # DingTalk (bot/dingtalk): stream mode by default; outgoing-robot HTTP callbacks when dingtalk_http_port is set.
    dingtalk_client_id: str | None = Field(default=None, validation_alias=AliasChoices("DINGTALK_CLIENT_ID", "CRMBOT_DINGTALK_CLIENT_ID"))  # the app key
    dingtalk_client_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("DINGTALK_CLIENT_SECRET", "CRMBOT_DINGTALK_CLIENT_SECRET"))
    dingtalk_robot_code: str | None = Field(default=None, validation_alias=AliasChoices("DINGTALK_ROBOT_CODE", "CRMBOT_DINGTALK_ROBOT_CODE"))  # default: the client id
    dingtalk_api_url: str | None = Field(default=None, validation_alias=AliasChoices("DINGTALK_API_URL", "CRMBOT_DINGTALK_API_URL"))
    dingtalk_http_port: int | None = Field(default=None, validation_alias=AliasChoices("DINGTALK_HTTP_PORT", "CRMBOT_DINGTALK_HTTP_PORT"))
    # WeCom 企业微信 (bot/wecom): an app's callback URL (token + EncodingAESKey), replies through the app API.
    wecom_corp_id: str | None = Field(default=None, validation_alias=AliasChoices("WECOM_CORP_ID", "CRMBOT_WECOM_CORP_ID"))
    wecom_agent_id: int | None = Field(default=None, validation_alias=AliasChoices("WECOM_AGENT_ID", "CRMBOT_WECOM_AGENT_ID"))
    wecom_secret: SecretStr | None = Field(default=None, validation_alias=AliasChoices("WECOM_SECRET", "CRMBOT_WECOM_SECRET"))
    wecom_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("WECOM_TOKEN", "CRMBOT_WECOM_TOKEN"))
    wecom_aes_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("WECOM_AES_KEY", "CRMBOT_WECOM_AES_KEY"))
    wecom_api_url: str | None = Field(default=None, validation_alias=AliasChoices("WECOM_API_URL", "CRMBOT_WECOM_API_URL"))
    wecom_http_port: int | None = Field(default=None, validation_alias=AliasChoices("WECOM_HTTP_PORT", "CRMBOT_WECOM_HTTP_PORT"))
    # WeCom 智能机器人 in API mode (bot/wecom/bot_adapter.py): group @mentions and one-to-one chats with the bot, by its callback URL.
    wecom_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("WECOM_BOT_TOKEN", "CRMBOT_WECOM_BOT_TOKEN"))
    wecom_bot_aes_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("WECOM_BOT_AES_KEY", "CRMBOT_WECOM_BOT_AES_KEY"))
    wecom_bot_id: str | None = Field(default=None, validation_alias=AliasChoices("WECOM_BOT_ID", "CRMBOT_WECOM_BOT_ID"))  # its aibotid: callbacks for another bot are ignored
    wecom_bot_name: str | None = Field(default=None, validation_alias=AliasChoices("WECOM_BOT_NAME", "CRMBOT_WECOM_BOT_NAME"))  # as members @mention it (stripped from notes)
    wecom_bot_http_port: int | None = Field(default=None, validation_alias=AliasChoices("WECOM_BOT_HTTP_PORT", "CRMBOT_WECOM_BOT_HTTP_PORT"))
    encryption_key: SecretStr | None = None  # Fernet keys, comma-separated, newest first (storage/crypto.py)
    backup_dir: Path | None = None  # default: data_dir/backups
    backup_keep: int = 14  # daily backups kept
    health_port: int | None = None  # /healthz, /readyz and /metrics (bot/health.py) under `crmbot run`
    log_format: str = "text"  # text | json: one JSON object per line (bot/logs.py)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (e.g. Asia/Shanghai, Europe/London)") from exc
        return value

    @field_validator("silence_days_important", "silence_days_special", "silence_days_general", "review_days_important", "review_days_special", "review_days_general")
    @classmethod
    def _cadence_days(cls, value: int) -> int:
        if not 1 <= value <= 365:  # as /plan accepts (storage/contact_plan.py MIN_DAYS, MAX_DAYS)
            raise ValueError("must be a number of days from 1 to 365")
        return value

    @field_validator("reminder_lead_minutes")
    @classmethod
    def _lead_minutes(cls, value: int) -> int:
        if not 0 <= value <= 1440:
            raise ValueError("must be a number of minutes from 0 to 1440 (a day)")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("must be 'text' or 'json'")
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
        """The database URL, password included: for connecting, never for printing (safe_db_url)."""
        return reveal(self.database_url) or f"sqlite:///{self.data_dir / 'crmbot.db'}"

    @property
    def safe_db_url(self) -> str:
        return redact_url(self.db_url)

    def secrets(self) -> list[str]:
        """Every secret value set, for the log filter (bot/logs.py)."""
        values = [self.telegram_bot_token, self.slack_bot_token, self.slack_app_token, self.slack_signing_secret, self.encryption_key]
        values += [self.telegram_webhook_key]
        values += [self.feishu_app_secret, self.feishu_verification_token, self.feishu_encrypt_key, self.dingtalk_client_secret]
        values += [self.wecom_secret, self.wecom_token, self.wecom_aes_key, self.wecom_bot_token, self.wecom_bot_aes_key]
        out = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        out += [key for key in (reveal(self.encryption_key) or "").split(",") if key.strip()]
        from sqlalchemy.engine import make_url

        try:
            password = make_url(self.db_url).password
        except Exception:
            password = None
        return out + ([str(password)] if password else [])


def reveal(value: SecretStr | str | None) -> str | None:
    """A secret's value where it is needed (a client, a cipher); None stays None."""
    if value is None:
        return None
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def redact_url(url: str) -> str:
    """A database URL fit for a banner or an error: the password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database URL>"


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
