-- buqi field app, store schema 1: records of surveys and the log of changes to them.
-- Each kind of record has its own table of the same shape: id, community, tombstone, fields (a JSON
-- object, as buqi_schema::record defines). Generated columns expose the fields queries filter on.

-- This device: its id is the `device` of every change made here.
CREATE TABLE device (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    id         TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE community (
    id      TEXT PRIMARY KEY,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields  TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    name ANY GENERATED ALWAYS AS (json_extract(fields, '$.name')) VIRTUAL
) STRICT;

CREATE TABLE facility (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    kind ANY GENERATED ALWAYS AS (json_extract(fields, '$.kind')) VIRTUAL
) STRICT;
CREATE INDEX facility_by_community ON facility (community, kind);

CREATE TABLE measurement (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    facility ANY GENERATED ALWAYS AS (json_extract(fields, '$.facility')) VIRTUAL
) STRICT;
CREATE INDEX measurement_by_community ON measurement (community, facility);

CREATE TABLE entrance (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object')
) STRICT;
CREATE INDEX entrance_by_community ON entrance (community);

CREATE TABLE ramp (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object')
) STRICT;
CREATE INDEX ramp_by_community ON ramp (community);

CREATE TABLE gps_point (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object')
) STRICT;
CREATE INDEX gps_point_by_community ON gps_point (community);

CREATE TABLE photo (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    sha256 ANY GENERATED ALWAYS AS (json_extract(fields, '$.sha256')) VIRTUAL,
    item ANY GENERATED ALWAYS AS (json_extract(fields, '$.item')) VIRTUAL,
    facility ANY GENERATED ALWAYS AS (json_extract(fields, '$.facility')) VIRTUAL
) STRICT;
CREATE INDEX photo_by_community ON photo (community, sha256);

CREATE TABLE checklist_run (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object')
) STRICT;
CREATE INDEX checklist_run_by_community ON checklist_run (community);

CREATE TABLE checkpoint (
    id        TEXT PRIMARY KEY,
    community TEXT NOT NULL REFERENCES community (id),
    deleted   INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    fields    TEXT NOT NULL CHECK (json_valid(fields) AND json_type(fields) = 'object'),
    run ANY GENERATED ALWAYS AS (json_extract(fields, '$.run')) VIRTUAL
) STRICT;
CREATE INDEX checkpoint_by_community ON checkpoint (community, run);

-- The change log: one row per field edit, never updated, never deleted. `seq` orders the rows as
-- this device wrote them (the sync client's cursor); (hlc, device) orders edits of one field
-- across devices (the newest wins; the UNIQUE index finds a field's newest). `value` is JSON;
-- null unsets the field.
CREATE TABLE change (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    kind      TEXT NOT NULL,
    entity    TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL CHECK (json_valid(value)),
    hlc       TEXT NOT NULL CHECK (length(hlc) = 16),
    device    TEXT NOT NULL,
    -- The stamp of the value this change replaced, as the editor saw it (null: first value).
    base_hlc    TEXT,
    base_device TEXT,
    -- For a change from the server that lowered a reading too far ahead: the device's original
    -- reading (which identifies the change); `hlc` is then the cap it is ordered by.
    capped_from TEXT,
    UNIQUE (entity, field, hlc, device)
) STRICT;
CREATE INDEX change_by_community ON change (community, seq);
CREATE INDEX change_by_device ON change (device, seq);
CREATE INDEX change_by_hlc ON change (hlc);

-- Where this device syncs: its server, its device token (the device's own secret, as a browser
-- keeps a cookie), and how far it has pushed (this device's change seq the server acknowledged)
-- and pulled (the server's sequence cursor), and the communities last assigned to it.
CREATE TABLE sync_state (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    server     TEXT NOT NULL,
    token      TEXT NOT NULL,
    pushed_seq INTEGER NOT NULL DEFAULT 0,
    pulled_seq INTEGER NOT NULL DEFAULT 0,
    assigned   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(assigned))
) STRICT;
