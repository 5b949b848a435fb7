-- One schema for SQLite and PostgreSQL: only types and syntax both read the same way.
-- Times are Unix seconds (BIGINT); `*_ms` columns are Unix milliseconds, for ordering.

CREATE TABLE meetings (
    chat_id        TEXT PRIMARY KEY,
    created_by     TEXT NOT NULL,
    vertical       TEXT NOT NULL,
    host_login     BIGINT NOT NULL,
    short_urls     BIGINT NOT NULL,
    not_before     BIGINT,
    expires_at     BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX meetings_newest_first ON meetings (created_at_ms, chat_id);

CREATE TABLE links (
    id             TEXT PRIMARY KEY,
    chat_id        TEXT NOT NULL REFERENCES meetings (chat_id),
    role           TEXT NOT NULL,
    issued_at_ms   BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    cipher         TEXT NOT NULL,
    short          TEXT,
    short_url      TEXT,
    long_url       TEXT NOT NULL,
    not_before     BIGINT,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX links_of_meeting ON links (chat_id, issued_at_ms, position);

CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    digest         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

CREATE TABLE idempotency (
    owner          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    status         BIGINT,
    body           TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (owner, idem_key)
);
