-- buqi sync server, schema 1 (PostgreSQL): who may sync what, the log of changes and what
-- follows from it. The same tables as the SQLite schema, in PostgreSQL's types. Clock readings
-- are 16 lowercase hex digits (they sort as text the way they sort as numbers, and a u64 does not
-- fit a bigint).

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'office', 'surveyor', 'participant')),
    city          text NOT NULL,
    -- Argon2id, PHC format; null: the user has no password (signs in on enrolled devices only).
    password_hash text,
    created_at    timestamptz NOT NULL
);

CREATE TABLE communities (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    city       text NOT NULL,
    created_at timestamptz NOT NULL
);

-- The communities a user's devices may push and pull.
CREATE TABLE assignments (
    user_id     uuid NOT NULL REFERENCES users (id),
    community   uuid NOT NULL REFERENCES communities (id),
    assigned_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, community)
);

CREATE TABLE devices (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    name        text NOT NULL,
    -- SHA-256 of the device token, hex; the token itself is never stored.
    token_hash  text NOT NULL UNIQUE,
    enrolled_at timestamptz NOT NULL,
    revoked_at  timestamptz
);

-- One-time enrollment codes, by the SHA-256 of the normalized code.
CREATE TABLE enroll_codes (
    code_hash  text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    uuid
);

-- The last sequence number handed out. Every push locks this row first (SELECT … FOR UPDATE)
-- and updates it last, so numbers are handed out in commit order, which a PostgreSQL sequence
-- does not promise (see src/store/mod.rs).
CREATE TABLE sync_counter (
    id       integer PRIMARY KEY CHECK (id = 1),
    last_seq bigint NOT NULL
);
INSERT INTO sync_counter (id, last_seq) VALUES (1, 0);

-- Every record any change has named: its kind and community never change.
CREATE TABLE entities (
    id        uuid PRIMARY KEY,
    community uuid NOT NULL REFERENCES communities (id),
    kind      text NOT NULL
);

-- The log: every change the server accepted, once. A change is identified by its record, field,
-- device and the device's own clock reading (`capped_from` when capped, else `hlc`).
CREATE TABLE changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Its place in the log; a change whose cap is lowered later moves to a new, higher place.
    seq         bigint NOT NULL UNIQUE,
    community   uuid NOT NULL REFERENCES communities (id),
    kind        text NOT NULL,
    entity      uuid NOT NULL REFERENCES entities (id),
    field       text NOT NULL,
    -- JSON as the server wrote it (text, not jsonb: a replay is compared to it exactly).
    value       text NOT NULL,
    -- The reading the change is ordered by: the device's, or the server's cap.
    hlc         text NOT NULL,
    device      uuid NOT NULL,
    -- The device's reading when the server capped it (it was too far ahead).
    capped_from text,
    base_hlc    text,
    base_device uuid,
    received_at timestamptz NOT NULL,
    CHECK (capped_from IS NULL OR capped_from > hlc),
    CHECK ((base_hlc IS NULL) = (base_device IS NULL))
);
CREATE UNIQUE INDEX changes_identity ON changes (entity, field, device, (coalesce(capped_from, hlc)));
CREATE INDEX changes_by_community ON changes (community, seq);

-- The change that wins each field.
CREATE TABLE field_winners (
    entity    uuid NOT NULL REFERENCES entities (id),
    field     text NOT NULL,
    change_id bigint NOT NULL REFERENCES changes (id),
    PRIMARY KEY (entity, field)
);

-- Pairs of concurrent changes of one field, for the office to look at.
CREATE TABLE conflicts (
    entity uuid NOT NULL REFERENCES entities (id),
    field  text NOT NULL,
    winner bigint NOT NULL REFERENCES changes (id),
    loser  bigint NOT NULL REFERENCES changes (id),
    PRIMARY KEY (winner, loser)
);
CREATE INDEX conflicts_by_field ON conflicts (entity, field);

-- Who did what when: every accepted change, enrollment, revocation and administration step.
CREATE TABLE audit (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    action    text NOT NULL,
    user_id   uuid,
    device_id uuid,
    batch     uuid,
    change_id bigint REFERENCES changes (id),
    detail    text
);
CREATE INDEX audit_by_change ON audit (change_id);
