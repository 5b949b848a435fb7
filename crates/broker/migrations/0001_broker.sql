-- The local broker's own state. One org per broker, so a meeting is identified by its sub.

CREATE TABLE spaces (
    sub         TEXT PRIMARY KEY NOT NULL,
    room_uuid   TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- A short key and the join-page path it redirects to (relative, so the public URL may change).
CREATE TABLE shorts (
    short       TEXT PRIMARY KEY NOT NULL,
    target      TEXT NOT NULL,
    sub         TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('host', 'guest')),
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE sms_invites (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id   TEXT NOT NULL,
    numbers      TEXT NOT NULL, -- JSON array of strings
    tracking_id  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE joins (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    jti        TEXT NOT NULL,
    sub        TEXT NOT NULL,
    role       TEXT NOT NULL,
    joined_at  INTEGER NOT NULL
);
CREATE INDEX joins_by_sub ON joins (sub);
