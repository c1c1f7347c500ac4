"""Sign-in for the whole app: a plain Flask login form, a guard in front of every other route, sign-out.

- Every page and every Dash request needs a signed-in user whose server-side session is live
  (`dashboard.sessions`); `/login`, `/healthz` and static files do not. A signed-out page request is
  redirected to the form; a signed-out Dash request gets 401; 503 when the database cannot say.
- Wrong passwords are counted in `login_attempts` (shared by all gunicorn workers), under advisory locks so
  parallel tries are counted one after the other. Within `LOGIN_WINDOW_MINUTES`: `LOGIN_MAX_FAILURES` for a
  user name from one address lock that pair; `LOGIN_CEILING` for a user name from any address lock the
  account everywhere and alert the admins (logged as an error, listed on Admin); `LOGIN_CEILING` from one
  address under any names lock that address.
- The session cookie is signed with `SECRET_KEY`, HttpOnly, SameSite=Lax, Secure in production. The form
  and Dash's callback requests must carry the session's CSRF token (Dash sends the `_csrf_token` cookie as
  a header); a missing or empty token never matches.
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
from dashboard import auth_queries, sessions
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
UNAVAILABLE = "Temporarily unavailable: the database did not answer. Try again in a minute."

_PAGE = (Path(__file__).resolve().parent / "login.html").read_text()


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect a signed-in user to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if parts.path == "/logout":  # a revoked session's "Log out" click must not sign out the next sign-in
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


def tokens_match(sent: object, expected: object) -> bool:
    """The CSRF check: both tokens present, non-empty strings, and equal (compared in constant time)."""
    if not isinstance(sent, str) or not isinstance(expected, str) or not sent or not expected:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())


def _lockout(failures: auth_queries.Failures, settings: Settings) -> str | None:
    if failures.user >= settings.LOGIN_CEILING:
        return "account"
    if failures.address >= settings.LOGIN_CEILING:
        return "address"
    if failures.pair >= settings.LOGIN_MAX_FAILURES:
        return "user and address"
    return None


def login() -> Response:
    if request.method == "GET":
        return _login_page()
    settings = get_settings()
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")
    if not tokens_match(request.form.get("csrf"), session.get("login_csrf")):
        return _login_page("The form expired: please sign in again.", username, 400)
    address = _client_address()
    try:
        with writing() as conn:
            auth_queries.lock_sign_in(conn=conn, username=username, remote_addr=address)
            failures = auth_queries.recent_failures(
                conn=conn, username=username, remote_addr=address, minutes=settings.LOGIN_WINDOW_MINUTES
            )
            locked = _lockout(failures, settings)
            if locked:
                logger.warning("sign-in for %r from %s refused: locked per %s %s", username, address, locked, failures)
                return _login_page(
                    f"Too many wrong passwords: try again in {settings.LOGIN_WINDOW_MINUTES} minutes.",
                    username,
                    429,
                )
            user = authenticate(configured_users(settings), username, password)
            auth_queries.record_login_attempt(conn=conn, username=username, remote_addr=address, succeeded=bool(user))
            if user is None and failures.user + 1 == settings.LOGIN_CEILING:
                logger.error(
                    "account %r locked for every address: %d wrong passwords in %d minutes (listed on Admin)",
                    username,
                    settings.LOGIN_CEILING,
                    settings.LOGIN_WINDOW_MINUTES,
                )
            if user is not None:
                next_page = _safe_next(request.form.get("next"))
                sessions.start(conn=conn, username=user.name, remote_addr=address)
    except DataUnavailable:
        return _login_page("Sign-in is temporarily unavailable (the database did not answer).", username, 503)
    if user is None:
        logger.warning("wrong user name or password for %r from %s", username, address)
        return _login_page("Wrong user name or password.", username, 401)
    logger.info("%s (%s) signed in from %s", user.name, user.role, address)
    return redirect(next_page)  # type: ignore[return-value]


def logout() -> Response:
    """Revoke the session on the server, then clear the cookies."""
    user = current_user()
    try:
        sessions.end(by=user.name if user else "anonymous")
    except DataUnavailable:
        return Response("Sign-out could not be recorded (the database did not answer): try again.", 503)
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
    """Run before every request: let open paths through, require a live session (and the CSRF token) elsewhere."""
    path = request.path
    if path.startswith(OPEN_PREFIXES):
        return None
    user = current_user()
    is_dash_call = path.startswith("/_dash-")
    if user is not None:
        try:
            live = sessions.is_live()
        except DataUnavailable:
            if is_dash_call:
                return Response('{"error": "database unavailable"}', status=503, mimetype="application/json")
            return Response(UNAVAILABLE, status=503, mimetype="text/plain")
        if not live:
            session.clear()
            user = None
    if user is None:
        if is_dash_call:
            return Response('{"error": "sign in first"}', status=401, mimetype="application/json")
        target = request.full_path.rstrip("?") if request.query_string else path
        return redirect(f"/login?next={target}")  # type: ignore[return-value]
    if request.method == "POST" and is_dash_call:
        if not tokens_match(request.headers.get("X-CSRFToken"), session.get("csrf")):
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
