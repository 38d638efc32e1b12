/* server.c -- libmicrohttpd glue: connections, bodies, the request pipeline, replies.
 *
 * DESIGN: libmicrohttpd runs a pool of api-threads threads on epoll; each request is
 * handled synchronously on its connection's thread once its body is complete. The
 * pipeline is: identify the caller -> count it against its rate limit -> route ->
 * check the body -> auth_check (account scope, token scope, role) -> handler -> reply.
 * Every step that fails turns into a status through core/err's table here, in one place;
 * handlers never write error bodies. Per request, one arena holds everything.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "api/api_internal.h"
#include "api/ratelimit.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/mem.h"
#include "core/sbuf.h"
#include "core/timeutil.h"

#define ARENA_BUDGET (64u << 20)

struct api_server {
	struct MHD_Daemon *daemon;
	api_ctx_t ctx;
	atomic_int in_flight;
};

/* One per request, from the first callback to the completion notice. */
typedef struct conn_state {
	arena_t arena;
	sbuf_t body;
	bool is_too_big;
	int64_t started_us;
	api_server_t *srv;
} conn_state_t;

/* A client's X-Request-Id is echoed when it is short and printable; otherwise a UUID. */
static const char *request_id(arena_t *a, const char *given)
{
	if (given != NULL) {
		size_t len = strlen(given);
		bool is_ok = len > 0 && len <= 128;
		for (size_t i = 0; is_ok && i < len; i++) {
			is_ok = given[i] > 0x20 && given[i] < 0x7f;
		}
		if (is_ok) {
			return arena_strdup(a, given);
		}
	}
	unsigned char r[16];
	randombytes_buf(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	/* 8-4-4-4-12 hex digits, by hand: printf was a tenth of a small request's time */
	static const char hex[] = "0123456789abcdef";
	char *id = arena_alloc(a, 37), *p = id;
	if (id == NULL) {
		return "-";
	}
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			*p++ = '-';
		}
		*p++ = hex[r[i] >> 4];
		*p++ = hex[r[i] & 15];
	}
	*p = '\0';
	return id;
}

static const char *client_addr(arena_t *a, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char buf[INET6_ADDRSTRLEN] = "unknown";
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
				  sizeof(buf));
		} else if (sa->sa_family == AF_INET6) {
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
				  sizeof(buf));
		}
	}
	return arena_strdup(a, buf);
}

static const char *rate_key(api_req_t *req)
{
	if (req->ident.has_token) {
		return arena_printf(req->arena, "t:%lld", (long long)req->ident.token.id);
	}
	if (req->ident.kind == IDENT_USER) {
		return arena_printf(req->arena, "u:%lld", (long long)req->ident.user.id);
	}
	return arena_printf(req->arena, "a:%s", req->client_addr);
}

static bool is_json_type(const char *ct)
{
	if (ct == NULL) {
		return true; /* clients that omit it still send JSON; the parser decides */
	}
	while (*ct == ' ') {
		ct++;
	}
	size_t n = strcspn(ct, "; ");
	return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	       (n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

static bool is_form_type(const char *ct)
{
	return ct != NULL && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static bool is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			return false;
		}
	}
	return true;
}

/* Parse the body by its content type into req->json. */
static int read_body(api_req_t *req, const api_route_t *route)
{
	if (route->flags & API_RAW_BODY || is_blank(req->body, req->body_size)) {
		return ERR_OK;
	}
	const char *ct = api_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	if ((route->flags & API_FORM) && is_form_type(ct)) {
		req->json = api_form_decode(req->body, req->body_size);
		return ERR_OK;
	}
	if (!is_json_type(ct)) {
		req->message = arena_printf(req->arena,
					    "Unsupported Content-Type `%s`: send application/json",
					    ct);
		return ERR_INVALID;
	}
	char msg[256];
	req->json = json_parse_body(req->body, req->body_size, msg, sizeof(msg));
	if (req->json == NULL) {
		req->message = arena_strdup(req->arena, msg);
		return ERR_PARSE;
	}
	return ERR_OK;
}

