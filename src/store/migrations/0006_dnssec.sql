-- 0006_dnssec: DNSSEC (issue 7; content/v2/domains/dnssec.md, docs/dnssec.md). Each zone's
-- DNSSEC state and signing policy, its signing keys with RFC 7583 timing, the delegation
-- signer records of domains (what goes to a registry), and a 'dnssec' change-log kind.

-- One row per zone that ever had DNSSEC enabled; disabling keeps the row (enabled = 0).
CREATE TABLE zone_dnssec (
	zone_id    INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
	enabled    INTEGER NOT NULL DEFAULT 0,
	algorithm  INTEGER NOT NULL DEFAULT 13 CHECK (algorithm IN (13, 15)),
	layout     TEXT NOT NULL DEFAULT 'csk' CHECK (layout IN ('csk', 'ksk-zsk')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

-- A zone's signing keys. public_key is the DNSKEY RDATA (RFC 4034 2.1); private_key is the
-- PKCS#8 PEM sealed with the deployment secret (crypto_secretbox: version, nonce, MAC,
-- text), never the key in clear. Timing columns are RFC 7583 3.1's (Unix seconds, NULL =
-- not scheduled), for a rollover scheduler; disabling DNSSEC deletes the zone's keys.
CREATE TABLE dnssec_keys (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	zone_id     INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
	role        TEXT NOT NULL CHECK (role IN ('csk', 'ksk', 'zsk')),
	algorithm   INTEGER NOT NULL,
	flags       INTEGER NOT NULL,
	key_tag     INTEGER NOT NULL,
	public_key  BLOB NOT NULL,
	private_key BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	publish_at  INTEGER,
	active_at   INTEGER,
	retire_at   INTEGER,
	remove_at   INTEGER
);
CREATE INDEX dnssec_keys_by_zone ON dnssec_keys(zone_id, id);

-- Delegation signer records of a domain (createDomainDelegationSignerRecord). Text as the
-- API shows it; digest, digest_type and keytag stay NULL only for a public-key record
-- whose DS data could not be derived.
CREATE TABLE ds_records (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	domain_id   INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
	algorithm   TEXT NOT NULL,
	digest      TEXT,
	digest_type TEXT,
	keytag      TEXT,
	public_key  TEXT,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX ds_records_by_domain ON ds_records(domain_id, id);

-- The change log takes kind 'dnssec' (enabled or disabled: the zone's answers change, so
-- a transfer history that spans it is rebuilt from the zone, as for 'zone_replaced').
-- SQLite cannot change a CHECK in place: the table is rebuilt with its ids, which DNS
-- processes follow.
CREATE TABLE zone_changes_new (
	id         INTEGER PRIMARY KEY,
	zone_id    INTEGER NOT NULL,
	zone_name  TEXT NOT NULL,
	serial     INTEGER NOT NULL,
	kind       TEXT NOT NULL DEFAULT 'records'
		CHECK (kind IN ('records', 'zone_created', 'zone_deleted', 'zone_activated',
				'zone_deactivated', 'zone_replaced', 'dnssec')),
	removed    TEXT NOT NULL DEFAULT '[]',
	added      TEXT NOT NULL DEFAULT '[]',
	created_at INTEGER NOT NULL
);
INSERT INTO zone_changes_new (id, zone_id, zone_name, serial, kind, removed, added, created_at)
	SELECT id, zone_id, zone_name, serial, kind, removed, added, created_at FROM zone_changes;
DROP TABLE zone_changes;
ALTER TABLE zone_changes_new RENAME TO zone_changes;
CREATE INDEX zone_changes_by_zone ON zone_changes(zone_id, serial);
CREATE INDEX zone_changes_by_zone_id ON zone_changes(zone_id, id);
