"""Settings: names, defaults, parsing of admin ids, one-line errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.corpus_dir == Path("corpus")
    assert settings.top_k == 3
    assert settings.telegram_token is None
    assert settings.admin_ids == ()


@pytest.mark.parametrize(("raw", "ids"), [("42,43", (42, 43)), ("[42,43]", (42, 43)), ("42", (42,)), ("", ())])
def test_admin_ids_forms(monkeypatch: pytest.MonkeyPatch, raw: str, ids: tuple[int, ...]) -> None:
    monkeypatch.setenv("BOT_ADMIN_IDS", raw)
    assert Settings(_env_file=None).admin_ids == ids


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOT_TOP_K", "zero", "BOT_TOP_K: Input should be a valid integer"),
        ("BOT_TOP_K", "0", "BOT_TOP_K: Input should be greater than or equal to 1"),
        ("BOT_ADMIN_IDS", "42,alice", "BOT_ADMIN_IDS: Input should be a valid integer"),
        ("BOT_ADMIN_IDS", "[42,", "BOT_ADMIN_IDS:"),
        ("BOT_TELEGRAM_API_URL", "ftp://x", "BOT_TELEGRAM_API_URL: must start with http"),
        ("BOT_WEBHOOK_PORT", "99999", "BOT_WEBHOOK_PORT: Input should be less than or equal to 65535"),
        ("BOT_TELEGRAM_API_URL", "http://[::1/bot", "BOT_TELEGRAM_API_URL: is not a valid URL"),
        ("BOT_TELEGRAM_API_URL", "http://", "BOT_TELEGRAM_API_URL: has no host name"),
        ("BOT_TELEGRAM_API_URL", "http://127.0.0.1:99999/bot", "BOT_TELEGRAM_API_URL: is not a valid URL"),
        ("BOT_WEBHOOK_LISTEN", "not an address!", "BOT_WEBHOOK_LISTEN: is neither an IP address nor a host name"),
        ("BOT_CORPUS_DIR", "", "BOT_CORPUS_DIR: must not be empty"),
        ("BOT_DATA_DIR", " ", "BOT_DATA_DIR: must not be empty"),
        ("BOT_DATA_DIR", "pyproject.toml", "BOT_DATA_DIR: is a file, not a directory"),
        ("BOT_ADMIN_IDS", "-5", "BOT_ADMIN_IDS: Input should be greater than 0"),
        ("BOT_WEBHOOK_SECRET", "back\\slash", "BOT_WEBHOOK_SECRET: must be 1 to 256 characters"),
        ("BOT_WEBHOOK_SECRET", "x" * 257, "BOT_WEBHOOK_SECRET: must be 1 to 256 characters"),
        ("BOT_WEBHOOK_SECRET", "with space", "BOT_WEBHOOK_SECRET: must be 1 to 256 characters"),
        ("BOT_FEEDS", "https://example.com/rss,ftp://x/feed", "BOT_FEEDS: 'ftp://x/feed' is not an http"),
        ("BOT_FEED_INTERVAL", "0", "BOT_FEED_INTERVAL: Input should be greater than or equal to 1"),
        ("BOT_FETCH_ALLOW_NETWORKS", "10.0.0.0/8,intranet", "BOT_FETCH_ALLOW_NETWORKS: 'intranet' is not a network"),
        ("BOT_FETCH_ALLOW_PRIVATE", "maybe", "BOT_FETCH_ALLOW_PRIVATE: Input should be a valid boolean"),
        ("BOT_ADMIN_IDS", "0", "BOT_ADMIN_IDS: Input should be greater than 0"),
        ("BOT_ADMIN_IDS", "100000000000000000000000", "BOT_ADMIN_IDS: Input should be less than or equal to"),
    ],
)
def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_token_is_secret_and_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TELEGRAM_TOKEN", "123:hunter2")
    settings = Settings(_env_file=None)
    assert settings.telegram_token is not None
    assert "hunter2" not in repr(settings)
    assert settings.telegram_token.get_secret_value() == "123:hunter2"


def test_env_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BOT_TOP_K=5\nBOT_ADMIN_IDS=[7]\n", encoding="utf-8")
    settings = Settings(_env_file=env)
    assert (settings.top_k, settings.admin_ids) == (5, (7,))


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"BOT_{name.upper()}=" in example


def test_fetch_and_feed_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_FEEDS", " https://example.com/rss , http://news.test/atom.xml ")
    monkeypatch.setenv("BOT_FETCH_ALLOW_NETWORKS", "10.20.0.0/16, 192.168.1.5")
    settings = Settings(_env_file=None)
    assert settings.feeds == ("https://example.com/rss", "http://news.test/atom.xml")
    policy = settings.fetch_policy()
    assert not policy.allow_private
    assert policy.permits("10.20.3.4")
    assert policy.permits("192.168.1.5")
    assert not policy.permits("192.168.1.6")
    assert not policy.permits("127.0.0.1")
    assert policy.permits("93.184.216.34")
