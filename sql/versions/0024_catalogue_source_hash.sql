-- Catalogue rows carry `source_hash`: a 64-bit hash of the row exactly as a source last delivered it (key and
-- content, computed by pandas in jobs/load.py row_hashes). A load reads the stored hashes first and stages
-- only the rows whose hash is not among them, so an unchanged catalogue is neither sent nor merged again.
-- A row changed by anything but the loader's merge (an UPDATE that does not set a new hash) loses its hash,
-- so the next delivery of the same row is merged again instead of skipped. NULL: not known (rows stored
-- before this migration, or changed since): such rows are staged as before, and adopt the hash then.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
CREATE FUNCTION catalogue_forget_source_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source_hash IS NOT DISTINCT FROM OLD.source_hash AND NEW IS DISTINCT FROM OLD THEN
        NEW.source_hash := NULL;
    END IF;
    RETURN NEW;
END $$;

ALTER TABLE artists ADD COLUMN source_hash bigint;
ALTER TABLE artist_genres ADD COLUMN source_hash bigint;
ALTER TABLE tracks ADD COLUMN source_hash bigint;
ALTER TABLE track_artists ADD COLUMN source_hash bigint;
ALTER TABLE track_audio_features ADD COLUMN source_hash bigint;
ALTER TABLE similar_artists ADD COLUMN source_hash bigint;
CREATE TRIGGER artists_forget_source_hash BEFORE UPDATE ON artists
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();
CREATE TRIGGER artist_genres_forget_source_hash BEFORE UPDATE ON artist_genres
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();
CREATE TRIGGER tracks_forget_source_hash BEFORE UPDATE ON tracks
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();
CREATE TRIGGER track_artists_forget_source_hash BEFORE UPDATE ON track_artists
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();
CREATE TRIGGER track_audio_features_forget_source_hash BEFORE UPDATE ON track_audio_features
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();
CREATE TRIGGER similar_artists_forget_source_hash BEFORE UPDATE ON similar_artists
    FOR EACH ROW EXECUTE FUNCTION catalogue_forget_source_hash();

-- migrate:down
DROP TRIGGER similar_artists_forget_source_hash ON similar_artists;
DROP TRIGGER track_audio_features_forget_source_hash ON track_audio_features;
DROP TRIGGER track_artists_forget_source_hash ON track_artists;
DROP TRIGGER tracks_forget_source_hash ON tracks;
DROP TRIGGER artist_genres_forget_source_hash ON artist_genres;
DROP TRIGGER artists_forget_source_hash ON artists;
ALTER TABLE similar_artists DROP COLUMN source_hash;
ALTER TABLE track_audio_features DROP COLUMN source_hash;
ALTER TABLE track_artists DROP COLUMN source_hash;
ALTER TABLE tracks DROP COLUMN source_hash;
ALTER TABLE artist_genres DROP COLUMN source_hash;
ALTER TABLE artists DROP COLUMN source_hash;
DROP FUNCTION catalogue_forget_source_hash();
