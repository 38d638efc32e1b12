/* cmd_admin.c -- nameplate admin GROUP VERB: users, accounts, memberships, tokens, OAuth
 * applications. Every command prints JSON with --json, for scripts. */
#include <stdarg.h>
#include <ctype.h>
#include <errno.h>
#include <libknot/libknot.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/json.h"
#include "core/sbuf.h"
#include "core/timeutil.h"
#include "model/scope.h"
#include "model/secret.h"

typedef struct admin_ctx {
	conf_t conf;
	cli_args_t args;
	store_t *st;
	arena_t arena;
} admin_ctx_t;

typedef int (*admin_fn_t)(admin_ctx_t *ax, json_t **out);

typedef struct admin_cmd {
	const char *group;
	const char *verb;
	admin_fn_t run;
	const cli_opt_t *opts;
	const char *summary;
} admin_cmd_t;

__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "nameplate admin: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return code;
}

static bool is_email(const char *s)
{
	const char *at = s != NULL ? strchr(s, '@') : NULL;
	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strlen(s) <= 254 && strpbrk(s, " \t\r\n") == NULL;
}

/* A password from --password-file (or '-' for stdin), or a new random one. */
static int read_password(admin_ctx_t *ax, const char **out, bool *is_generated)
{
	const char *path = cli_get(&ax->args, "password-file");
	*is_generated = path == NULL;
	if (path == NULL) {
		char tok[SECRET_TOKEN_SIZE];
		secret_token_new("pw", tok);
		*out = arena_strndup(&ax->arena, tok + 3, 24);
		return ERR_OK;
	}
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		return fail(-errno, "cannot read password file %s", path);
	}
	char buf[1024];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	if (f != stdin) {
		fclose(f);
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 8) {
		return fail(ERR_INVALID, "%s: password must have at least 8 characters", path);
	}
	*out = arena_strdup(&ax->arena, buf);
	return ERR_OK;
}

/* A user by id or email. */
static int find_user(admin_ctx_t *ax, const char *ref, user_t *u)
{
	if (ref == NULL) {
		return fail(ERR_INVALID, "--user EMAIL|ID is required");
	}
	int ret;
	if (strchr(ref, '@') != NULL) {
		ret = store_user_get_by_email(ax->st, &ax->arena, ref, u);
	} else {
		ret = store_user_get(ax->st, &ax->arena, strtoll(ref, NULL, 10), u);
	}
	return ret == ERR_NOTFOUND ? fail(ret, "no user '%s'", ref) : ret;
}

static int find_account(admin_ctx_t *ax, const char *ref, account_t *a)
{
	if (ref == NULL) {
		return fail(ERR_INVALID, "--account ID is required");
	}
	int ret = store_account_get(ax->st, &ax->arena, strtoll(ref, NULL, 10), a);
	return ret == ERR_NOTFOUND ? fail(ret, "no account '%s'", ref) : ret;
}

static json_t *user_json(const user_t *u)
{
	json_t *o = user_to_json(u);
	json_object_set_new(o, "otp_enabled", json_boolean(u->otp_secret != NULL));
	return o;
}

/* Creates an administrator (owner), an account and an account token in one transaction.
 * Shared by 'admin bootstrap' and the first start of 'serve'. */
int admin_bootstrap(store_t *st, const conf_t *conf, const char *email, const char *password,
		    json_t **out)
{
	char hash[SECRET_HASH_SIZE], secret[SECRET_TOKEN_SIZE], digest[SECRET_DIGEST_SIZE];
	char pw[SECRET_TOKEN_SIZE];
	if (password == NULL) {
		secret_token_new("pw", pw);
		pw[27] = '\0';
		password = pw + 3;
	}
	int ret = secret_password_hash(password, hash);
	if (ret != ERR_OK) {
		return ret;
	}
	secret_token_new("npa", secret);
	secret_digest(secret, digest);
	store_bootstrap_t b = {
		.user = { .email = email, .password_hash = hash },
		.account = { .email = email, .name = "Default", .plan_identifier = conf->default_plan },
		.token = { .name = "bootstrap" },
		.token_digest = digest,
	};
	ret = store_bootstrap(st, &b);
	if (ret != ERR_OK) {
		return ret;
	}
	json_t *user = user_to_json(&b.user);
	json_object_set_new(user, "password", json_string(password));
	*out = json_pack("{s:o,s:o,s:s}", "user", user, "account", account_to_json(&b.account),
			 "token", secret);
	return ERR_OK;
}

