"""Settings that cannot be used stop every command with a Swedish message, never a traceback:
the operator's first run of `tracker db upgrade` or `tracker check` is where they show."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tracker.cli import cli


def _run(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("command", [["check"], ["db", "upgrade"], ["outbox", "list"]])
def test_production_without_a_secret_key_is_refused_in_swedish(
    tmp_path: Path, command: list[str]
) -> None:
    env = {"TRACKER_ENVIRONMENT": "production"}
    code, out = _run(["--database", str(tmp_path / "t.db"), *command], env)
    assert code == 1
    assert "Inställningarna går inte att använda" in out
    assert "TRACKER_SECRET_KEY är standardnyckeln" in out
    assert "Traceback" not in out and "pydantic" not in out


def test_a_value_that_is_no_number_names_its_variable(tmp_path: Path) -> None:
    env = {"TRACKER_SMTP_PORT": "femtioåtta"}
    code, out = _run(["--database", str(tmp_path / "t.db"), "check"], env)
    assert code == 1
    assert "smtp_port (TRACKER_SMTP_PORT): 'femtioåtta' är inget heltal" in out


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        (
            "TRACKER_LINK_MAX_AGE_DAYS",
            "-5",
            "link_max_age_days (TRACKER_LINK_MAX_AGE_DAYS): '-5' är för litet (minst 1)",
        ),
        (
            "TRACKER_REMINDER_HOUR",
            "24",
            "reminder_hour (TRACKER_REMINDER_HOUR): '24' är för stort (högst 23)",
        ),
        ("TRACKER_SMTP_PORT", "0", "smtp_port (TRACKER_SMTP_PORT): '0' är för litet (minst 1)"),
        (
            "TRACKER_OUTBOX_INTERVAL_SECONDS",
            "0",
            "(TRACKER_OUTBOX_INTERVAL_SECONDS): '0' är för litet",
        ),
    ],
)
def test_a_number_no_installation_can_run_with_is_named_with_its_bound(
    tmp_path: Path, variable: str, value: str, said: str
) -> None:
    # A negative link lifetime would make every link expired as it is sent; an hour of 24 is
    # no time a sweep can run at.
    code, out = _run(["--database", str(tmp_path / "t.db"), "check"], {variable: value})
    assert code == 1
    assert said in " ".join(out.split()), out


def test_an_unknown_setting_in_the_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text('[tracker]\nsmtp_hots = "smtp.kommun.se"\n', encoding="utf-8")
    code, out = _run(["--config", str(path), "--database", str(tmp_path / "t.db"), "check"], {})
    assert code == 1
    assert "smtp_hots: okänd inställning" in out


def test_a_missing_settings_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "etc" / "tracker.toml"
    code, out = _run(["db", "upgrade"], {"TRACKER_CONFIG": str(missing)})
    assert code == 1
    assert f"Inställningsfilen {missing} finns inte." in out


def test_a_settings_file_that_is_no_toml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text("[tracker]\nsmtp_host = smtp.kommun.se\n", encoding="utf-8")
    code, out = _run(["--config", str(path), "check"], {})
    assert code == 1
    assert f"Inställningsfilen {path} är inte giltig TOML" in out
    assert "rad 2" in out
