"""Settings from the environment and `.env` (prefix BOT_); read only at the edges and passed in."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.articles.fetch import FetchPolicy

# Telegram user ids fit in 52 bits; anything larger (or not positive) is a typo.
MAX_USER_ID = 2**53
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class SettingsError(ValueError):
    """Settings that cannot be used, worded as one line naming the variable."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment; every name is listed in .env.example."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    corpus_dir: Path = Path("corpus")
    top_k: int = Field(default=3, ge=1, le=10)
    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    admin_ids: Annotated[tuple[Annotated[int, Field(gt=0, le=MAX_USER_ID)], ...], NoDecode] = ()
    data_dir: Path = Path("data")
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, le=65535)  # 0: any free port (logged once bound)
    webhook_secret: SecretStr | None = None
    questions_per_minute: int = Field(default=20, ge=1, le=1000)
    log_level: str = "INFO"
    fetch_allow_private: bool = False
    fetch_allow_networks: Annotated[tuple[str, ...], NoDecode] = ()
    feeds: Annotated[tuple[str, ...], NoDecode] = ()
    feed_interval: int = Field(default=30, ge=1, le=1440)
    feed_auto_add: bool = False

    @property
    def snapshots(self) -> Path:
        """Where the persisted index lives (bot.core.serving.snapshot)."""
        return self.data_dir / "index"

    def fetch_policy(self) -> FetchPolicy:
        """What fetching links and feeds may reach."""
        networks = tuple(ipaddress.ip_network(network, strict=False) for network in self.fetch_allow_networks)
        return FetchPolicy(allow_private=self.fetch_allow_private, allowed_networks=networks)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        """Accept '42,43', '[42,43]', a single id, or a list."""
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return ()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("fetch_allow_networks", "feeds", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not a network such as 10.0.0.0/8 or 192.168.1.5") from None
        return value

    @field_validator("feeds")
    @classmethod
    def _feed_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError(f"{url!r} is not an http:// or https:// address")
        return value

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _blank_token(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url", "webhook_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
            try:
                parts = urlsplit(value)
                parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in range
            except ValueError as error:
                raise ValueError(f"is not a valid URL ({error})") from None
            if not parts.hostname:
                raise ValueError("has no host name")
        return value

    @field_validator("corpus_dir", "data_dir", mode="before")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be empty (write . for the current directory)")
        return value

    @field_validator("data_dir")
    @classmethod
    def _directory(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError("is a file, not a directory")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOSTNAME.match(value):
                raise ValueError("is neither an IP address nor a host name") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's setWebhook accepts 1-256 characters of A-Z a-z 0-9 _ - only.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1 to 256 characters, each a letter A-Z or a-z, a digit, _ or - (Telegram's rule)")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level


def describe(error: ValidationError) -> str:
    """Return the first problem of a settings error as one line naming the environment variable."""
    problem = error.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else "?"
    message = str(problem["msg"]).removeprefix("Value error, ")
    value = problem.get("input")
    shown = "" if "token" in field or "secret" in field or isinstance(value, dict) else f" (got {value!r})"
    return f"BOT_{field.upper()}: {message}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Return the settings, or raise SettingsError with one line naming the bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe(error)) from error
    except (ValueError, json.JSONDecodeError) as error:
        raise SettingsError(f"settings: {error}") from error
