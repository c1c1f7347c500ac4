-- Similar tracks stored compactly (issue 12): one row per track instead of one per (track, rank), with integer
-- ids. The publish stage wrote 10 text rows a track (777,490 rows and a three-column text primary key at 77,749
-- tracks, a COPY of 5-16 s); it now writes one binary COPY row a track: its `track_no` (the track's number in the
-- publication's `agg_discover_tracks`, which gains that column) and arrays of its neighbours' numbers and
-- distances, nearest first (`rank` is the array position). jobs/similar_tracks.py writes both; the Track page
-- reads them (dashboard/discover_queries.py similar_tracks). Existing publications are converted in place.
--
-- The four big published tables (similar tracks, discover tracks, track scores, artist leaderboard: 96% of a
-- publication's rows) lose their row-level foreign key to `publications`: its check ran once per COPYed row
-- and doubled the similar tracks' COPY (0.3 -> 0.7 s at 100k tracks, measured). The same rules hold per
-- statement instead: an AFTER INSERT / UPDATE trigger with the statement's rows (a transition table) locks
-- their publications FOR KEY SHARE, as the foreign key did, and refuses rows of a publication that does not
-- exist (SQLSTATE 23503, foreign_key_violation); deleting publications deletes their rows (what ON DELETE
-- CASCADE did), in one statement per table.
-- Applied by core/migrations.py.

-- migrate:up
ALTER TABLE agg_discover_tracks ADD COLUMN track_no integer;
UPDATE agg_discover_tracks d SET track_no = n.track_no
FROM (SELECT publication_id, track_id,
             CAST(row_number() OVER (PARTITION BY publication_id ORDER BY track_id) AS integer) - 1 AS track_no
      FROM agg_discover_tracks) n
WHERE n.publication_id = d.publication_id AND n.track_id = d.track_id;
CREATE UNIQUE INDEX agg_discover_tracks_no ON agg_discover_tracks (publication_id, track_no);

CREATE TABLE agg_similar_track_lists (
    publication_id bigint NOT NULL,  -- publications (publication_id), kept by the statement triggers below
    track_no       integer NOT NULL,
    similar_nos    integer[] NOT NULL,  -- agg_discover_tracks.track_no of the nearest tracks, nearest first
    distances      real[] NOT NULL,     -- their distances, in the same order
    PRIMARY KEY (publication_id, track_no),
    CHECK (cardinality(similar_nos) = cardinality(distances))
);
INSERT INTO agg_similar_track_lists (publication_id, track_no, similar_nos, distances)
SELECT s.publication_id, d.track_no, array_agg(n.track_no ORDER BY s.rank), array_agg(s.distance ORDER BY s.rank)
FROM agg_similar_tracks s
JOIN agg_discover_tracks d ON d.publication_id = s.publication_id AND d.track_id = s.track_id
JOIN agg_discover_tracks n ON n.publication_id = s.publication_id AND n.track_id = s.similar_track_id
GROUP BY s.publication_id, d.track_no;
DROP TABLE agg_similar_tracks;
ALTER TABLE agg_similar_track_lists RENAME TO agg_similar_tracks;
ALTER TABLE agg_similar_tracks RENAME CONSTRAINT agg_similar_track_lists_pkey TO agg_similar_tracks_pkey;

CREATE FUNCTION check_published_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM publications WHERE publication_id IN (SELECT DISTINCT publication_id FROM new_rows) FOR KEY SHARE;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (
                   SELECT 1 FROM publications p WHERE p.publication_id = n.publication_id)) THEN
        RAISE foreign_key_violation USING MESSAGE = TG_TABLE_NAME || ': rows of a publication that does not exist';
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION delete_published_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM agg_similar_tracks WHERE publication_id IN (SELECT publication_id FROM old_rows);
    DELETE FROM agg_discover_tracks WHERE publication_id IN (SELECT publication_id FROM old_rows);
    DELETE FROM agg_track_scores WHERE publication_id IN (SELECT publication_id FROM old_rows);
    DELETE FROM agg_artist_leaderboard WHERE publication_id IN (SELECT publication_id FROM old_rows);
    RETURN NULL;
END
$$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard'] LOOP
        EXECUTE (SELECT string_agg('ALTER TABLE ' || quote_ident(t) || ' DROP CONSTRAINT ' || quote_ident(conname), '; ')
                 FROM pg_constraint WHERE conrelid = to_regclass(t) AND contype = 'f'
                   AND confrelid = 'publications'::regclass);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['agg_similar_tracks', 'agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard'] LOOP
        EXECUTE 'CREATE TRIGGER ' || quote_ident(t || '_publication_insert') || ' AFTER INSERT ON ' || quote_ident(t)
                || ' REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_published_rows()';
        EXECUTE 'CREATE TRIGGER ' || quote_ident(t || '_publication_update') || ' AFTER UPDATE ON ' || quote_ident(t)
                || ' REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_published_rows()';
    END LOOP;
END
$$;
CREATE TRIGGER publications_delete_rows AFTER DELETE ON publications REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_published_rows();

-- migrate:down
DROP TRIGGER publications_delete_rows ON publications;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agg_similar_tracks', 'agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard'] LOOP
        EXECUTE 'DROP TRIGGER ' || quote_ident(t || '_publication_insert') || ' ON ' || quote_ident(t);
        EXECUTE 'DROP TRIGGER ' || quote_ident(t || '_publication_update') || ' ON ' || quote_ident(t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard'] LOOP
        EXECUTE 'ALTER TABLE ' || quote_ident(t)
                || ' ADD FOREIGN KEY (publication_id) REFERENCES publications (publication_id) ON DELETE CASCADE';
    END LOOP;
END
$$;
DROP FUNCTION delete_published_rows();
DROP FUNCTION check_published_rows();
CREATE TABLE agg_similar_track_rows (
    publication_id   bigint NOT NULL REFERENCES publications (publication_id) ON DELETE CASCADE,
    track_id         text NOT NULL,
    rank             smallint NOT NULL,
    similar_track_id text NOT NULL,
    distance         real NOT NULL,
    PRIMARY KEY (publication_id, track_id, rank)
);
INSERT INTO agg_similar_track_rows (publication_id, track_id, rank, similar_track_id, distance)
SELECT s.publication_id, d.track_id, CAST(u.rank AS smallint), n.track_id, u.distance
FROM agg_similar_tracks s
JOIN agg_discover_tracks d ON d.publication_id = s.publication_id AND d.track_no = s.track_no
CROSS JOIN LATERAL unnest(s.similar_nos, s.distances) WITH ORDINALITY AS u (similar_no, distance, rank)
JOIN agg_discover_tracks n ON n.publication_id = s.publication_id AND n.track_no = u.similar_no;
DROP TABLE agg_similar_tracks;
ALTER TABLE agg_similar_track_rows RENAME TO agg_similar_tracks;
ALTER TABLE agg_similar_tracks RENAME CONSTRAINT agg_similar_track_rows_pkey TO agg_similar_tracks_pkey;
DROP INDEX agg_discover_tracks_no;
ALTER TABLE agg_discover_tracks DROP COLUMN track_no;