static int pipeline(api_req_t *req, api_reply_t *rep, ratelimit_result_t *rl, bool is_too_big)
{
	const api_ctx_t *ctx = req->ctx;
	int auth = auth_identify(req, api_header(req, MHD_HTTP_HEADER_AUTHORIZATION),
				 api_header(req, "X-Dnsimple-OTP"));
	if (auth == ERR_OTP_REQUIRED) {
		reply_set_header(rep, "X-Dnsimple-OTP", "required");
	}
	bool is_known = req->ident.kind != IDENT_NONE;
	ratelimit_hit(ctx->limits, rate_key(req),
		      is_known ? ctx->conf->rate_limit : ctx->conf->rate_limit_unauth, time_now(),
		      rl);
	if (!rl->is_allowed) {
		return ERR_RATELIMIT;
	}
	api_match_t m;
	int ret = router_match(req, &m);
	if (ret == ERR_METHOD) {
		reply_set_header(rep, MHD_HTTP_HEADER_ALLOW, router_allow(req->arena, m.allowed));
	}
	if (ret != ERR_OK) {
		return ret;
	}
	if (!(m.route->flags & API_PUBLIC) && auth != ERR_OK) {
		return auth == ERR_OTP_REQUIRED ? ERR_AUTH : auth;
	}
	if (is_too_big) {
		req->message = arena_printf(req->arena, "Request body too large (limit %lld bytes)",
					    (long long)ctx->conf->max_body);
		return ERR_TOOBIG;
	}
	ret = read_body(req, m.route);
	if (ret == ERR_OK) {
		ret = auth_check(req, m.route);
	}
	if (ret == ERR_OK) {
		ret = m.route->handler(req, rep);
	}
	return ret;
}

static void add_header(struct MHD_Response *r, const char *name, const char *value)
{
	MHD_add_response_header(r, name, value);
}

