-- 0005_secondary: Secondary DNS (content/v2/secondary-dns.md): primary servers, their links
-- to secondary zones, and the transfer state of each secondary zone (RFC 1035 SOA timers,
-- the serial we hold, the last failure), read and written by the jobs role's transfer
-- worker (src/jobs/secondary.c).

CREATE TABLE primary_servers (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	ip          TEXT NOT NULL,
	port        INTEGER NOT NULL DEFAULT 53,
	tsig_key    TEXT,          -- extension: the TSIG key (admin tsig-key) that signs transfers
	catalog     TEXT,          -- set when the catalog consumer made it (the catalog zone)
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX primary_servers_by_account ON primary_servers(account_id, id);

CREATE TABLE primary_links (
	primary_id  INTEGER NOT NULL REFERENCES primary_servers(id) ON DELETE CASCADE,
	zone_id     INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (primary_id, zone_id)
);
CREATE INDEX primary_links_by_zone ON primary_links(zone_id, primary_id);

-- One row per secondary zone. serial is the primary's SOA serial of the data we hold
-- (NULL: nothing transferred yet); refresh/retry/expire come from that SOA. The zone is
-- served while is_expired is 0 and it has data (the dns role's loader asks).
CREATE TABLE secondary_zones (
	zone_id         INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
	serial          INTEGER,
	refresh         INTEGER NOT NULL DEFAULT 0,
	retry           INTEGER NOT NULL DEFAULT 0,
	expire          INTEGER NOT NULL DEFAULT 0,
	last_ok_at      INTEGER,   -- last time a primary confirmed our data (transfer or SOA)
	is_expired      INTEGER NOT NULL DEFAULT 0,
	refresh_now     INTEGER NOT NULL DEFAULT 1, -- refresh at the next tick (new, linked)
	last_attempt_at INTEGER,
	last_error      TEXT,
	last_error_at   INTEGER,
	catalog         TEXT,      -- the catalog zone whose member this is (RFC 9432)
	catalog_id      TEXT       -- the member's unique label in that catalog
);
