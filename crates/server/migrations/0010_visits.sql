-- Visits: appointments whose links are made when they are needed, with the jobs that make
-- them, remind, and move the visit through its states, and every message sent for them.
CREATE TABLE visits (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    -- The key that booked it: jobs act for it (its name in the audit trail).
    key_id         TEXT NOT NULL,
    key_name       TEXT NOT NULL,
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    time_zone      TEXT,
    -- JSON arrays: ISO 8601 offsets; people ({name, phone, email, language}).
    reminders      TEXT NOT NULL,
    hosts          TEXT NOT NULL,
    guests         TEXT NOT NULL,
    vertical       TEXT NOT NULL,
    notes          TEXT,
    state          TEXT NOT NULL,
    -- Grows on each reschedule (a calendar invitation's SEQUENCE).
    sequence       BIGINT NOT NULL,
    -- The meeting whose links it hands out, once made.
    chat_id        TEXT,
    booked_at      BIGINT NOT NULL,
    ready_at       BIGINT,
    started_at     BIGINT,
    ended_at       BIGINT,
    cancelled_at   BIGINT,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX visits_of_tenant ON visits (tenant_id, starts_at, id);

-- What must happen at a time. A job is claimed by one process at a time for a lease; one
-- whose process died is claimed again when its lease has passed.
CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    visit_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    -- What the kind needs besides the visit (a reminder's offset).
    detail         TEXT,
    -- The visit's sequence it was made for.
    sequence       BIGINT NOT NULL,
    due_at         BIGINT NOT NULL,
    -- due, running, done, dead, dropped
    state          TEXT NOT NULL,
    attempts       BIGINT NOT NULL,
    locked_until   BIGINT,
    last_error     TEXT,
    finished_at    BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, due_at);
CREATE INDEX jobs_of_visit ON jobs (visit_id, due_at);

-- Every message sent for a visit, one row a recipient, with how it went.
CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    visit_id       TEXT NOT NULL,
    job_id         TEXT NOT NULL,
    channel        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    detail         TEXT,
    at             BIGINT NOT NULL
);
CREATE INDEX messages_of_visit ON messages (visit_id, at);

-- A tenant's own wording of a kind of message in a language (minijinja templates, checked
-- when they are set); the service's English is used where a tenant has none.
CREATE TABLE templates (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    kind           TEXT NOT NULL,
    language       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    body           TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, language)
);
