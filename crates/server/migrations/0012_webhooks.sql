-- Events out. Each change that others may hear of writes its event here in the change's own
-- transaction (no event for a change that rolled back, none lost for one that committed); a
-- process then fans each event out to the tenant's endpoints that want it, as deliveries.
CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    type           TEXT NOT NULL,
    chat_id        TEXT,
    payload        TEXT NOT NULL,
    at             BIGINT NOT NULL,
    fanned_out     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_to_fan_out ON events (fanned_out, at);

-- A tenant's endpoints: where, which events, and the secrets deliveries are signed with (the
-- previous one still signs until `previous_until`, so a receiver can roll over).
CREATE TABLE webhooks (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    url            TEXT NOT NULL,
    events         TEXT NOT NULL,
    secret         TEXT NOT NULL,
    previous_secret TEXT,
    previous_until BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX webhooks_of_tenant ON webhooks (tenant_id, created_at);

-- One event to one endpoint: tried until answered 2xx, about a day, then dead with the last
-- answer kept. Claimed for a lease, as visits' jobs are.
CREATE TABLE deliveries (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    webhook_id     TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    state          TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    due_at         BIGINT NOT NULL,
    locked_until   BIGINT,
    last_status    BIGINT,
    last_error     TEXT,
    created_at     BIGINT NOT NULL,
    finished_at    BIGINT
);
CREATE INDEX deliveries_due ON deliveries (state, due_at);
CREATE INDEX deliveries_of_webhook ON deliveries (webhook_id, created_at, id);
