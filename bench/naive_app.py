"""The "naive" way, for the dashboard benchmark: the Artists view computed live from `raw_observations` on
every callback, as a notebook turned into an app does (no precomputed tables), with the same outputs as
Hitscope's callback: a 20-bar figure and every artist's row for the grid.

    DATABASE_URL=... gunicorn -w 2 -b 127.0.0.1:PORT bench.naive_app:server

(SQL outside the query modules on purpose: this is the design Hitscope avoids, kept here to be measured.)
"""

from __future__ import annotations

import os

import pandas as pd
from dash import Dash, Input, Output, dcc, html
from sqlalchemy import text

from core.db import get_engine
from dashboard.figures import artist_bars

RAW = """
    SELECT o.entity_id AS artist_id, a.name, a.genre, o.observed_on, o.value
    FROM raw_observations o JOIN artists a ON a.artist_id = o.entity_id
    WHERE o.entity_type = 'artist' AND o.metric = 'spotify_popularity'
      AND o.observed_on BETWEEN (SELECT max(observed_on) FROM raw_observations) - 7
                            AND (SELECT max(observed_on) FROM raw_observations)
"""

app = Dash(__name__, serve_locally=True)
app.layout = html.Div([dcc.Dropdown(id="genre"), dcc.Graph(id="graph"), dcc.Store(id="rows")])
server = app.server


@app.callback(Output("graph", "figure"), Output("rows", "data"), Input("genre", "value"))
def render(genre: str | None) -> tuple[object, object]:
    with get_engine(os.environ["DATABASE_URL"]).connect() as conn:
        raw = pd.read_sql(text(RAW), conn)
    if genre is not None:
        raw = raw[raw["genre"] == genre]
    wide = raw.pivot_table(index=["artist_id", "name", "genre"], columns="observed_on", values="value")
    days = sorted(wide.columns)
    board = pd.DataFrame({"popularity": wide[days[-1]], "popularity_7d": wide[days[-1]] - wide[days[0]]})
    board = board.reset_index().sort_values(["popularity", "artist_id"], ascending=[False, True])
    figure = artist_bars(board.head(20), value="popularity", label="Popularity now · top 20")
    return figure, board.to_dict("records")