static int do_bootstrap(admin_ctx_t *ax, json_t **out)
{
	const char *email = cli_get(&ax->args, "email");
	email = email != NULL ? email : "admin@localhost";
	if (!is_email(email)) {
		return fail(ERR_INVALID, "'%s' is not an email address", email);
	}
	const char *password = NULL;
	bool is_generated;
	int ret = read_password(ax, &password, &is_generated);
	if (ret != ERR_OK) {
		return ret;
	}
	ret = admin_bootstrap(ax->st, &ax->conf, email, password, out);
	return ret == ERR_CONFLICT ? fail(ret, "user %s already exists", email) : ret;
}

static int user_create(admin_ctx_t *ax, json_t **out)
{
	const char *email = cli_get(&ax->args, "email");
	if (!is_email(email)) {
		return fail(ERR_INVALID, "--email must be an email address");
	}
	const char *password;
	bool is_generated;
	int ret = read_password(ax, &password, &is_generated);
	if (ret != ERR_OK) {
		return ret;
	}
	char hash[SECRET_HASH_SIZE], otp[SECRET_OTP_SIZE];
	if ((ret = secret_password_hash(password, hash)) != ERR_OK) {
		return ret;
	}
	user_t u = { .email = email, .password_hash = hash };
	if (cli_has(&ax->args, "otp")) {
		secret_otp_new(otp);
		u.otp_secret = otp;
	}
	ret = store_user_create(ax->st, &u);
	if (ret == ERR_CONFLICT) {
		return fail(ret, "user %s already exists", email);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	*out = user_json(&u);
	json_object_set_new(*out, "otp_secret", u.otp_secret ? json_string(otp) : json_null());
	if (is_generated) {
		json_object_set_new(*out, "password", json_string(password));
	}
	return ERR_OK;
}

static int user_list(admin_ctx_t *ax, json_t **out)
{
	user_t *users = NULL;
	size_t n = 0;
	int ret = store_user_list(ax->st, &ax->arena, &users, &n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, user_json(&users[i]));
	}
	return ret;
}

static int user_otp(admin_ctx_t *ax, json_t **out)
{
	user_t u;
	int ret = find_user(ax, cli_get(&ax->args, "user"), &u);
	if (ret != ERR_OK) {
		return ret;
	}
	char otp[SECRET_OTP_SIZE];
	bool is_off = cli_has(&ax->args, "disable");
	if (!is_off) {
		secret_otp_new(otp);
	}
	ret = store_user_set_otp(ax->st, u.id, is_off ? NULL : otp);
	if (ret == ERR_OK) {
		*out = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)u.id, "email", u.email,
				 "otp_secret", is_off ? json_null() : json_string(otp));
	}
	return ret;
}

static int account_create(admin_ctx_t *ax, json_t **out)
{
	const char *name = cli_get(&ax->args, "name"), *email = cli_get(&ax->args, "email");
	const char *plan = cli_get(&ax->args, "plan");
	if (name == NULL || *name == '\0') {
		return fail(ERR_INVALID, "--name is required");
	}
	if (!is_email(email)) {
		return fail(ERR_INVALID, "--email must be an email address");
	}
	account_t a = { .name = name, .email = email,
			.plan_identifier = plan != NULL ? plan : ax->conf.default_plan };
	int ret = store_account_create(ax->st, &a);
	if (ret == ERR_OK) {
		*out = account_to_json(&a);
	}
	return ret;
}

