-- Tenants: every key, meeting and link belongs to one. What was here before belongs to the
-- tenant `default`, and every key from before is its admin (it could do everything already).
CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
);
INSERT INTO tenants (id, created_at) VALUES ('default', 0);

ALTER TABLE api_keys ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';

-- A meeting is found by its tenant and chat id; `subject` is the `sub` the broker knows it by
-- (the chat id for the default tenant, as before; an opaque id for every other tenant, so two
-- tenants never share a broker space and the broker never sees their chat ids). Two meetings
-- never share a subject. Both tables are made anew: neither database changes a primary key
-- in place the same way.
CREATE TABLE meetings_by_tenant (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    chat_id        TEXT NOT NULL,
    subject        TEXT NOT NULL UNIQUE,
    created_by     TEXT NOT NULL,
    vertical       TEXT NOT NULL,
    host_login     BIGINT NOT NULL,
    short_urls     BIGINT NOT NULL,
    not_before     BIGINT,
    expires_at     BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, chat_id)
);
INSERT INTO meetings_by_tenant (tenant_id, chat_id, subject, created_by, vertical, host_login,
    short_urls, not_before, expires_at, created_at_ms)
SELECT 'default', chat_id, chat_id, created_by, vertical, host_login, short_urls, not_before,
    expires_at, created_at_ms FROM meetings;

CREATE TABLE links_by_tenant (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    issued_at_ms   BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    cipher         TEXT NOT NULL,
    short          TEXT,
    short_url      TEXT,
    long_url       TEXT NOT NULL,
    not_before     BIGINT,
    expires_at     BIGINT NOT NULL,
    cipher_at      BIGINT,
    FOREIGN KEY (tenant_id, chat_id) REFERENCES meetings_by_tenant (tenant_id, chat_id)
);
INSERT INTO links_by_tenant (id, tenant_id, chat_id, role, issued_at_ms, position, cipher, short,
    short_url, long_url, not_before, expires_at, cipher_at)
SELECT id, 'default', chat_id, role, issued_at_ms, position, cipher, short, short_url, long_url,
    not_before, expires_at, cipher_at FROM links;

DROP TABLE links;
DROP TABLE meetings;
ALTER TABLE meetings_by_tenant RENAME TO meetings;
ALTER TABLE links_by_tenant RENAME TO links;
CREATE INDEX meetings_newest_first ON meetings (tenant_id, created_at_ms, chat_id);
CREATE INDEX links_of_meeting ON links (tenant_id, chat_id, issued_at_ms, position);
