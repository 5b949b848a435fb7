-- When each accepted token was first seen: tokens can expire after a set lifetime, as a
-- personal access token does after 12 hours, and a restart must not renew them.
CREATE TABLE tokens (
    digest      BLOB PRIMARY KEY NOT NULL, -- SHA-256 of the token; the token is not kept
    first_seen  INTEGER NOT NULL
);

-- The latest expiry of a meeting's links, so links added later can last as long.
ALTER TABLE spaces ADD COLUMN links_expire_at INTEGER;

-- Expired short links are pruned by expiry.
CREATE INDEX shorts_by_expiry ON shorts (expires_at);
