-- lana database schema, version 8 (PRAGMA user_version = 8).
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

-- ---- version 2: the address registry -------------------------------------------------------

-- One CIDR block. Root pools have no parent; every other block lies strictly inside its
-- parent, and siblings never overlap (enforced by db/ipam.c, checked by a randomized test).
-- start is the first address as a 16-byte big-endian number (IPv4 in the low 4 bytes), so
-- byte order is address order within a family.
CREATE TABLE block (
    id        INTEGER PRIMARY KEY,
    family    INTEGER NOT NULL CHECK (family IN (4, 6)),
    start     BLOB NOT NULL CHECK (length(start) = 16),
    plen      INTEGER NOT NULL CHECK (plen BETWEEN 0 AND 128),
    parent_id INTEGER REFERENCES block(id) ON DELETE CASCADE,
    status    TEXT NOT NULL CHECK (status IN ('pool', 'allocated', 'assigned', 'reserved')),
    holder    TEXT NOT NULL DEFAULT '',
    descr     TEXT NOT NULL DEFAULT '',
    split     INTEGER NOT NULL DEFAULT 0, -- 1 once its free space is tracked in freespace
    created   INTEGER NOT NULL,           -- unix seconds
    updated   INTEGER NOT NULL,
    UNIQUE (family, start, plen)
);
-- children of a block in address order; "the child containing X" is one backward seek
CREATE INDEX block_child ON block(parent_id, start);

-- The free space inside each split block as maximal aligned free prefixes (buddy system):
-- allocating /N takes the row with the largest plen <= N (best fit, one index seek) and
-- splits it; releasing merges a prefix with its buddy while the buddy is free. The cost of
-- either is bounded by the address width, not by the number of blocks.
CREATE TABLE freespace (
    parent_id INTEGER NOT NULL REFERENCES block(id) ON DELETE CASCADE,
    plen      INTEGER NOT NULL,
    start     BLOB NOT NULL,
    PRIMARY KEY (parent_id, plen DESC, start)
) WITHOUT ROWID;

-- Who may change the registry. stored_key = SHA-256(token): the token itself is never stored.
CREATE TABLE account (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'registrant')),
    stored_key BLOB NOT NULL CHECK (length(stored_key) = 32),
    created    INTEGER NOT NULL
);

-- Every change, append-only (triggers refuse UPDATE and DELETE). before/after are JSON.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    ts     INTEGER NOT NULL,  -- unix milliseconds
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,     -- pool.add, block.alloc, block.release, ...
    object TEXT NOT NULL,     -- the prefix (or name) changed
    before TEXT,
    after  TEXT
);
CREATE INDEX audit_ts ON audit(ts);
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- ---- version 3: hosts, zones' default blocks, services ------------------------------------

-- The blocks a zone's hosts take their addresses from when none is named.
CREATE TABLE zone_block (
    zone_id  INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,
    block_id INTEGER NOT NULL REFERENCES block(id) ON DELETE CASCADE,
    PRIMARY KEY (zone_id, block_id)
) WITHOUT ROWID;

-- A registered host: its A/AAAA records live in rr (zone), its PTR records in the reverse
-- zones, its addresses are blocks (/32, /128) of the address registry held by its name.
CREATE TABLE host (
    id      INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,
    name    TEXT NOT NULL UNIQUE,  -- lowercase, final dot
    v4      TEXT,                  -- canonical text, or NULL
    v6      TEXT,
    created INTEGER NOT NULL
);
CREATE INDEX host_zone ON host(zone_id);

-- The service-name and port-number registry (RFC 6335): one port per name and transport.
CREATE TABLE service (
    name    TEXT NOT NULL,
    proto   TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
    port    INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    descr   TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,
    PRIMARY KEY (name, proto),
    UNIQUE (proto, port)
);

-- ---- version 4: the DNS-visible changes -----------------------------------------------------

-- Every transaction that changes what DNS answers writes here the owner names it touched
-- (wire form, lowercase), or one NULL row when anything may have changed (a zone imported,
-- added or deleted, a CNAME or a delegation). A DNS worker that sees a commit drops only the
-- cached answers for those names (and their ancestors) instead of its whole cache. Old rows
-- are pruned by the writer; a worker that fell behind the oldest row empties its cache.
CREATE TABLE dnschange (
    seq  INTEGER PRIMARY KEY,
    name BLOB
);

-- ---- version 5: authority --------------------------------------------------------------------
-- One rule (db/authz.c): an account may change what it maintains and what lies inside what it
-- maintains, and create inside it. What a version-4 database held becomes admin's; the
-- free-text holder of a block stays as its description of who uses it.

