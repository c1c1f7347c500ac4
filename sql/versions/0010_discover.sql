-- Discover (issue 14): market segments, segment drivers, underperformers, collaboration ideas, micro-genres,
-- similar tracks, genre evolution and popularity regression, all published per publication like the other agg_*
-- tables (written by the discover stage inside the same transaction, see jobs/discover.py).
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
-- A source that knows the similar artist's own id (the demo) says so; Last.fm gives names only.
ALTER TABLE similar_artists ADD COLUMN similar_artist_id text;

-- The market segment of each seed artist the page can show: similar artists and theirs, up to two hops.
CREATE TABLE agg_segments (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    seed_artist_id text NOT NULL,
    artist_id      text NOT NULL,
    name           text NOT NULL,
    hop            smallint NOT NULL CHECK (hop BETWEEN 1 AND 5),
    closeness      double precision NOT NULL,   -- 0..1: the similarity (hop 1) or its product along the path
    popularity     double precision,
    basis          text NOT NULL,               -- where the links came from: lastfm, demo or sound
    PRIMARY KEY (publication_id, seed_artist_id, artist_id)
);

-- What drives popularity in a seed's segment (a model trained on the segment's tracks without the seed's own).
CREATE TABLE agg_segment_drivers (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    seed_artist_id text NOT NULL,
    feature        text NOT NULL,
    importance     double precision NOT NULL,   -- share of the total gain, 0..1
    curve          jsonb NOT NULL DEFAULT '{}', -- partial dependence {"x": [...], "y": [...]} (top features only)
    n_tracks       integer NOT NULL,
    PRIMARY KEY (publication_id, seed_artist_id, feature)
);

-- The seed's tracks the segment model expects to do better than they do, ranked by the gap.
CREATE TABLE agg_underperformers (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    seed_artist_id text NOT NULL,
    track_id       text NOT NULL,
    name           text NOT NULL,
    popularity     double precision NOT NULL,
    expected       double precision NOT NULL,
    gap            double precision NOT NULL,
    rank           integer NOT NULL,
    PRIMARY KEY (publication_id, seed_artist_id, track_id)
);

-- Artists who worked with the seed's closest segment artists but never with the seed.
CREATE TABLE agg_collab_ideas (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    seed_artist_id text NOT NULL,
    artist_id      text NOT NULL,
    name           text NOT NULL,
    via_artist_id  text NOT NULL,
    via_name       text NOT NULL,
    closeness      double precision NOT NULL,
    popularity     double precision,
    score          double precision NOT NULL,
    rank           integer NOT NULL,
    PRIMARY KEY (publication_id, seed_artist_id, artist_id)
);

-- Micro-genres: KMeans clusters of standardised audio features (k chosen by silhouette, see summary).
CREATE TABLE agg_micro_genres (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    cluster        smallint NOT NULL,
    label          text NOT NULL,
    description    text NOT NULL,
    top_genres     jsonb NOT NULL DEFAULT '[]',
    n_tracks       integer NOT NULL,
    n_hits         integer NOT NULL,
    hit_rate       double precision,
    n_outliers     integer NOT NULL,
    PRIMARY KEY (publication_id, cluster)
);

-- One row per track with audio features: its micro-genre, map position and sound, for the map and playlists.
CREATE TABLE agg_discover_tracks (
    publication_id       bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    track_id             text NOT NULL,
    name                 text NOT NULL,
    artist_id            text,
    artist_name          text,
    genre                text NOT NULL,
    release_year         smallint,
    micro_genre          smallint,
    energy               real,
    danceability         real,
    valence              real,
    tempo                real,
    popularity           double precision,     -- peak of the hit metric so far
    is_hit               boolean NOT NULL,
    predicted_popularity double precision,     -- the popularity regression (forward-validated, see summary)
    pca_x                real,
    pca_y                real,
    is_outlier           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (publication_id, track_id)
);
CREATE INDEX agg_discover_tracks_micro ON agg_discover_tracks (publication_id, micro_genre, popularity DESC NULLS LAST);
CREATE INDEX agg_discover_tracks_genre ON agg_discover_tracks (publication_id, genre, popularity DESC NULLS LAST);

-- The k nearest tracks in audio space of every track (rank 1 = nearest).
CREATE TABLE agg_similar_tracks (
    publication_id   bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    track_id         text NOT NULL,
    rank             smallint NOT NULL,
    similar_track_id text NOT NULL,
    distance         real NOT NULL,
    PRIMARY KEY (publication_id, track_id, rank)
);

-- Share of each genre and micro-genre among the hits of each release year.
CREATE TABLE agg_genre_evolution (
    publication_id bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('genre', 'micro_genre')),
    label          text NOT NULL,
    release_year   smallint NOT NULL,
    n_hits         integer NOT NULL,
    share          double precision NOT NULL,
    PRIMARY KEY (publication_id, kind, label, release_year)
);

-- What the discover stage found and what it could not do (k, silhouettes, regression metrics, missing data).
CREATE TABLE agg_discover_summary (
    publication_id bigint PRIMARY KEY REFERENCES publications (publication_id) ON DELETE CASCADE,
    summary        jsonb NOT NULL DEFAULT '{}'
);

-- migrate:down
DROP TABLE agg_discover_summary;
DROP TABLE agg_genre_evolution;
DROP TABLE agg_similar_tracks;
DROP TABLE agg_discover_tracks;
DROP TABLE agg_micro_genres;
DROP TABLE agg_collab_ideas;
DROP TABLE agg_underperformers;
DROP TABLE agg_segment_drivers;
DROP TABLE agg_segments;
ALTER TABLE similar_artists DROP COLUMN similar_artist_id;