static int account_list(admin_ctx_t *ax, json_t **out)
{
	account_t *accounts = NULL;
	size_t n = 0;
	int ret = store_account_list(ax->st, &ax->arena, &accounts, &n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, account_to_json(&accounts[i]));
	}
	return ret;
}

/* "a.com,b.com" into a NULL-terminated arena array. */
static const char **split_list(arena_t *a, const char *s)
{
	size_t n = 1;
	for (const char *p = s; p != NULL && *p != '\0'; p++) {
		n += *p == ',';
	}
	const char **out = arena_alloc_array(a, n + 1, sizeof(char *));
	size_t k = 0;
	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ",");
		if (len > 0) {
			out[k++] = arena_strndup(a, s, len);
		}
		s += len + (s[len] == ',');
	}
	out[k] = NULL;
	return out;
}

static json_t *names_json(const char **names)
{
	json_t *arr = json_array();
	for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
		json_array_append_new(arr, json_string(names[i]));
	}
	return arr;
}

static json_t *membership_json(const membership_t *m)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:o}", "account_id", (json_int_t)m->account_id,
			 "user_id", (json_int_t)m->user_id, "role", role_name(m->role), "domains",
			 names_json(m->domains), "zones", names_json(m->zones));
}

static int member_add(admin_ctx_t *ax, json_t **out)
{
	account_t a;
	user_t u;
	int ret = find_account(ax, cli_get(&ax->args, "account"), &a);
	if (ret == ERR_OK) {
		ret = find_user(ax, cli_get(&ax->args, "user"), &u);
	}
	if (ret != ERR_OK) {
		return ret;
	}
	membership_t m = { .account_id = a.id, .user_id = u.id };
	const char *role = cli_get(&ax->args, "role");
	if (role == NULL || role_parse(role, &m.role) != ERR_OK) {
		return fail(ERR_INVALID, "--role must be owner, admin, domain-manager or zone-operator");
	}
	m.domains = split_list(&ax->arena, cli_get(&ax->args, "domains"));
	m.zones = split_list(&ax->arena, cli_get(&ax->args, "zones"));
	if ((m.role == ROLE_DOMAIN_MANAGER && m.zones[0] != NULL) ||
	    (m.role == ROLE_ZONE_OPERATOR && m.domains[0] != NULL) ||
	    ((m.role == ROLE_OWNER || m.role == ROLE_ADMIN) && (m.domains[0] || m.zones[0]))) {
		return fail(ERR_INVALID, "--domains goes with domain-manager, --zones with zone-operator");
	}
	ret = store_membership_put(ax->st, &m);
	if (ret == ERR_OK) {
		*out = membership_json(&m);
	}
	return ret;
}

static int member_list(admin_ctx_t *ax, json_t **out)
{
	const char *acc = cli_get(&ax->args, "account");
	membership_t *ms = NULL;
	size_t n = 0;
	int ret = store_membership_list(ax->st, &ax->arena, acc ? strtoll(acc, NULL, 10) : 0, &ms,
					&n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, membership_json(&ms[i]));
	}
	return ret;
}

static int member_remove(admin_ctx_t *ax, json_t **out)
{
	account_t a;
	user_t u;
	int ret = find_account(ax, cli_get(&ax->args, "account"), &a);
	if (ret == ERR_OK) {
		ret = find_user(ax, cli_get(&ax->args, "user"), &u);
	}
	if (ret == ERR_OK) {
		ret = store_membership_remove(ax->st, a.id, u.id);
	}
	if (ret == ERR_OK) {
		*out = json_pack("{s:I,s:I,s:b}", "account_id", (json_int_t)a.id, "user_id",
				 (json_int_t)u.id, "removed", 1);
	}
	return ret;
}

