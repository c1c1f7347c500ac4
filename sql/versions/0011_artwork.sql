-- Artwork: one image URL per artist and per track where a source provides one (Spotify: the artist's image and
-- the album's, near 300 px). Only https URLs on ARTWORK_HOSTS are stored (core/artwork.py); others leave NULL.
-- Applied by core/migrations.py (python -m jobs migrate).

-- migrate:up
ALTER TABLE artists ADD COLUMN image_url text CHECK (left(image_url, 8) = 'https://');
ALTER TABLE tracks ADD COLUMN image_url text CHECK (left(image_url, 8) = 'https://');

-- migrate:down
ALTER TABLE tracks DROP COLUMN image_url;
ALTER TABLE artists DROP COLUMN image_url;
