-- One partition per publication for the big published tables (issue 12): similar tracks, discover tracks, track
-- scores and the artist leaderboard (a row per track or per artist: 96 in 100 of a publication's rows) become
-- PARTITION BY LIST (publication_id). The publish stage COPYs a publication's rows into a bare table, then
-- ATTACHes it, so each index is built once after the rows instead of maintained row by row; retention DETACHes
-- and DROPs a deleted publication's partitions instead of deleting their rows (no bloat, no vacuum debt).
-- jobs/publication_partitions.py does both; readers are unchanged (`WHERE publication_id = ...` prunes to one
-- partition). Existing publications are converted in place: each gets its partition, with the same rows; the
-- indexes, key and CHECKs keep their names on the partitioned tables.
--
-- What the statement triggers of migration 0026 did is done by the partitioning itself: a row can only go into
-- the partition of its publication (one with no partition is refused: check_violation "no partition of
-- relation ... found for row"), and a deleted publication's partition is dropped whole. The foreign key of
-- `agg_track_scores.model_version_id` to `model_versions` goes: dropping a detached partition that holds a
-- foreign key takes ACCESS EXCLUSIVE on the referenced table (its action triggers are removed), which would stop
-- the dashboard's reads of `model_versions`, and ATTACH would hold SHARE ROW EXCLUSIVE on it for the whole
-- publish transaction. Instead the publish refuses scores of a version that does not exist and locks the
-- versions it refers to FOR KEY SHARE (jobs/aggregate.py build_track_scores), and deleting a version that
-- published scores refer to is refused (SQLSTATE 23503, foreign_key_violation), as the key refused it.
-- Applied by core/migrations.py.

-- migrate:up
DROP TRIGGER publications_delete_rows ON publications;
DROP FUNCTION delete_published_rows();
CREATE FUNCTION pg_temp.partition_by_publication(t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    definitions text[];
    definition text;
    key record;
    pid bigint;
BEGIN
    SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY indexrelid) INTO definitions
    FROM pg_index WHERE indrelid = to_regclass(t) AND NOT indisprimary;
    SELECT conname, pg_get_constraintdef(oid) AS body INTO key
    FROM pg_constraint WHERE conrelid = to_regclass(t) AND contype = 'p';
    EXECUTE 'CREATE TABLE ' || quote_ident(t || '_parted') || ' (LIKE ' || quote_ident(t)
            || ' INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY LIST (publication_id)';
    FOR pid IN EXECUTE 'SELECT DISTINCT publication_id FROM ' || quote_ident(t) || ' ORDER BY 1' LOOP
        EXECUTE 'CREATE TABLE ' || quote_ident(t || '_p' || pid) || ' (LIKE ' || quote_ident(t || '_parted')
                || ' INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)';
        EXECUTE 'INSERT INTO ' || quote_ident(t || '_p' || pid) || ' SELECT * FROM ' || quote_ident(t)
                || ' WHERE publication_id = ' || pid;
        EXECUTE 'ALTER TABLE ' || quote_ident(t || '_parted') || ' ATTACH PARTITION ' || quote_ident(t || '_p' || pid)
                || ' FOR VALUES IN (' || pid || ')';
    END LOOP;
    EXECUTE 'DROP TABLE ' || quote_ident(t);  -- its indexes, key and 0026 triggers with it
    EXECUTE 'ALTER TABLE ' || quote_ident(t || '_parted') || ' RENAME TO ' || quote_ident(t);
    EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD CONSTRAINT ' || quote_ident(key.conname) || ' ' || key.body;
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;  -- the same CREATE INDEX, now on the partitioned table (and each partition)
    END LOOP;
    EXECUTE 'ANALYZE ' || quote_ident(t);
END
$$;
SELECT pg_temp.partition_by_publication(t)
FROM unnest(ARRAY['agg_similar_tracks', 'agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard']) t;
DROP FUNCTION pg_temp.partition_by_publication(text);  -- the session (a pooled connection) may migrate again
DROP FUNCTION check_published_rows();

CREATE FUNCTION refuse_deleting_published_models() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM agg_track_scores s WHERE s.model_version_id IN (SELECT model_version_id FROM old_rows)) THEN
        RAISE foreign_key_violation USING MESSAGE = 'model_versions: published track scores refer to this version';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER model_versions_published AFTER DELETE ON model_versions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_published_models();

-- migrate:down
DROP TRIGGER model_versions_published ON model_versions;
DROP FUNCTION refuse_deleting_published_models();
CREATE FUNCTION pg_temp.unpartition(t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    definitions text[];
    definition text;
    key record;
BEGIN
    SELECT array_agg(replace(pg_get_indexdef(indexrelid), ' ON ONLY ', ' ON ') ORDER BY indexrelid) INTO definitions
    FROM pg_index WHERE indrelid = to_regclass(t) AND NOT indisprimary;
    SELECT conname, pg_get_constraintdef(oid) AS body INTO key
    FROM pg_constraint WHERE conrelid = to_regclass(t) AND contype = 'p';
    EXECUTE 'CREATE TABLE ' || quote_ident(t || '_plain') || ' (LIKE ' || quote_ident(t)
            || ' INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)';
    EXECUTE 'INSERT INTO ' || quote_ident(t || '_plain') || ' SELECT * FROM ' || quote_ident(t);
    EXECUTE 'DROP TABLE ' || quote_ident(t);  -- its partitions with it
    EXECUTE 'ALTER TABLE ' || quote_ident(t || '_plain') || ' RENAME TO ' || quote_ident(t);
    EXECUTE 'ALTER TABLE ' || quote_ident(t) || ' ADD CONSTRAINT ' || quote_ident(key.conname) || ' ' || key.body;
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END
$$;
SELECT pg_temp.unpartition(t)
FROM unnest(ARRAY['agg_similar_tracks', 'agg_discover_tracks', 'agg_track_scores', 'agg_artist_leaderboard']) t;
DROP FUNCTION pg_temp.unpartition(text);
-- Rows of partitions whose publication was deleted but not yet retired have no publication: gone, as 0026 kept.
DELETE FROM agg_similar_tracks s WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.publication_id = s.publication_id);
DELETE FROM agg_discover_tracks s WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.publication_id = s.publication_id);
DELETE FROM agg_track_scores s WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.publication_id = s.publication_id);
DELETE FROM agg_artist_leaderboard s WHERE NOT EXISTS (SELECT 1 FROM publications p WHERE p.publication_id = s.publication_id);
ALTER TABLE agg_track_scores ADD FOREIGN KEY (model_version_id) REFERENCES model_versions (model_version_id);
-- 0026's statement triggers, as it made them.
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
