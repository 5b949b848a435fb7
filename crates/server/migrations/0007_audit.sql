-- The audit trail: a row for every change a key asked for (done or refused) and every change
-- the operator made. Rows are only ever added: on PostgreSQL the service's own role may only
-- SELECT and INSERT here (SECURITY.md has the GRANTs), and `icnode audit prune`, run as the
-- owner, removes rows past the trail's own period. No foreign key: a row outlives the
-- meetings and keys it names.
CREATE TABLE audit (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    tenant_id   TEXT NOT NULL,
    key_id      TEXT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT,
    request_id  TEXT,
    outcome     TEXT NOT NULL
);
-- A tenant's rows newest first (ids are UUIDv7, in time order), and the oldest for pruning.
CREATE INDEX audit_of_tenant ON audit (tenant_id, id);
CREATE INDEX audit_by_time ON audit (at);