ALTER TABLE account ADD COLUMN sponsor TEXT;   -- the registrar whose customer it is (NULL: admin's)
ALTER TABLE account ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE account ADD COLUMN class TEXT;     -- the class that made it (lana class), or NULL
ALTER TABLE account ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account ADD COLUMN disabled_by TEXT; -- who disabled it: an admin's, only admins undo
CREATE INDEX account_sponsor ON account(sponsor);
CREATE INDEX account_class ON account(class);

-- The account that maintains the block: it, and the maintainers of the blocks enclosing it,
-- may change or release it and create inside it. Root pools are admin's. delegated is 1 at
-- a delegation point: a pool, or a block whose maintainer is not its parent's. Every block an
-- account maintains lies at or below one of its delegation points, so the index of those
-- alone finds them all (lana authority, lana class), and an account allocating inside its
-- own block, the common case of a batch, adds nothing to it.
ALTER TABLE block ADD COLUMN maintainer TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE block ADD COLUMN delegated INTEGER NOT NULL DEFAULT 0;
UPDATE block SET delegated = 1 WHERE parent_id IS NULL;
CREATE INDEX block_mnt ON block(maintainer) WHERE delegated;

-- A zone's sponsoring registrar and its registrant (EPP's clID and registrant); both, and
-- whoever holds authority over the enclosing zone, manage what is inside it.
ALTER TABLE zone ADD COLUMN sponsor TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE zone ADD COLUMN registrant TEXT NOT NULL DEFAULT 'admin';
CREATE INDEX zone_sponsor ON zone(sponsor);
CREATE INDEX zone_registrant ON zone(registrant);

-- The account behind each change (NULL: lanad itself), for the log each account may read.
-- admin reads the whole log, so its own rows need no entry in the index.
ALTER TABLE audit ADD COLUMN account TEXT;
CREATE INDEX audit_account ON audit(account, id) WHERE account <> 'admin';

-- A class made by `lana class create`: a registrar account of the same name, its students'
-- accounts (account.class), their blocks and zones under suffix.
CREATE TABLE class (
    name     TEXT PRIMARY KEY,
    suffix   TEXT NOT NULL,
    students INTEGER NOT NULL,
    created  INTEGER NOT NULL
);

-- ---- version 6 ----------------------------------------------------------------------------

-- The IXFR journal (db/journal.h): triggers on rr write every record added (op 1) or removed
-- (op 0) into journal as it happens, SOA records aside; op 2 marks the start of a zone's
-- history (its first version: this migration, an import). At every commit db/journal.c seals
-- the new rows: each zone they touched gets one journal_version whose seq is its last row of
-- the transaction and whose soa is the zone's SOA at the commit (serial: its 4 bytes). The
-- difference from a version is the rows after it, condensed. A zone keeps journal-serials
-- versions; a zone file import replaces the zone's history (zone.journal is 0 meanwhile).
ALTER TABLE zone ADD COLUMN journal INTEGER NOT NULL DEFAULT 1;
CREATE TABLE journal (
    seq     INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL,
    op      INTEGER NOT NULL,
    key     BLOB NOT NULL,
    type    INTEGER NOT NULL,
    rdata   BLOB NOT NULL,
    ttl     INTEGER NOT NULL
);
CREATE INDEX journal_zone ON journal(zone_id);
CREATE TABLE journal_version (
    seq     INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL,
    serial  BLOB NOT NULL,
    soa     BLOB NOT NULL,
    ttl     INTEGER NOT NULL
);
CREATE INDEX journal_version_zone ON journal_version(zone_id);
CREATE INDEX journal_version_serial ON journal_version(zone_id, serial);
-- (triggers journal_rr_ins, journal_rr_del, journal_rr_upd, journal_zone_del: db/store.c)

-- The last serial of each apex whose zone was deleted (trigger zone_serial_floor) or replaced
-- by an import: a secondary may still hold it, so the serials of a zone of that apex step
-- past it (db/zone.c), and no version of the new zone is named like a state of the old.
CREATE TABLE serial_floor (
    apex   BLOB PRIMARY KEY,
    serial BLOB NOT NULL
) WITHOUT ROWID;

-- The secondaries a zone's changes are announced to by NOTIFY (RFC 1996), besides lanad.conf's
-- also-notify: `lana zone notify add ZONE ADDR[:PORT]`. addr is canonical text, "192.0.2.1:53"
-- or "[2001:db8::1]:53", so one secondary is one row however it was written.
CREATE TABLE notify_target (
    zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,
    addr    TEXT NOT NULL,
    PRIMARY KEY (zone_id, addr)
) WITHOUT ROWID;

-- TSIG keys (RFC 8945), made by `lana key add` (admin). name: the key's domain name in text,
-- lowercase with its final dot; secret: the raw bytes (the HMAC key: it must be kept, not
-- hashed). A key transfers every zone when all_zones is 1, else the zones listed in
-- tsig_key_zone; deleting a zone takes it off its keys' lists (and a key whose list empties
-- transfers nothing).
CREATE TABLE tsig_key (
    name      TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL CHECK (algorithm IN ('hmac-sha1', 'hmac-sha256', 'hmac-sha512')),
    secret    BLOB NOT NULL CHECK (length(secret) BETWEEN 1 AND 128),
    all_zones INTEGER NOT NULL DEFAULT 0,
    created   INTEGER NOT NULL
);
CREATE TABLE tsig_key_zone (
    key     TEXT NOT NULL REFERENCES tsig_key(name) ON DELETE CASCADE,
    zone_id INTEGER NOT NULL REFERENCES zone(id) ON DELETE CASCADE,
    PRIMARY KEY (key, zone_id)
);
CREATE INDEX tsig_key_zone_zone ON tsig_key_zone(zone_id);