static json_t *token_json(const token_t *t)
{
	json_t *scopes = json_array();
	const char *p = t->scopes != NULL ? t->scopes : "";
	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		if (len > 0) {
			char *s = strndup(p, len);
			json_array_append_new(scopes, json_string(s));
			free(s);
		}
		p += len + (p[len] == ' ');
	}
	char created[21];
	time_iso8601(t->created_at, created);
	json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)t->id, "kind",
			      t->kind == TOKEN_USER ? "user" : "account", "name",
			      t->name ? t->name : "", "scopes", scopes, "created_at", created);
	json_object_set_new(o, "account_id",
			    t->kind == TOKEN_ACCOUNT ? json_integer(t->account_id) : json_null());
	json_object_set_new(o, "user_id",
			    t->kind == TOKEN_USER ? json_integer(t->user_id) : json_null());
	json_object_set_new(o, "revoked", json_boolean(t->revoked_at != 0));
	return o;
}

static int token_create(admin_ctx_t *ax, json_t **out)
{
	const char *acc = cli_get(&ax->args, "account"), *usr = cli_get(&ax->args, "user");
	if ((acc == NULL) == (usr == NULL)) {
		return fail(ERR_INVALID, "give exactly one of --account ID (account token) or --user "
				  "EMAIL|ID (user token)");
	}
	token_t t = { .name = cli_get(&ax->args, "name") };
	int ret;
	if (acc != NULL) {
		account_t a;
		ret = find_account(ax, acc, &a);
		t.kind = TOKEN_ACCOUNT;
		t.account_id = a.id;
	} else {
		user_t u;
		ret = find_user(ax, usr, &u);
		t.kind = TOKEN_USER;
		t.user_id = u.id;
	}
	if (ret != ERR_OK) {
		return ret;
	}
	const char **scopes = NULL;
	int n = cli_get_multi(&ax->args, "scope", &scopes);
	sbuf_t sb = SBUF_INIT;
	sbuf_append(&sb, "", 0);
	for (int i = 0; i < n; i++) {
		if (!scope_is_valid(scopes[i])) {
			sbuf_clear(&sb);
			return fail(ERR_INVALID, "bad scope '%s' (want kind:name:read|write, e.g. zones:*:read)", scopes[i]);
		}
		sbuf_printf(&sb, "%s%s", i ? " " : "", scopes[i]);
	}
	if (n > 0 && t.kind == TOKEN_USER) {
		sbuf_clear(&sb);
		return fail(ERR_INVALID, "scopes apply to account tokens only");
	}
	t.scopes = arena_strdup(&ax->arena, sb.p);
	sbuf_clear(&sb);
	char secret[SECRET_TOKEN_SIZE], digest[SECRET_DIGEST_SIZE];
	secret_token_new(t.kind == TOKEN_USER ? "npu" : "npa", secret);
	secret_digest(secret, digest);
	ret = store_token_create(ax->st, &t, digest);
	if (ret == ERR_OK) {
		*out = token_json(&t);
		json_object_set_new(*out, "token", json_string(secret));
	}
	return ret;
}

static int token_list(admin_ctx_t *ax, json_t **out)
{
	token_t *ts = NULL;
	size_t n = 0;
	int ret = store_token_list(ax->st, &ax->arena, &ts, &n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, token_json(&ts[i]));
	}
	return ret;
}

static int token_revoke(admin_ctx_t *ax, json_t **out)
{
	if (ax->args.pos_count < 1) {
		return fail(ERR_INVALID, "which token? nameplate admin token revoke ID");
	}
	int64_t id = strtoll(ax->args.pos[0], NULL, 10);
	int ret = store_token_revoke(ax->st, id, time_now());
	if (ret == ERR_NOTFOUND) {
		return fail(ret, "no active token '%s'", ax->args.pos[0]);
	}
	if (ret == ERR_OK) {
		*out = json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1);
	}
	return ret;
}

static json_t *app_json(const oauth_app_t *app)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:b}", "id", (json_int_t)app->id, "name", app->name,
			 "client_id", app->client_id, "redirect_uri", app->redirect_uri, "public",
			 app->is_public);
}

