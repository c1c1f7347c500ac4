"""Who may use the dashboard, and with which role (viewer or admin).

Users come from the `DASHBOARD_USERS` setting: comma-separated `name:role:hash` entries, where `hash` is a
werkzeug password hash (`pbkdf2:sha256:...` or `scrypt:...`). Make one with

    python -m dashboard.auth hash          # asks for the password twice, prints the hash

and set e.g. `DASHBOARD_USERS='ana:admin:scrypt:32768:8:1$...,bo:viewer:pbkdf2:sha256:...'`.
With no users configured and APP_ENV=development there is one user admin/admin (a warning says so);
in any other environment nobody can sign in until users are configured.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import logging
import sys
from dataclasses import dataclass

from flask import has_request_context, session
from werkzeug.security import check_password_hash, generate_password_hash

from core.settings import Settings, get_settings

logger = logging.getLogger(__name__)

ROLES = ("viewer", "admin")
DEV_USER, DEV_PASSWORD = "admin", "admin"


@functools.cache
def _dummy_hash(scheme: str) -> str:
    """A hash made with `scheme` (e.g. `pbkdf2:sha256:600000`, `scrypt:32768:8:1`), checked in place of a user's."""
    return generate_password_hash("not-a-user-password", method=scheme)


def hash_scheme(password_hash: str) -> str:
    """The method and cost of a werkzeug hash: everything before the salt (`scrypt:32768:8:1`)."""
    return password_hash.split("$", 1)[0]


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class UsersConfigError(ValueError):
    """`DASHBOARD_USERS` cannot be parsed; the message says which entry and why."""


@functools.cache
def parse_users(spec: str) -> dict[str, User]:
    """`name:role:hash,...` -> {name: User}. Hashes contain ':' themselves, so split only twice."""
    users: dict[str, User] = {}
    for number, entry in enumerate((e.strip() for e in spec.replace("\n", ",").split(",")), start=1):
        if not entry:
            continue
        parts = entry.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise UsersConfigError(f"DASHBOARD_USERS entry {number}: expected name:role:hash")
        name, role, password_hash = parts
        if role not in ROLES:
            raise UsersConfigError(f"DASHBOARD_USERS entry {number} ({name}): role must be one of {ROLES}")
        if not password_hash.startswith(("pbkdf2:", "scrypt:")):
            raise UsersConfigError(
                f"DASHBOARD_USERS entry {number} ({name}): not a werkzeug hash; make one with "
                "`python -m dashboard.auth hash`"
            )
        if name in users:
            raise UsersConfigError(f"DASHBOARD_USERS entry {number}: user {name!r} appears twice")
        users[name] = User(name, role, password_hash)
    return users


@functools.cache
def _development_users() -> dict[str, User]:
    logger.warning(
        "DASHBOARD_USERS is empty: APP_ENV=development allows the default user %s/%s. "
        "Never use this outside a laptop; set DASHBOARD_USERS (see docs/dashboard.md).",
        DEV_USER,
        DEV_PASSWORD,
    )
    return {DEV_USER: User(DEV_USER, "admin", generate_password_hash(DEV_PASSWORD))}


def check_users(settings: Settings) -> None:
    """Fail at start-up, not at the first sign-in: malformed users, or none where no default applies."""
    if not configured_users(settings) and settings.APP_ENV == "production":
        raise UsersConfigError("DASHBOARD_USERS is empty: set at least one admin (see docs/dashboard.md)")


def configured_users(settings: Settings) -> dict[str, User]:
    users = parse_users(settings.DASHBOARD_USERS)
    if not users and settings.APP_ENV == "development":
        return _development_users()
    return users


def authenticate(users: dict[str, User], name: str, password: str) -> User | None:
    """The user if the password matches; None otherwise.

    Every call does the same work, known name or not: one hash check per scheme (and cost) that the configured
    users have, the user's own hash for their scheme and a dummy hash for each other one. So a wrong name costs
    what a wrong password costs, whether the users' hashes are pbkdf2, scrypt, or a mix.
    """
    user = users.get(name)
    schemes = sorted({hash_scheme(u.password_hash) for u in users.values()}) or ["scrypt"]
    matches = False
    for scheme in schemes:
        if user is not None and hash_scheme(user.password_hash) == scheme:
            matches = check_password_hash(user.password_hash, password)
        else:
            check_password_hash(_dummy_hash(scheme), password)
    return user if user is not None and matches else None


def current_user() -> User | None:
    """The signed-in user of this request, with the role the settings give them now (None if signed out)."""
    if not has_request_context():
        return None
    name = session.get("user")
    if not name:
        return None
    return configured_users(get_settings()).get(str(name))


def current_user_name() -> str:
    user = current_user()
    return user.name if user else "anonymous"


def require_admin(action: str) -> User | None:
    """The admin doing `action`, or None after logging the refusal (call it inside the callback itself)."""
    user = current_user()
    if user is not None and user.is_admin:
        return user
    logger.warning(
        "refused %s for %s (role %s): admins only",
        action,
        user.name if user else "an anonymous request",
        user.role if user else "none",
    )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make a password hash for DASHBOARD_USERS.")
    parser.add_argument("command", choices=["hash"])
    parser.add_argument("--stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            sys.stderr.write("the two passwords differ\n")
            return 1
    if len(password) < 8:
        sys.stderr.write("use at least 8 characters\n")
        return 1
    sys.stdout.write(generate_password_hash(password) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
