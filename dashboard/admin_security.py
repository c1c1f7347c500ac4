"""The Admin page's sign-in card: accounts locked by wrong passwords, and "Sign out everywhere".

- Locked accounts: user names with `LOGIN_CEILING` wrong passwords within `LOGIN_WINDOW_MINUTES` from any
  address (sign-in refuses them everywhere until the window passes; the first refusal is logged as an error).
- "Sign out everywhere" revokes every live session of every user, the admin's own included (after a lost
  laptop or a leaked cookie). The admin check is in the callback itself, so a crafted request from a viewer
  is refused and logged.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from core.settings import get_settings
from dashboard import auth_queries, ids, sessions
from dashboard.auth import require_admin
from dashboard.components import age_text, unavailable_alert
from dashboard.db import reading, when_unavailable


def security_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Sign-in"),
            dbc.CardBody(
                [
                    html.Div(id=ids.ADMIN_LOCKED, className="small mb-2"),
                    dbc.Button(
                        "Sign out everywhere", id=ids.ADMIN_SIGN_OUT_ALL, color="danger", outline=True, size="sm"
                    ),  # fmt: skip
                    html.Span(
                        " ends every session of every user, yours too: everyone signs in again.",
                        className="small text-muted",
                    ),
                    html.Div(id=ids.ADMIN_SIGN_OUT_RESULT, className="mt-2"),
                ]
            ),
        ],
        className="mb-3",
    )


@callback(
    Output(ids.ADMIN_SIGN_OUT_RESULT, "children"),
    Input(ids.ADMIN_SIGN_OUT_ALL, "n_clicks"),
    prevent_initial_call=True,
)
@when_unavailable(unavailable_alert)
def sign_out_everywhere(n_clicks: int | None) -> object:
    if not n_clicks:
        return dash.no_update
    admin = require_admin("sign out everywhere")
    if admin is None:
        return dbc.Alert("Refused: only admins can sign everyone out. The attempt was logged.", color="danger")
    count = sessions.end_everywhere(by=admin.name)
    return dbc.Alert(f"Signed out {count} session(s). Reload to sign in again.", color="warning")


@callback(Output(ids.ADMIN_LOCKED, "children"), Input(ids.ADMIN_POLL, "n_intervals"))
@when_unavailable(unavailable_alert)
def locked_accounts(_tick: int | None) -> object:
    if require_admin("locked accounts") is None:
        return None
    settings = get_settings()
    with reading() as conn:
        locked = auth_queries.locked_accounts(
            conn=conn, minutes=settings.LOGIN_WINDOW_MINUTES, ceiling=settings.LOGIN_CEILING
        )
    if locked.empty:
        return html.Span("No account locked by wrong passwords.", className="text-muted")
    return dbc.Alert(
        [html.Strong("Locked by wrong passwords (from any address): ")]
        + [
            html.Div(
                f"{row.username}: {row.failures} wrong passwords from {row.addresses} address(es), "
                f"last {age_text(row.last_failure.to_pydatetime())}"
            )
            for row in locked.itertuples()
        ],
        color="danger",
        className="mb-2",
    )
