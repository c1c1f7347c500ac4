"""Component ids, prefixed by page so two pages can never collide (Dash resolves ids across the whole app)."""

# app shell
NAVBAR = "app-navbar"
NAV_USER = "app-nav-user"

# Morning ("/")
MORNING_FRESHNESS = "morning-freshness"
MORNING_HEADLINES = "morning-headlines"
MORNING_LAST_RUN = "morning-last-run"
MORNING_LOAD = "morning-load"

# Artists ("/artists")
ARTISTS_URL = "artists-url"
ARTISTS_ALERT = "artists-alert"
ARTISTS_GENRE = "artists-genre"
ARTISTS_ORDER = "artists-order"
ARTISTS_TOP = "artists-top"
ARTISTS_GRAPH = "artists-graph"
ARTISTS_GRID = "artists-grid"
ARTISTS_EXPORT = "artists-export"

# Seasonality ("/seasonality")
SEASON_URL = "season-url"
SEASON_ALERT = "season-alert"
SEASON_GENRE = "season-genre"
SEASON_YEARS = "season-years"
SEASON_METRIC = "season-metric"
SEASON_BARS = "season-bars"
SEASON_HEATMAP = "season-heatmap"
SEASON_EXCLUDED = "season-excluded"

# Admin ("/admin")
ADMIN_SOURCE = "admin-source"
ADMIN_REFRESH = "admin-refresh"
ADMIN_REFRESH_RESULT = "admin-refresh-result"
ADMIN_POLL = "admin-poll"
ADMIN_QUEUE = "admin-queue"
ADMIN_RUNS = "admin-runs"