-- The lab's root servers (`lana root add NAME ADDR...`): one row per address (type 1 = A,
-- 28 = AAAA, rdata in wire form), name lower case with its final dot. They are the NS set of
-- `.` and of every zone lanad serves; db/root.c derives those records and their glue.
CREATE TABLE root_server (
    name  TEXT NOT NULL,
    type  INTEGER NOT NULL CHECK (type IN (1, 28)),
    rdata BLOB NOT NULL CHECK (length(rdata) = CASE type WHEN 1 THEN 4 ELSE 16 END),
    PRIMARY KEY (name, rdata)
-- ---- version 6 ------------------------------------------------------------------------------

-- The catalog zone lanad produces (RFC 9432; db/catalog.c), one row at most: which zone it
-- is (NULL: none, catalog-zone = none), the number of the next member label ("m<N>", never
-- given twice, so a zone deleted and created again gets a new one, RFC 9432 §5.5), and the
-- serial of the last catalog deleted, so that one made again starts above it.
CREATE TABLE catalog (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    zone_id    INTEGER UNIQUE REFERENCES zone(id) ON DELETE SET NULL,
    next_label INTEGER NOT NULL DEFAULT 1,
    serial     INTEGER
);

-- ---- version 7 ------------------------------------------------------------------------------

-- The DNS workers' lookup table, derived from rr (db/node_int.h): per owner name of a zone,
-- all its records packed in one row (type, TTL, rdata length, rdata; in rr's order), whose
-- rowid is a 64-bit hash of (zone_id, key), so that a worker finds them with one integer
-- seek. A name may have no row (hash taken by another name, records too long, a zone's apex):
-- it is read from rr. Triggers note every name whose records change in node_dirty, and lanad
-- rewrites those rows before each of its commits; readers trust node only while node_dirty
-- is empty. node_bulk names the zone an import or a zone delete rewrites whole, whose rows are
-- rebuilt once at its end instead.
CREATE TABLE node (
    h       INTEGER PRIMARY KEY,
    zone_id INTEGER NOT NULL,
    key     BLOB NOT NULL,
    rrs     BLOB NOT NULL
);
CREATE TABLE node_dirty (
    zone_id INTEGER NOT NULL,
    key     BLOB NOT NULL,
    PRIMARY KEY (zone_id, key)
) WITHOUT ROWID;
CREATE TABLE node_bulk (zone_id INTEGER PRIMARY KEY);
CREATE TRIGGER node_rr_ins AFTER INSERT ON rr
    WHEN NOT EXISTS (SELECT 1 FROM node_bulk WHERE zone_id = NEW.zone_id)
    BEGIN INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (NEW.zone_id, NEW.key); END;
CREATE TRIGGER node_rr_del AFTER DELETE ON rr
    WHEN NOT EXISTS (SELECT 1 FROM node_bulk WHERE zone_id = OLD.zone_id)
    BEGIN INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (OLD.zone_id, OLD.key); END;
-- (a new serial, an SOA updated in place, changes no row: an apex has none)
CREATE TRIGGER node_rr_upd AFTER UPDATE ON rr
    WHEN NOT (OLD.type = 6 AND NEW.type = 6 AND OLD.zone_id = NEW.zone_id AND OLD.key = NEW.key)
    BEGIN
    INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (OLD.zone_id, OLD.key);
    INSERT OR IGNORE INTO node_dirty (zone_id, key) VALUES (NEW.zone_id, NEW.key);
END;

-- ---- version 8 ------------------------------------------------------------------------------

-- The lookup table in buckets (db/node_int.h): each zone's names are spread over buckets by a
-- 64-bit hash of (zone_id, key); one row per bucket, rowid zone_id * 2^32 + bucket, holding
-- for each of its names the key and the packed records (a directory of tags and offsets
-- first). node_zone keeps each zone's level and split pointer (linear hashing: a name's
-- bucket is its hash's low level bits, or level + 1 bits below the split pointer). Every
-- bucket of a zone that has buckets has its row, empty or not. The table is left empty by
-- the migration, and node_dirty too: lanad builds it from rr when it opens the file.
DROP TABLE node;
DELETE FROM node_dirty;
CREATE TABLE node (
    b INTEGER PRIMARY KEY,
    v BLOB NOT NULL
);
CREATE TABLE node_zone (
    zone_id INTEGER PRIMARY KEY,
    level   INTEGER NOT NULL,
    split   INTEGER NOT NULL
);
