-- Photos whose display copy a server has acknowledged as stored (complete, its SHA-256 verified),
-- by the server's URL: enrolling with another server uploads them again. A photo's files are
-- never removed from the device before its row is here.
CREATE TABLE photo_uploaded (
    server  TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    variant TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (server, sha256, variant)
) STRICT;