static enum MHD_Result respond(struct MHD_Connection *conn, api_req_t *req, api_reply_t *rep,
			       int ret, const ratelimit_result_t *rl, int *status_out)
{
	int status = rep->status != 0 ? rep->status : 200;
	json_t *body = rep->body;
	if (ret != ERR_OK) {
		status = err_http_status(ret);
		if (ret == ERR_TOOBIG) {
			status = 400; /* the contract: malformed or oversized bodies are 400s */
		}
		json_decref(body);
		body = reply_error_body(req, ret);
		free(rep->raw);
		rep->raw = NULL;
	}
	char *text = NULL;
	size_t size = 0;
	const char *ctype = "application/json; charset=utf-8";
	if (rep->raw != NULL && ret == ERR_OK) {
		text = rep->raw;
		size = rep->raw_size;
		ctype = rep->content_type;
		rep->raw = NULL;
	} else if (body != NULL) {
		text = json_dump_compact(body);
		size = strlen(text);
	}
	json_decref(body);
	json_decref(req->json);
	json_decref(req->errors);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		size, text != NULL ? text : (char *)"", text != NULL ? MHD_RESPMEM_MUST_FREE
								: MHD_RESPMEM_PERSISTENT);
	if (text != NULL || status != 204) {
		add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	}
	char num[32];
	snprintf(num, sizeof(num), "%lld", (long long)rl->limit);
	add_header(r, "X-RateLimit-Limit", num);
	snprintf(num, sizeof(num), "%lld", (long long)rl->remaining);
	add_header(r, "X-RateLimit-Remaining", num);
	snprintf(num, sizeof(num), "%lld", (long long)rl->reset);
	add_header(r, "X-RateLimit-Reset", num);
	add_header(r, "X-Request-Id", req->request_id);
	add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	for (int i = 0; i < rep->header_count; i++) {
		add_header(r, rep->header_names[i], rep->header_values[i]);
	}
	enum MHD_Result res = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	*status_out = status;
	return res;
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, conn_state_t *cs, const char *url,
				const char *method)
{
	api_server_t *srv = cs->srv;
	api_req_t req = { .arena = &cs->arena, .ctx = &srv->ctx, .conn = conn };
	api_reply_t rep = { 0 };
	req.method = router_method(method);
	req.path = url;
	req.request_id = request_id(&cs->arena, api_header(&req, "X-Request-Id"));
	req.client_addr = client_addr(&cs->arena, conn);
	req.body = cs->body.p != NULL ? cs->body.p : "";
	req.body_size = cs->body.len;
	ratelimit_result_t rl = { 0 };
	int ret = pipeline(&req, &rep, &rl, cs->is_too_big);
	if (ret != ERR_OK && err_http_status(ret) >= 500) {
		log_req_err(req.request_id, "%s %s failed (%s)", method, url, err_str(ret));
	}
	int status = 0;
	enum MHD_Result res = respond(conn, &req, &rep, ret, &rl, &status);
	int64_t us = time_mono_us() - cs->started_us;
	/* One line per request: method, path, status, duration, request id. */
	log_info("api, %s %s %d %lld.%03lldms id=%s", method, url, status, (long long)(us / 1000),
		 (long long)(us % 1000), req.request_id);
	return res;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	api_server_t *srv = cls;
	conn_state_t *cs = *con_cls;
	if (cs == NULL) {
		cs = xcalloc(1, sizeof(*cs));
		arena_init(&cs->arena, ARENA_BUDGET);
		cs->started_us = time_mono_us();
		cs->srv = srv;
		atomic_fetch_add(&srv->in_flight, 1);
		*con_cls = cs;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoll(cl, NULL, 10) > srv->ctx.conf->max_body) {
			/* Answer now rather than read what we would throw away. */
			cs->is_too_big = true;
			return dispatch(conn, cs, url, method);
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (!cs->is_too_big) {
			if (cs->body.len + *upload_data_size > (size_t)srv->ctx.conf->max_body) {
				cs->is_too_big = true;
				sbuf_clear(&cs->body);
			} else {
				sbuf_append(&cs->body, upload_data, *upload_data_size);
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(conn, cs, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	api_server_t *srv = cls;
	conn_state_t *cs = *con_cls;
	if (cs == NULL) {
		return;
	}
	arena_clear(&cs->arena);
	sbuf_clear(&cs->body);
	free(cs);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
						       va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("api, http: %s", line);
}

int api_server_start(api_server_t **out, const conf_t *conf, store_t *st)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	if (netaddr_parse(conf->api, strlen(conf->api), 0, &ss, &sslen) != ERR_OK) {
		log_err("api, bad listen address '%s' (want ADDR:PORT)", conf->api);
		return ERR_INVALID;
	}
	api_server_t *srv = xcalloc(1, sizeof(*srv));
	srv->ctx.conf = conf;
	srv->ctx.store = st;
	srv->ctx.limits = ratelimit_new(conf->rate_limit_window);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)conf->api_threads,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u,
		MHD_OPTION_CONNECTION_LIMIT, 4096u,
		MHD_OPTION_END);
	if (srv->daemon == NULL) {
		log_err("api, cannot listen on %s", conf->api);
		ratelimit_free(srv->ctx.limits);
		free(srv);
		return ERR_IO;
	}
	log_info("api, listening on http://%s", conf->api);
	*out = srv;
	return ERR_OK;
}

void api_server_stop(api_server_t *srv, int grace_seconds)
{
	if (srv == NULL) {
		return;
	}
	/* Stop accepting; requests in flight finish and their responses go out. */
	MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET) {
		close(fd);
	}
	int64_t deadline = time_mono_ms() + (int64_t)grace_seconds * 1000;
	while (atomic_load(&srv->in_flight) > 0 && time_mono_ms() < deadline) {
		usleep(10000);
	}
	if (atomic_load(&srv->in_flight) > 0) {
		log_warn("api, %d requests still open after %d s, closing them",
			 atomic_load(&srv->in_flight), grace_seconds);
	}
	MHD_stop_daemon(srv->daemon);
	ratelimit_free(srv->ctx.limits);
	free(srv);
	log_info("api, stopped");
}
