-- Indexes for the dashboard's orderings (issue 12, "pages at the floor"): the Artists grid reads one block of
-- 20 rows at a time (dashboard/leaderboard_grid.py), and Morning reads the top risers and the emerging list,
-- each as `WHERE publication_id = :pid [AND genre = :genre] ORDER BY <order> DESC NULLS LAST, artist_id LIMIT n`.
-- With one index per ordering, with and without the genre, each read is a short index range scan instead of a
-- sort of the whole publication. Only the sort keys are indexed (no INCLUDE): rows of a fresh publication are
-- not all-visible yet, so an index-only scan would visit the heap anyway, and a block is 20 heap rows.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
DROP INDEX agg_artist_leaderboard_genre;
CREATE INDEX agg_artist_leaderboard_genre
    ON agg_artist_leaderboard (publication_id, genre, popularity DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_level
    ON agg_artist_leaderboard (publication_id, popularity DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_growth7
    ON agg_artist_leaderboard (publication_id, popularity_7d DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_growth28
    ON agg_artist_leaderboard (publication_id, popularity_28d DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_genre_growth7
    ON agg_artist_leaderboard (publication_id, genre, popularity_7d DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_genre_growth28
    ON agg_artist_leaderboard (publication_id, genre, popularity_28d DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_pct7
    ON agg_artist_leaderboard (publication_id, (coalesce(followers_7d_pct, listeners_7d_pct)) DESC NULLS LAST, artist_id);
CREATE INDEX agg_artist_leaderboard_pct28
    ON agg_artist_leaderboard (publication_id, (coalesce(followers_28d_pct, listeners_28d_pct)) DESC NULLS LAST, artist_id);
CREATE INDEX agg_track_scores_emerging_all
    ON agg_track_scores (publication_id, probability DESC, track_id) WHERE NOT is_hit;

-- migrate:down
DROP INDEX agg_track_scores_emerging_all;
DROP INDEX agg_artist_leaderboard_pct28;
DROP INDEX agg_artist_leaderboard_pct7;
DROP INDEX agg_artist_leaderboard_genre_growth28;
DROP INDEX agg_artist_leaderboard_genre_growth7;
DROP INDEX agg_artist_leaderboard_growth28;
DROP INDEX agg_artist_leaderboard_growth7;
DROP INDEX agg_artist_leaderboard_level;
DROP INDEX agg_artist_leaderboard_genre;
CREATE INDEX agg_artist_leaderboard_genre ON agg_artist_leaderboard (publication_id, genre, popularity DESC NULLS LAST);
