-- 0002_zones: contacts, domains, zones, records, and the rows every change writes with them:
-- the zone change log (for IXFR and DNS nodes in other processes) and the webhook outbox.

CREATE TABLE contacts (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	label             TEXT NOT NULL DEFAULT '',
	first_name        TEXT NOT NULL,
	last_name         TEXT NOT NULL,
	organization_name TEXT NOT NULL DEFAULT '',
	job_title         TEXT NOT NULL DEFAULT '',
	address1          TEXT NOT NULL,
	address2          TEXT NOT NULL DEFAULT '',
	city              TEXT NOT NULL,
	state_province    TEXT NOT NULL,
	postal_code       TEXT NOT NULL,
	country           TEXT NOT NULL,
	phone             TEXT NOT NULL,
	fax               TEXT NOT NULL DEFAULT '',
	email             TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE INDEX contacts_by_account ON contacts(account_id, id);

CREATE TABLE domains (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	registrant_id INTEGER REFERENCES contacts(id) ON DELETE RESTRICT,
	name          TEXT NOT NULL COLLATE NOCASE,
	unicode_name  TEXT NOT NULL,
	state         TEXT NOT NULL DEFAULT 'hosted'
		CHECK (state IN ('hosted', 'registered', 'expired', 'transferring', 'new')),
	auto_renew    INTEGER NOT NULL DEFAULT 0,
	private_whois INTEGER NOT NULL DEFAULT 0,
	trustee       INTEGER NOT NULL DEFAULT 0,
	expires_at    INTEGER,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	UNIQUE (account_id, name)
);
CREATE INDEX domains_by_account_name ON domains(account_id, name);
CREATE INDEX domains_by_registrant ON domains(registrant_id) WHERE registrant_id IS NOT NULL;

-- A zone name is served by one zone in the whole deployment: the DNS server answers for it.
CREATE TABLE zones (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	domain_id           INTEGER REFERENCES domains(id) ON DELETE CASCADE,
	name                TEXT NOT NULL UNIQUE COLLATE NOCASE,
	reverse             INTEGER NOT NULL DEFAULT 0,
	secondary           INTEGER NOT NULL DEFAULT 0,
	active              INTEGER NOT NULL DEFAULT 1,
	serial              INTEGER NOT NULL,
	record_count        INTEGER NOT NULL DEFAULT 0, -- kept by triggers: cheap list totals
	last_transferred_at INTEGER,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL
);
CREATE INDEX zones_by_account_name ON zones(account_id, name);

-- One row per API record. rdata is the canonical wire form (NULL for ALIAS/URL/POOL,
-- which never reach the wire as themselves); content is the API's normalized text.
CREATE TABLE records (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	zone_id       INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	name          TEXT NOT NULL COLLATE NOCASE,
	type          TEXT NOT NULL,
	type_code     INTEGER NOT NULL,
	content       TEXT NOT NULL,
	rdata         BLOB,
	ttl           INTEGER NOT NULL,
	priority      INTEGER,
	regions       TEXT NOT NULL DEFAULT 'global',
	system_record INTEGER NOT NULL DEFAULT 0,
	parent_id     INTEGER,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX records_by_zone ON records(zone_id, id);
-- (zone_id, name, rowid): the default order (name, then id) straight from the index
CREATE INDEX records_by_zone_name ON records(zone_id, name);
-- No duplicate record: same name, type and data (priority is part of the data).
CREATE UNIQUE INDEX records_unique ON records(zone_id, name, type_code, content, ifnull(priority, -1));

CREATE TRIGGER records_counted AFTER INSERT ON records BEGIN
	UPDATE zones SET record_count = record_count + 1 WHERE id = NEW.zone_id;
END;
CREATE TRIGGER records_uncounted AFTER DELETE ON records BEGIN
	UPDATE zones SET record_count = record_count - 1 WHERE id = OLD.zone_id;
END;

-- The change log: one row per zone serial, with the RRs it removed and added
-- (JSON: [{"name","type","ttl","rdata"(hex)|"content"}]). IXFR and DNS nodes in other
-- processes read it; history is trimmed by the server.
CREATE TABLE zone_changes (
	id         INTEGER PRIMARY KEY,
	zone_id    INTEGER NOT NULL,
	zone_name  TEXT NOT NULL,
	serial     INTEGER NOT NULL,
	kind       TEXT NOT NULL DEFAULT 'records'
		CHECK (kind IN ('records', 'zone_created', 'zone_deleted', 'zone_activated',
				'zone_deactivated', 'zone_replaced')),
	removed    TEXT NOT NULL DEFAULT '[]',
	added      TEXT NOT NULL DEFAULT '[]',
	created_at INTEGER NOT NULL
);
CREATE INDEX zone_changes_by_zone ON zone_changes(zone_id, serial);

-- Webhook events, written in the transaction of the change they describe.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL,
	event        TEXT NOT NULL,
	payload      TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER
);
CREATE INDEX outbox_pending ON outbox(id) WHERE delivered_at IS NULL;
