-- 0001_identity: users, accounts, memberships with roles, API tokens, OAuth.
-- Times are Unix seconds (UTC); the API formats them as ISO-8601.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	password_hash TEXT NOT NULL,
	otp_secret    TEXT,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

CREATE TABLE accounts (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	email           TEXT NOT NULL,
	name            TEXT NOT NULL,
	plan_identifier TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

CREATE TABLE memberships (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role       TEXT NOT NULL
		CHECK (role IN ('owner', 'admin', 'domain-manager', 'zone-operator')),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id, account_id);

-- The domains a domain manager, or the zones a zone operator, may touch.
CREATE TABLE membership_grants (
	account_id INTEGER NOT NULL,
	user_id    INTEGER NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('domain', 'zone')),
	name       TEXT NOT NULL COLLATE NOCASE,
	PRIMARY KEY (account_id, user_id, kind, name),
	FOREIGN KEY (account_id, user_id)
		REFERENCES memberships(account_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE oauth_apps (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT NOT NULL,
	client_id    TEXT NOT NULL UNIQUE,
	secret_hash  TEXT,
	redirect_uri TEXT NOT NULL,
	is_public    INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL
);

-- Secrets are stored as SHA-256 digests only; the secret is shown once at creation.
CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	kind         TEXT NOT NULL CHECK (kind IN ('account', 'user')),
	account_id   INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
	user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,
	name         TEXT NOT NULL DEFAULT '',
	digest       TEXT NOT NULL UNIQUE,
	scopes       TEXT NOT NULL DEFAULT '',
	oauth_app_id INTEGER REFERENCES oauth_apps(id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	revoked_at   INTEGER,
	CHECK ((kind = 'account' AND account_id IS NOT NULL) OR
	       (kind = 'user' AND user_id IS NOT NULL))
);

CREATE TABLE oauth_codes (
	digest         TEXT PRIMARY KEY,
	app_id         INTEGER NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
	user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	redirect_uri   TEXT NOT NULL DEFAULT '',
	state          TEXT NOT NULL DEFAULT '',
	code_challenge TEXT NOT NULL DEFAULT '',
	expires_at     INTEGER NOT NULL,
	used_at        INTEGER
) WITHOUT ROWID;
