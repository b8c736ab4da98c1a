from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config import load_settings


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text('[tracker]\nsmtp_host = "smtp.kommun.se"\nsmtp_port = 25\n', encoding="utf-8")
    monkeypatch.setenv("TRACKER_SMTP_PORT", "587")
    settings = load_settings(path)
    assert (settings.smtp_host, settings.smtp_port) == ("smtp.kommun.se", 587)


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="TRACKER_SECRET_KEY är standardnyckeln"):
        load_settings(environment="production")


def test_production_refuses_the_development_mail_receiver() -> None:
    with pytest.raises(ValidationError, match="utvecklingsmottagaren"):
        load_settings(environment="production", secret_key="s" * 40, dev_mail_receiver=True)


def test_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parents[1] / "config" / "tracker.example.toml"
    settings = load_settings(example, secret_key="s" * 40)
    assert settings.timezone == "Europe/Stockholm"
