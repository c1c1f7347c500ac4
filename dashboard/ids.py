"""Component ids, prefixed by page so two pages can never collide (Dash resolves ids across the whole app).

Every id in dashboard/ comes from here: no page spells one as a string or builds one by concatenation
(tests/test_layout_rules.py checks every `id=` and every Output/Input/State). Pattern-matching ids are built
by the functions at the end.
"""

# app shell
NAVBAR = "app-navbar"
NAVBAR_TOGGLER = "app-navbar-toggler"
NAVBAR_COLLAPSE = "app-navbar-collapse"
NAV_USER = "app-nav-user"
NAV_SEARCH = "app-nav-search"
NAV_SEARCH_RESULTS = "app-nav-search-results"

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
ARTISTS_DOWNLOAD = "artists-download"  # the leaderboard's CSV, written on the server (dashboard/server_grid.py)

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
ADMIN_RUNS_EXPORT = "admin-runs-export"
ADMIN_RETRAIN = "admin-retrain"
ADMIN_HEALTH = "admin-health"
ADMIN_SIGN_OUT_ALL = "admin-sign-out-all"
ADMIN_SIGN_OUT_RESULT = "admin-sign-out-result"
ADMIN_LOCKED = "admin-locked-accounts"

# Model ("/model")
MODEL_LOAD = "model-load"
MODEL_ALERT = "model-alert"
MODEL_SUMMARY = "model-summary"
MODEL_VERDICT = "model-verdict"
MODEL_IMPORTANCE = "model-importance"
MODEL_METRICS = "model-metrics"
MODEL_CALIBRATION = "model-calibration"
MODEL_METRICS_EXPORT = "model-metrics-export"
# Discover and the Track page's similar tracks
DISCOVER_ARTIST = "discover-artist"
DISCOVER_SEGMENT_NOTE = "discover-segment-note"
DISCOVER_SEGMENT_FACTS = "discover-segment-facts"
DISCOVER_DRIVERS = "discover-drivers"
DISCOVER_MICRO_FACTS = "discover-micro-facts"
DISCOVER_MAP = "discover-map"
DISCOVER_SEGMENT = "discover-segment"
DISCOVER_SEGMENT_EXPORT = "discover-segment-export"
DISCOVER_UNDER = "discover-underperformers"
DISCOVER_UNDER_EXPORT = "discover-underperformers-export"
DISCOVER_IDEAS = "discover-ideas"
DISCOVER_IDEAS_EXPORT = "discover-ideas-export"
TRACK_SIMILAR = "track-similar"
TRACK_SIMILAR_EXPORT = "track-similar-export"
TRACK_SIMILAR_NOTE = "track-similar-note"
MODEL_VERSIONS_EXPORT = "model-versions-export"
MODEL_VERSIONS = "model-versions"

# Track ("/track/<track_id>") and artist ("/artist/<artist_id>") pages
TRACK_ID = "track-id"
TRACK_HEADER = "track-header"
TRACK_NOT_LISTED = "track-not-listed"
TRACK_WATERFALL = "track-waterfall"
TRACK_HISTORY = "track-history"
ARTIST_ID = "artist-id"
ARTIST_HEADER = "artist-header"
ARTIST_HISTORY = "artist-history"
ARTIST_RELEASES = "artist-releases"
ARTIST_RELEASES_EXPORT = "artist-releases-export"


# Morning: emerging hits, risers, alerts
MORNING_URL = "morning-url"
MORNING_GENRE = "morning-genre"
MORNING_EMERGING = "morning-emerging"
MORNING_EMERGING_NOTE = "morning-emerging-note"
MORNING_RISER_WINDOW = "morning-riser-window"
MORNING_RISER_BASIS = "morning-riser-basis"
MORNING_RISERS = "morning-risers"
MORNING_ALERTS = "morning-alerts"
MORNING_ALERTS_GRID = "morning-alerts-grid"
TRACK_REASONS = "track-reasons"
TRACK_EXACT = "track-exact"
TRACK_STATS = "track-stats"
SEASON_NOTE = "season-note"

# Watchlists (dashboard/watch_ui.py): the star on artist and track pages (pattern-matching id), Morning's section
WATCH_STAR = "watch-star"  # {"type": WATCH_STAR, "kind": "artist" | "track", "id": <entity id>}
MORNING_WATCHLIST = "morning-watchlist"
MORNING_WATCHLIST_SLOT = "morning-watchlist-slot"
MORNING_WATCHLIST_NOTE = "morning-watchlist-note"
MORNING_WATCHLIST_EXPORT = "morning-watchlist-export"

# Admin: the running run's stages, the outcome of a request, alert deliveries
ADMIN_PROGRESS = "admin-progress"
ADMIN_REQUEST_ID = "admin-request-id"
ADMIN_DELIVERIES = "admin-deliveries"
ADMIN_DELIVERIES_EXPORT = "admin-deliveries-export"
ADMIN_RUNNING = "admin-running-run"
ADMIN_PROGRESS_POLL = "admin-progress-poll"
ADMIN_REQUEST_POLL = "admin-request-poll"
ADMIN_REQUEST_TEXT = "admin-request-text"
TRAINING_NOTICE = "training-notice"  # Morning and Model, while the first model trains
MORNING_RUN_STORY = "morning-run-story"

# Discover's playlist generator (dashboard/discover_playlist.py)
PLAYLIST_ENERGY = "playlist-energy"
PLAYLIST_DANCE = "playlist-danceability"
PLAYLIST_VALENCE = "playlist-valence"
PLAYLIST_TEMPO = "playlist-tempo"
PLAYLIST_GENRE = "playlist-genre"
PLAYLIST_MICRO = "playlist-micro"
PLAYLIST_LENGTH = "playlist-length"
PLAYLIST_GO = "playlist-go"
PLAYLIST_NOTE = "playlist-note"
PLAYLIST_GRID = "playlist-grid"
PLAYLIST_EXPORT = "playlist-export"

# Lookup ("/lookup")
LOOKUP_QUERY = "lookup-query"
LOOKUP_GO = "lookup-go"
LOOKUP_RESULT = "lookup-result"
LOOKUP_REQUEST = "lookup-request"
LOOKUP_POLL = "lookup-poll"
LOOKUP_GAUGE = "lookup-gauge"


def watch_star(kind: object, entity_id: object) -> dict[str, object]:
    """The star's pattern-matching id; callbacks pass `dash.MATCH` for both parts."""
    return {"type": WATCH_STAR, "kind": kind, "id": entity_id}


# Dash's own page container (dash.page_container): dashboard/first_page.py builds it already holding the page.
PAGES_LOCATION = "_pages_location"
PAGES_CONTENT = "_pages_content"
PAGES_STORE = "_pages_store"
PAGES_DUMMY = "_pages_dummy"

# The parts of a server-drawn table (dashboard/short_table.py), one set per table name.
SHORT_TABLE_PARTS = ("table", "rows", "view", "body", "export", "download")


def short_table(part: str, table: object) -> dict[str, object]:
    """A part's pattern-matching id (`part` one of SHORT_TABLE_PARTS); callbacks pass `dash.MATCH` as `table`."""
    if part not in SHORT_TABLE_PARTS:
        raise ValueError(f"no short-table part {part!r}")
    return {"type": f"short-table-{part}", "table": table}
