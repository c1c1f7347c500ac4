"""The floor for the dashboard benchmark: a bare Dash app on the same machine whose callback returns the same
kind of figure as Hitscope's Artists page (`dashboard.figures.artist_bars`, graph_objects, 20 bars) built
from a frame held in memory: no database, no sign-in, no grid. Served like Hitscope:

    gunicorn -w 2 -b 127.0.0.1:PORT bench.floor_app:server
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from dash import Dash, Input, Output, dcc, html

from dashboard.figures import artist_bars

GENRES = ["pop", "hip hop", "rock", "latin", "edm", "r&b", "country", "indie"]
_rng = np.random.default_rng(42)
FRAME = pd.DataFrame(
    {
        "artist_id": [f"demo:a{i:06d}" for i in range(3000)],
        "name": [f"Artist {i}" for i in range(3000)],
        "genre": _rng.choice(GENRES, 3000),
        "popularity": np.round(_rng.uniform(10, 95, 3000)),
    }
).sort_values("popularity", ascending=False)

app = Dash(__name__, serve_locally=True)
app.layout = html.Div([dcc.Dropdown(id="genre", options=GENRES), dcc.Graph(id="graph")])
server = app.server


@app.callback(Output("graph", "figure"), Input("genre", "value"))
def render(genre: str | None) -> object:
    frame = FRAME if genre is None else FRAME[FRAME["genre"] == genre]
    return artist_bars(frame.head(20), value="popularity", label="Popularity now · top 20")