static int app_create(admin_ctx_t *ax, json_t **out)
{
	const char *name = cli_get(&ax->args, "name"), *uri = cli_get(&ax->args, "redirect-uri");
	if (name == NULL || *name == '\0' || uri == NULL || strstr(uri, "://") == NULL) {
		return fail(ERR_INVALID, "--name and --redirect-uri (an absolute URI) are required");
	}
	char client_id[SECRET_TOKEN_SIZE], secret[SECRET_TOKEN_SIZE], digest[SECRET_DIGEST_SIZE];
	secret_token_new("npo", client_id);
	client_id[24] = '\0';
	oauth_app_t app = { .name = name, .client_id = client_id, .redirect_uri = uri,
			    .is_public = cli_has(&ax->args, "public") };
	if (!app.is_public) {
		secret_token_new("nps", secret);
		secret_digest(secret, digest);
		app.secret_hash = digest;
	}
	int ret = store_oauth_app_create(ax->st, &app);
	if (ret == ERR_OK) {
		*out = app_json(&app);
		json_object_set_new(*out, "client_secret",
				    app.is_public ? json_null() : json_string(secret));
	}
	return ret;
}

static int app_list(admin_ctx_t *ax, json_t **out)
{
	oauth_app_t *apps = NULL;
	size_t n = 0;
	int ret = store_oauth_app_list(ax->st, &ax->arena, &apps, &n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, app_json(&apps[i]));
	}
	return ret;
}

/* --- TSIG keys (RFC 8945) for zone transfers and NOTIFY (docs/transfers.md) --------- */

static json_t *tsig_key_json(const store_tsig_key_t *k)
{
	char created[21];
	time_iso8601(k->created_at, created);
	return json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)k->id, "name", k->name,
			 "algorithm", k->algorithm, "created_at", created);
}

