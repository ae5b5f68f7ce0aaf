"""Settings from the environment: secrets from files, ranges checked."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from service.logs import TEXT_FORMAT, logging_config
from service.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


def test_the_admin_token_and_database_url_are_read_from_the_files_their_file_variables_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("from-a-file-0123456789abcdef\n")
    (tmp_path / "url").write_text(f"sqlite:///{tmp_path}/r.db\n")
    monkeypatch.setenv("REGISTRY_ADMIN_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("REGISTRY_DATABASE_URL_FILE", str(tmp_path / "url"))
    settings = Settings()
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "from-a-file-0123456789abcdef"
    assert settings.database_url == f"sqlite:///{tmp_path}/r.db"


def test_a_variable_set_itself_wins_over_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("from-a-file-0123456789abcdef")
    monkeypatch.setenv("REGISTRY_ADMIN_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("REGISTRY_ADMIN_TOKEN", "from-the-variable-0123456789")
    settings = Settings()
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "from-the-variable-0123456789"


def test_a_file_that_cannot_be_read_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ADMIN_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValidationError, match="REGISTRY_ADMIN_TOKEN_FILE: cannot read"):
        Settings()


def test_logs_are_text_on_a_terminal_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    config = logging_config("info", Settings(admin_token="x" * 32).log_format)
    assert config["formatters"]["default"] == {"format": TEXT_FORMAT}


def test_logs_are_json_lines_elsewhere_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    config = logging_config("info", Settings(admin_token="x" * 32).log_format)
    assert "JsonFormatter" in config["formatters"]["default"]["()"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REGISTRY_RATE_LIMIT_READ_BURST", "0"),
        ("REGISTRY_RATE_LIMIT_WRITES_PER_MINUTE", "-1"),
        ("REGISTRY_RATE_LIMIT_IN_FLIGHT", "lots"),
    ],
)
def test_a_bad_request_quota_fails_at_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    setting = variable.removeprefix("REGISTRY_").lower()
    with pytest.raises(ValidationError, match=setting):
        Settings()
