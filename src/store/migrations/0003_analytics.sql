-- 0003_analytics: DNS query counts per zone, UTC day and DNS node (content/v2/dns-analytics.md).
-- The dns role adds to these rows once a minute (src/dns/stats/). A row keeps its zone's
-- account and name: counts outlive the zone, and a deleted zone keeps its name here.
CREATE TABLE dns_analytics (
	zone_id    INTEGER NOT NULL,          -- no foreign key: the zone may be deleted later
	date       TEXT NOT NULL,             -- YYYY-MM-DD, UTC
	node       TEXT NOT NULL,             -- the DNS node's `node` setting
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	zone_name  TEXT NOT NULL COLLATE NOCASE,
	region     TEXT NOT NULL,             -- the node's `region` at the last flush
	volume     INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (zone_id, date, node)
) WITHOUT ROWID;
CREATE INDEX dns_analytics_by_account_date ON dns_analytics(account_id, date);
