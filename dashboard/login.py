"""Sign-in for the whole app: a plain Flask login form, a guard in front of every other route, sign-out.

- Every page and every Dash request needs a signed-in user; `/login`, `/healthz` and static files do not.
  A signed-out page request is redirected to the form; a signed-out Dash request gets 401.
- Wrong passwords are counted in `login_attempts` (shared by all gunicorn workers): after
  `LOGIN_MAX_FAILURES` within `LOGIN_WINDOW_MINUTES` for a user name or an address, sign-in is refused.
- The session cookie is signed with `SECRET_KEY`, HttpOnly, SameSite=Lax, Secure in production. Dash's
  callback requests must also carry the session's CSRF token (Dash sends the `_csrf_token` cookie as a
  header), so another site cannot drive a callback even where SameSite is not enforced.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request, session

from core.settings import Settings, get_settings
from dashboard import queries
from dashboard.auth import authenticate, configured_users, current_user
from dashboard.db import DataUnavailable, writing

logger = logging.getLogger(__name__)

OPEN_PREFIXES = (
    "/login",
    "/healthz",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/favicon.ico",
)
CSRF_COOKIE = "_csrf_token"

_PAGE = (Path(__file__).resolve().parent / "login.html").read_text()


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect a signed-in user to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(message: str = "", username: str = "", status: int = 200) -> Response:
    session.setdefault("login_csrf", secrets.token_urlsafe(24))
    hint = ""
    settings = get_settings()
    if settings.APP_ENV == "development" and not settings.DASHBOARD_USERS:
        hint = '<p class="small text-muted mt-3">Development default: admin / admin (set DASHBOARD_USERS).</p>'
    body = _PAGE.format(
        message=f'<div class="alert alert-danger">{escape(message)}</div>' if message else "",
        csrf=escape(session["login_csrf"]),
        next=escape(_safe_next(request.values.get("next"))),
        username=escape(username),
        hint=hint,
    )
    return Response(body, status=status, mimetype="text/html")


def _client_address() -> str:
    return request.remote_addr or "unknown"


def login() -> Response:
    if request.method == "GET":
        return _login_page()
    settings = get_settings()
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")
    if not secrets.compare_digest(request.form.get("csrf", ""), session.get("login_csrf", "")):
        return _login_page("The form expired: please sign in again.", username, 400)
    address = _client_address()
    try:
        with writing() as conn:
            failures = queries.recent_login_failures(
                conn=conn, username=username, remote_addr=address, minutes=settings.LOGIN_WINDOW_MINUTES
            )
            if failures >= settings.LOGIN_MAX_FAILURES:
                logger.warning("sign-in for %r from %s refused: %d recent failures", username, address, failures)
                return _login_page(
                    f"Too many wrong passwords: try again in {settings.LOGIN_WINDOW_MINUTES} minutes.",
                    username,
                    429,
                )
            user = authenticate(configured_users(settings), username, password)
            queries.record_login_attempt(conn=conn, username=username, remote_addr=address, succeeded=bool(user))
    except DataUnavailable:
        return _login_page("Sign-in is temporarily unavailable (the database did not answer).", username, 503)
    if user is None:
        logger.warning("wrong user name or password for %r from %s", username, address)
        return _login_page("Wrong user name or password.", username, 401)
    next_page = _safe_next(request.form.get("next"))
    session.clear()
    session.permanent = True
    session["user"] = user.name
    session["csrf"] = secrets.token_urlsafe(24)
    logger.info("%s (%s) signed in from %s", user.name, user.role, address)
    return redirect(next_page)  # type: ignore[return-value]


def logout() -> Response:
    session.clear()
    response = redirect("/login")
    response.delete_cookie(CSRF_COOKIE)
    return response  # type: ignore[return-value]


def keep_csrf_cookie(response: Response) -> Response:
    """After each request of a signed-in session: the CSRF cookie holds the session's token.

    Readable by the page's script (Dash copies it into the X-CSRFToken header); useless to another site.
    """
    token = session.get("csrf")
    if token and request.cookies.get(CSRF_COOKIE) != token:
        secure = get_settings().APP_ENV == "production"
        response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="Lax", secure=secure)
    return response


def guard() -> Response | None:
    """Run before every request: let open paths through, require a user (and the CSRF token) elsewhere."""
    path = request.path
    if path.startswith(OPEN_PREFIXES):
        return None
    user = current_user()
    is_dash_call = path.startswith("/_dash-")
    if user is None:
        if is_dash_call:
            return Response('{"error": "sign in first"}', status=401, mimetype="application/json")
        target = request.full_path.rstrip("?") if request.query_string else path
        return redirect(f"/login?next={target}")  # type: ignore[return-value]
    if request.method == "POST" and is_dash_call:
        sent = request.headers.get("X-CSRFToken", "")
        if not secrets.compare_digest(sent, session.get("csrf", "")):
            logger.warning("refused a Dash request from %s without a valid CSRF token", user.name)
            return Response('{"error": "invalid CSRF token"}', status=403, mimetype="application/json")
    return None


def install_login(server: Flask, settings: Settings) -> None:
    """Configure the session cookie and add /login, /logout and the guard to the Flask server."""
    server.config.update(
        SECRET_KEY=settings.SECRET_KEY,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.APP_ENV == "production",
        SESSION_COOKIE_NAME="hitscope_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.SESSION_HOURS),
    )
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])
    server.before_request(guard)
    server.after_request(keep_csrf_cookie)
