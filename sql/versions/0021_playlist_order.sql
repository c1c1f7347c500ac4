-- The playlist generator's ordering (issue 12, "the risers and growth orderings have no index"): EXPLAIN of every
-- grid and list read showed one sort of a whole publication left, the playlist with no genre and no micro-genre
-- (`WHERE publication_id = :pid AND <sound ranges> ORDER BY popularity DESC NULLS LAST, track_id LIMIT n`, a
-- top-N sort of every track with audio features: 19 ms at 11k tracks). With this index the planner walks the
-- publication's tracks most popular first and stops after n matches (0.2 ms); for narrow ranges, where few tracks
-- match, it still chooses the scan. The risers and growth orderings (0015_grid_indexes.sql) and the genre and
-- micro-genre playlists (0010_discover.sql) already read an index in order. Applied by core/migrations.py.

-- migrate:up
CREATE INDEX agg_discover_tracks_popularity
    ON agg_discover_tracks (publication_id, popularity DESC NULLS LAST, track_id);

-- migrate:down
DROP INDEX agg_discover_tracks_popularity;
