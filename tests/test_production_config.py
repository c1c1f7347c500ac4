"""Production start-up refuses what would let an attacker in or lose data, and sign-in timing hides names.

- gunicorn with APP_ENV=production and a guessable SECRET_KEY, or with no DATABASE_URL, exits at start-up
  with a message that says why and how to fix it (a good key is accepted and the app serves).
- The key estimate: keys from `secrets` pass, one character, words, repeats, runs and placeholders do not.
- An unknown user name costs the same hash work as a known one, whatever the users' hash schemes.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from werkzeug.security import generate_password_hash

from core.keys import MIN_KEY_BITS, entropy_bits, weak_key_reason
from dashboard import auth
from tests.dashboard_support import STRONG_SECRET_KEY, users_setting
from tests.servers import ROOT, free_port

WEAK_KEYS = ["x", "changethis", "password", "Hitscope2026!", "secret-key-for-the-hitscope-dashboard-production",
             "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc", "a" * 64,
             "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
             "correct horse battery staple orange purple monkey dishwasher kettle"]  # fmt: skip
MAKE_ONE = "secrets.token_urlsafe(48)"


def start_production(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str] | int:
    """Run gunicorn as production: the finished process if it refused to start, else the status of GET /login."""
    port = free_port()
    full_env = {**os.environ, "APP_ENV": "production", "DASHBOARD_USERS": users_setting(),
                "EMBEDDED_PGDATA": str(tmp_path / "pgdata"), **env}  # fmt: skip
    if "DATABASE_URL" not in env:
        full_env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "gunicorn", "dashboard.wsgi:server", "--workers", "1",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=full_env, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return subprocess.CompletedProcess(command, process.returncode, "", process.stderr.read())
            try:
                return requests.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code
            except requests.RequestException:  # not listening yet, or the worker still booting
                time.sleep(0.3)
        raise TimeoutError("gunicorn neither served nor exited within 60 s")
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)
        process.stderr.close()


@pytest.mark.parametrize("key", ["hitscope", "correct horse battery staple"])
def test_production_refuses_a_guessable_secret_key(tmp_path: Path, database_url: str, key: str) -> None:
    outcome = start_production(tmp_path, SECRET_KEY=key, DATABASE_URL=database_url)
    assert isinstance(outcome, subprocess.CompletedProcess), "gunicorn started with a guessable SECRET_KEY"
    assert outcome.returncode != 0
    assert "SECRET_KEY is" in outcome.stderr and MAKE_ONE in outcome.stderr
    assert key not in outcome.stderr.replace("SECRET_KEY is", "")  # the refusal does not echo the key


def test_production_with_a_good_key_and_a_database_serves(tmp_path: Path, database_url: str) -> None:
    outcome = start_production(tmp_path, SECRET_KEY=STRONG_SECRET_KEY, DATABASE_URL=database_url)
    assert outcome == 200, f"refused to start: {getattr(outcome, 'stderr', '')[-500:]}"


def test_production_refuses_to_start_without_a_database_url(tmp_path: Path) -> None:
    outcome = start_production(tmp_path, SECRET_KEY=STRONG_SECRET_KEY)
    assert isinstance(outcome, subprocess.CompletedProcess), "gunicorn started with no DATABASE_URL"
    assert outcome.returncode != 0
    assert "DATABASE_URL is not set" in outcome.stderr and "embedded PostgreSQL" in outcome.stderr
    assert not (tmp_path / "pgdata").exists()  # and no embedded server was started


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_guessable_keys_are_refused_with_how_to_make_one(key: str) -> None:
    reason = weak_key_reason(key)
    assert reason is not None and MAKE_ONE in reason


def test_random_keys_pass_the_estimate() -> None:
    keys = [secrets.token_urlsafe(48) for _ in range(300)] + [secrets.token_hex(32) for _ in range(300)]
    assert [key for key in keys if weak_key_reason(key)] == []
    assert min(entropy_bits(key) for key in keys) >= MIN_KEY_BITS


@pytest.mark.parametrize(
    "schemes",
    [["pbkdf2:sha256:1000"], ["scrypt:1024:8:1"], ["pbkdf2:sha256:1000", "scrypt:1024:8:1"]],
)
def test_unknown_names_do_the_same_hash_work_as_known_ones(monkeypatch: pytest.MonkeyPatch, schemes: list[str]) -> None:
    users = {
        f"user{n}": auth.User(f"user{n}", "viewer", generate_password_hash("right-password", method=scheme))
        for n, scheme in enumerate(schemes)
    }
    checked: list[str] = []
    real_check = auth.check_password_hash

    def counting_check(password_hash: str, password: str) -> bool:
        checked.append(auth.hash_scheme(password_hash))
        return real_check(password_hash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting_check)
    work = {}
    for name, password in [("user0", "right-password"), ("user0", "wrong"), ("nobody", "wrong"), ("", "")]:
        checked.clear()
        outcome = auth.authenticate(users, name, password)
        assert (outcome is not None) == (password == "right-password")
        work[name, password] = sorted(checked)
    assert len(set(map(tuple, work.values()))) == 1, work  # the same schemes, the same number of times
    assert work["nobody", "wrong"] == sorted(schemes)
