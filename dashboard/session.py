"""Who is asking: the signed-in user of the current request (set by the login flow in `dashboard.auth`)."""

from __future__ import annotations

from flask import has_request_context, session


def current_user_name() -> str:
    if has_request_context() and session.get("user"):
        return str(session["user"])
    return "anonymous"
