-- Presence: who is in a meeting, as a local broker's join pages tell (`icnode up`). Each press
-- of a Join or Leave button is kept once, by the broker's own id of it, with the meeting it
-- belongs to; presses of links the service did not make are not kept.
CREATE TABLE presence (
    broker_id      BIGINT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    -- The link's token id: one person's joins and leaves.
    jti            TEXT NOT NULL,
    role           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    at             BIGINT NOT NULL
);
CREATE INDEX presence_of_meeting ON presence (tenant_id, chat_id, broker_id);

-- Who is in each meeting now (JSON: link token id → role), and since when guests have waited
-- with no host (the console's "waiting now").
CREATE TABLE rooms (
    tenant_id      TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    inside         TEXT NOT NULL,
    hosts          BIGINT NOT NULL,
    guests         BIGINT NOT NULL,
    waiting_since  BIGINT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, chat_id)
);
CREATE INDEX rooms_waiting ON rooms (tenant_id, waiting_since);

-- How far the broker's presses have been read: one row, moved forward only from the value a
-- reader read (compare and set), in the transaction that keeps the presses and their events,
-- so two processes never keep a press twice nor tell its event twice.
CREATE TABLE presence_cursor (
    id             BIGINT PRIMARY KEY,
    broker_cursor  BIGINT NOT NULL
);
INSERT INTO presence_cursor (id, broker_cursor) VALUES (1, 0);

-- A visit nobody came to by its start and a grace: when it was found so.
ALTER TABLE visits ADD COLUMN no_show_at BIGINT;

-- The live console reads the events of the last moments.
CREATE INDEX events_by_time ON events (tenant_id, at);
