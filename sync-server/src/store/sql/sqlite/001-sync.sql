-- buqi sync server, schema 1 (SQLite): who may sync what, the log of changes and what follows
-- from it. Ids are UUIDs as lowercase hyphenated text; times are RFC 3339 UTC text; clock
-- readings are 16 lowercase hex digits (they sort as text the way they sort as numbers).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'office', 'surveyor', 'participant')),
    city          TEXT NOT NULL,
    -- Argon2id, PHC format; null: the user has no password (signs in on enrolled devices only).
    password_hash TEXT,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE communities (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    city       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- The communities a user's devices may push and pull.
CREATE TABLE assignments (
    user_id     TEXT NOT NULL REFERENCES users (id),
    community   TEXT NOT NULL REFERENCES communities (id),
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (user_id, community)
) STRICT;

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    -- SHA-256 of the device token, hex; the token itself is never stored.
    token_hash  TEXT NOT NULL UNIQUE,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- One-time enrollment codes, by the SHA-256 of the normalized code.
CREATE TABLE enroll_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    used_by    TEXT
) STRICT;

-- The last sequence number handed out. Every push locks it first and updates it last, so numbers
-- are handed out in commit order (see src/store/mod.rs).
CREATE TABLE sync_counter (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
) STRICT;
INSERT INTO sync_counter (id, last_seq) VALUES (1, 0);

-- Every record any change has named: its kind and community never change.
CREATE TABLE entities (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES communities (id),
    kind      TEXT NOT NULL
) STRICT;

-- The log: every change the server accepted, once. A change is identified by its record, field,
-- device and the device's own clock reading (`capped_from` when capped, else `hlc`).
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY,
    -- Its place in the log; a change whose cap is lowered later moves to a new, higher place.
    seq         INTEGER NOT NULL UNIQUE,
    community   TEXT NOT NULL REFERENCES communities (id),
    kind        TEXT NOT NULL,
    entity      TEXT NOT NULL REFERENCES entities (id),
    field       TEXT NOT NULL,
    -- JSON; null unsets the field.
    value       TEXT NOT NULL,
    -- The reading the change is ordered by: the device's, or the server's cap.
    hlc         TEXT NOT NULL,
    device      TEXT NOT NULL,
    -- The device's reading when the server capped it (it was too far ahead).
    capped_from TEXT,
    base_hlc    TEXT,
    base_device TEXT,
    received_at TEXT NOT NULL,
    CHECK (capped_from IS NULL OR capped_from > hlc),
    CHECK ((base_hlc IS NULL) = (base_device IS NULL))
) STRICT;
CREATE UNIQUE INDEX changes_identity ON changes (entity, field, device, coalesce(capped_from, hlc));
CREATE INDEX changes_by_community ON changes (community, seq);

-- The change that wins each field.
CREATE TABLE field_winners (
    entity    TEXT NOT NULL REFERENCES entities (id),
    field     TEXT NOT NULL,
    change_id INTEGER NOT NULL REFERENCES changes (id),
    PRIMARY KEY (entity, field)
) STRICT;

-- Pairs of concurrent changes of one field, for the office to look at.
CREATE TABLE conflicts (
    entity TEXT NOT NULL REFERENCES entities (id),
    field  TEXT NOT NULL,
    winner INTEGER NOT NULL REFERENCES changes (id),
    loser  INTEGER NOT NULL REFERENCES changes (id),
    PRIMARY KEY (winner, loser)
) STRICT;
CREATE INDEX conflicts_by_field ON conflicts (entity, field);

-- Who did what when: every accepted change, enrollment, revocation and administration step.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    action    TEXT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    batch     TEXT,
    change_id INTEGER REFERENCES changes (id),
    detail    TEXT
) STRICT;
CREATE INDEX audit_by_change ON audit (change_id);
