"""Project conventions that should fail loudly when broken: every setting documented, CLI and Procfile agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import Settings, get_settings, normalise_database_url
from jobs.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_table(name: str) -> None:
    assert re.search(rf"^\| `{name}` \|", README, re.MULTILINE), f"{name} is missing from README's settings table"


def test_every_cli_command_is_in_the_readme() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for command in commands:
        assert f"| `{command}" in README, f"`python -m jobs {command}` is not documented in the README"


def test_procfile_names_the_three_processes() -> None:
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert set(procfile) == {"release", "web", "worker"}
    assert "dashboard.wsgi:server" in procfile["web"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_production_refuses_placeholder_secret(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "changethis")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="SECRET_KEY"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_secrets_are_redacted_from_log_lines() -> None:
    from core.logs import redact

    line = "GET https://x/?api_key=abc123&x=1 Authorization: Bearer tok.en postgresql://u:hunter2@db/x"
    cleaned = redact(line)
    assert "abc123" not in cleaned and "tok.en" not in cleaned and "hunter2" not in cleaned
