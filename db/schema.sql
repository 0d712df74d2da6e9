-- lana database schema, version 1 (PRAGMA user_version = 1).
-- This file documents the schema; db/store.c carries the same statements as its migrations.
-- Names are stored lowercased as canonical keys (common/dname.h dname_key): labels from the
-- root down, each followed by 0x00, so byte order is DNS canonical order and every name below
-- N has a key starting with key(N). "Anything at or below N?" is one range seek.

-- One authoritative zone. apex is the canonical key of the zone's top name.
CREATE TABLE zone (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,   -- text form, lowercase, final dot ("lab.")
    apex    BLOB NOT NULL UNIQUE,   -- dname_key(name)
    created INTEGER NOT NULL,       -- unix seconds
    updated INTEGER NOT NULL
);

-- Every resource record of every zone. An RRset is the rows sharing (zone_id, key, type);
-- the primary key makes an RRset a set (RFC 2181 §5): the same rdata cannot appear twice.
-- rdata is uncompressed wire form. WITHOUT ROWID: the table is its own index, so reading a
-- node (all RRsets at one name) and testing for names below it is a single b-tree seek.
CREATE TABLE rr (
    zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,
    key     BLOB NOT NULL,
    type    INTEGER NOT NULL CHECK (type BETWEEN 1 AND 65535),
    rdata   BLOB NOT NULL,
    ttl     INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2147483647),
    PRIMARY KEY (zone_id, key, type, rdata)
) WITHOUT ROWID;

-- Zone cuts (NS below an apex) and wildcard owners, few per zone, read whole into memory.
CREATE INDEX rr_ns ON rr(zone_id, key) WHERE type = 2;
CREATE INDEX rr_wild ON rr(zone_id, key) WHERE substr(key, -2) = x'2a00';
