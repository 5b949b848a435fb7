-- A tenant's own limits; NULL is the service's (no limit of the tenant's own).
ALTER TABLE tenants ADD COLUMN requests_per_minute BIGINT;
ALTER TABLE tenants ADD COLUMN invites_per_day BIGINT;
ALTER TABLE tenants ADD COLUMN phones_per_invite BIGINT;
ALTER TABLE tenants ADD COLUMN imported_nodes BIGINT;

-- Every SMS invite the broker took, counted against its tenant's daily limit.
CREATE TABLE invites (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    chat_id        TEXT NOT NULL,
    phones         BIGINT NOT NULL,
    sent_at        BIGINT NOT NULL
);
CREATE INDEX invites_of_tenant ON invites (tenant_id, sent_at);
