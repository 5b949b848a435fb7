-- icnode's own links: a link handed out as `/l/{code}` (128 random bits) in front of the
-- broker's URL, so that it can be revoked, or opened once, before the broker's `exp`. Links
-- from before have no code and are handed out as the broker's URLs, as they were.
ALTER TABLE links ADD COLUMN code TEXT;
ALTER TABLE links ADD COLUMN single_use BIGINT NOT NULL DEFAULT 0;
-- The first open that went on to the broker; for a single-use link, the only one.
ALTER TABLE links ADD COLUMN opened_at BIGINT;
ALTER TABLE links ADD COLUMN revoked_at BIGINT;
CREATE UNIQUE INDEX links_by_code ON links (code);

-- Every open of an own link, let through or not: when, which link, and a coarse hint of the
-- client (its kind of device and browser, never its address).
CREATE TABLE link_opens (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    link_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    at             BIGINT NOT NULL,
    outcome        TEXT NOT NULL,
    client         TEXT NOT NULL
);
CREATE INDEX link_opens_of_meeting ON link_opens (tenant_id, chat_id, at);
