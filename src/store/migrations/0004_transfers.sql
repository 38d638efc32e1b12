-- 0004_transfers: zone transfers out (issue 6). TSIG keys (RFC 8945) that sign transfers,
-- NOTIFY and, for the inbound side, requests to primaries; managed by `nameplate admin
-- tsig-key`. The server needs each secret itself to sign and verify, so it is kept as
-- the base64 text Knot and BIND configurations hold (docs/transfers.md: protect the data
-- directory as you protect those files). And the index the IXFR history is read and
-- trimmed by (newest rows of one zone).

CREATE TABLE tsig_keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL UNIQUE COLLATE NOCASE, -- a domain name: lowercase, no final dot
	algorithm  TEXT NOT NULL CHECK (algorithm IN ('hmac-sha256', 'hmac-sha512')),
	secret     TEXT NOT NULL,                       -- base64 (RFC 4648 4)
	created_at INTEGER NOT NULL
);

CREATE INDEX zone_changes_by_zone_id ON zone_changes(zone_id, id);