/* A key name is a domain name: lowercase, without the final dot. */
static const char *tsig_key_name(admin_ctx_t *ax, const char *in)
{
	if (in == NULL || *in == '\0') {
		return NULL;
	}
	size_t len = strlen(in);
	while (len > 0 && in[len - 1] == '.') {
		len--;
	}
	char text[KNOT_DNAME_TXT_MAXLEN + 2];
	knot_dname_t wire[KNOT_DNAME_MAXLEN];
	if (len == 0 || len > KNOT_DNAME_TXT_MAXLEN - 1 ||
	    strspn(in, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(in)) {
		return NULL;
	}
	snprintf(text, sizeof(text), "%.*s.", (int)len, in);
	if (knot_dname_from_str(wire, text, sizeof(wire)) == NULL) {
		return NULL;
	}
	char *out = arena_strndup(&ax->arena, in, len);
	for (char *p = out; *p != '\0'; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	return out;
}

static int tsig_key_create(admin_ctx_t *ax, json_t **out)
{
	const char *name = tsig_key_name(ax, cli_get(&ax->args, "name"));
	const char *alg = cli_get(&ax->args, "algorithm");
	alg = alg != NULL ? alg : "hmac-sha256";
	if (name == NULL) {
		return fail(ERR_INVALID, "--name must be a domain name, e.g. xfr.example.com");
	}
	size_t size = strcmp(alg, "hmac-sha256") == 0 ? 32 : strcmp(alg, "hmac-sha512") == 0 ? 64 : 0;
	if (size == 0) {
		return fail(ERR_INVALID, "--algorithm must be hmac-sha256 or hmac-sha512");
	}
	/* as many random bytes as the hash's output (RFC 8945 6: at least that strong) */
	uint8_t bin[64];
	char b64[128];
	randombytes_buf(bin, size);
	sodium_bin2base64(b64, sizeof(b64), bin, size, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(bin, sizeof(bin));
	store_tsig_key_t k = { .name = name, .algorithm = alg, .secret = b64 };
	int ret = store_tsig_key_create(ax->st, &k);
	if (ret == ERR_CONFLICT) {
		return fail(ret, "a TSIG key named %s exists already", name);
	}
	if (ret == ERR_OK) {
		*out = tsig_key_json(&k);
		/* shown once: give it to the secondaries (knot.conf key:, BIND key {}) */
		json_object_set_new(*out, "secret", json_string(b64));
	}
	sodium_memzero(b64, sizeof(b64));
	return ret;
}

static int tsig_key_list(admin_ctx_t *ax, json_t **out)
{
	store_tsig_key_t *keys = NULL;
	size_t n = 0;
	int ret = store_tsig_key_list(ax->st, &ax->arena, &keys, &n);
	*out = json_array();
	for (size_t i = 0; ret == ERR_OK && i < n; i++) {
		json_array_append_new(*out, tsig_key_json(&keys[i])); /* never the secret */
	}
	return ret;
}

static int tsig_key_delete(admin_ctx_t *ax, json_t **out)
{
	if (ax->args.pos_count < 1) {
		return fail(ERR_INVALID, "which key? nameplate admin tsig-key delete NAME");
	}
	const char *name = tsig_key_name(ax, ax->args.pos[0]);
	int ret = name != NULL ? store_tsig_key_delete(ax->st, name) : ERR_NOTFOUND;
	if (ret == ERR_NOTFOUND) {
		return fail(ret, "no TSIG key '%s'", ax->args.pos[0]);
	}
	if (ret == ERR_OK) {
		*out = json_pack("{s:s,s:b}", "name", name, "deleted", 1);
	}
	return ret;
}

static const cli_opt_t o_tsig_key_create[] = {
	{ "name", true, false, "the key's name, a domain name (e.g. xfr.example.com)" },
	{ "algorithm", true, false, "hmac-sha256 (default) or hmac-sha512" },
	{ NULL, false, false, NULL },
};

static const cli_opt_t o_bootstrap[] = {
	{ "email", true, false, "administrator's email (default admin@localhost)" },
	{ "password-file", true, false, "read the password from FILE ('-' = stdin)" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_user_create[] = {
	{ "email", true, false, "the user's email" },
	{ "password-file", true, false, "read the password from FILE ('-' = stdin); "
					"default: generate and print one" },
	{ "otp", false, false, "turn on TOTP two-factor authentication; prints the secret" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_user_otp[] = {
	{ "user", true, false, "EMAIL or ID" },
	{ "disable", false, false, "turn two-factor authentication off" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_account_create[] = {
	{ "name", true, false, "account name" },
	{ "email", true, false, "account email" },
	{ "plan", true, false, "plan identifier (default: the default-plan setting)" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_member[] = {
	{ "account", true, false, "account ID" },
	{ "user", true, false, "user EMAIL or ID" },
	{ "role", true, false, "owner, admin, domain-manager or zone-operator" },
	{ "domains", true, false, "a.com,b.com: the domains of a domain manager" },
	{ "zones", true, false, "a.com,b.com: the zones of a zone operator" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_token_create[] = {
	{ "account", true, false, "account ID: an account token" },
	{ "user", true, false, "user EMAIL or ID: a user token" },
	{ "name", true, false, "a label" },
	{ "scope", true, true, "kind:name:read|write, e.g. zones:*:read (repeatable)" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_app_create[] = {
	{ "name", true, false, "application name" },
	{ "redirect-uri", true, false, "registered redirect URI" },
	{ "public", false, false, "a public client (PKCE, no secret)" },
	{ NULL, false, false, NULL },
};
static const cli_opt_t o_none[] = { { NULL, false, false, NULL } };
static const cli_opt_t o_account[] = {
	{ "account", true, false, "only this account ID" },
	{ NULL, false, false, NULL },
};

static const admin_cmd_t admin_cmds[] = {
	{ "bootstrap", NULL, do_bootstrap, o_bootstrap,
	  "create an administrator, an account and an account token" },
	{ "user", "create", user_create, o_user_create, "create a user" },
	{ "user", "list", user_list, o_none, "list users" },
	{ "user", "otp", user_otp, o_user_otp, "turn two-factor authentication on or off" },
	{ "account", "create", account_create, o_account_create, "create an account" },
	{ "account", "list", account_list, o_none, "list accounts" },
	{ "member", "add", member_add, o_member, "add a user to an account with a role (or change it)" },
	{ "member", "list", member_list, o_account, "list memberships" },
	{ "member", "remove", member_remove, o_member, "remove a user from an account" },
	{ "token", "create", token_create, o_token_create, "create a token; prints its secret once" },
	{ "token", "list", token_list, o_none, "list tokens (never their secrets)" },
	{ "token", "revoke", token_revoke, o_none, "revoke token ID" },
	{ "oauth-app", "create", app_create, o_app_create, "register an OAuth application" },
	{ "oauth-app", "list", app_list, o_none, "list OAuth applications" },
	{ "tsig-key", "create", tsig_key_create, o_tsig_key_create,
	  "create a TSIG key for zone transfers and NOTIFY; prints its secret once" },
	{ "tsig-key", "list", tsig_key_list, o_none, "list TSIG keys (never their secrets)" },
	{ "tsig-key", "delete", tsig_key_delete, o_none, "delete TSIG key NAME" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: nameplate admin GROUP VERB [OPTIONS] [--json] [--data DIR]\n\n");
	for (const admin_cmd_t *c = admin_cmds; c->group != NULL; c++) {
		char name[40];
		snprintf(name, sizeof(name), "%s %s", c->group, c->verb ? c->verb : "");
		fprintf(out, "  %-20s %s\n", name, c->summary);
	}
	fprintf(out, "\n'nameplate admin GROUP VERB --help' lists a command's options.\n");
}

static void print_human(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	free(s);
}

int cmd_admin(int argc, char **argv)
{
	const admin_cmd_t *cmd = NULL;
	int skip = 0;
	for (const admin_cmd_t *c = admin_cmds; argc > 0 && c->group != NULL; c++) {
		if (strcmp(argv[0], c->group) != 0) {
			continue;
		}
		if (c->verb == NULL) {
			cmd = c;
			skip = 1;
			break;
		}
		if (argc > 1 && strcmp(argv[1], c->verb) == 0) {
			cmd = c;
			skip = 2;
			break;
		}
	}
	if (cmd == NULL) {
		bool is_help = argc == 0 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0;
		usage(is_help ? stdout : stderr);
		return is_help ? 0 : 64;
	}
	admin_ctx_t ax;
	memset(&ax, 0, sizeof(ax));
	arena_init(&ax.arena, 0);
	int code = 0;
	if (cli_parse(argc - skip, argv + skip, cmd->opts, &ax.conf, &ax.args) != ERR_OK) {
		code = 64;
	} else if (ax.args.is_help) {
		printf("usage: nameplate admin %s %s [OPTIONS] [--json]\n\n%s\n\n", cmd->group,
		       cmd->verb ? cmd->verb : "", cmd->summary);
		cli_print_opts(stdout, cmd->opts);
	} else if (cli_store_open(&ax.conf, &ax.st) != ERR_OK) {
		code = 74;
	} else {
		json_t *out = NULL;
		int ret = cmd->run(&ax, &out);
		if (ret != ERR_OK) {
			fprintf(stderr, "nameplate admin: %s %s failed (%s)\n", cmd->group,
				cmd->verb ? cmd->verb : "", err_str(ret));
			code = err_exit_code(ret);
		} else if (ax.args.is_json) {
			char *s = json_dump_compact(out);
			printf("%s\n", s);
			free(s);
		} else {
			print_human(out);
		}
		json_decref(out);
		store_close(ax.st);
	}
	arena_clear(&ax.arena);
	conf_clear(&ax.conf);
	return code;
}
