/* server.c -- the redirect role: libmicrohttpd glue, one 301 (or an error page) per request.
 *
 * DESIGN: the same shape as the api's server (api/server.c): a small libmicrohttpd thread
 * pool on epoll; each request is answered synchronously on its connection's thread, on
 * its first callback (GET and HEAD carry no body worth reading). The request target is
 * taken raw from the URI log callback, before libmicrohttpd unescapes it and splits the
 * query off, so the Location carries the client's path and query byte for byte. Each
 * request looks its host up in the store (two indexed reads, no cache: a record changed
 * through the API takes effect on the next request, in this process or another). One
 * arena per request, from the URI callback to the completion notice.
 */
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "redirect/redirect.h"
#include "redirect/redirect_internal.h"

#define ARENA_BUDGET (1u << 20)
#define THREADS 2u             /* a redirect is two indexed reads: few threads keep up */
#define LOG_LOCATION_MAX 256   /* of a Location in the request's log line */

struct redirect_server {
	struct MHD_Daemon *daemon;
	const conf_t *conf;
	store_t *st;
	atomic_int in_flight;
};

/* One per request, from the URI callback to the completion notice. */
typedef struct req_state {
	arena_t arena;
	const char *target;    /* the request target as sent */
	bool is_started;       /* on_request has seen the headers */
	int64_t started_us;
	redirect_server_t *srv;
} req_state_t;

/* What the request gets. */
typedef struct reply {
	int status;
	const char *location;
	const char *cache_control;
	const char *allow;
	const char *body;
} reply_t;

/* Text for HTML (arena). */
static const char *html_escape(arena_t *a, const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p != '\0'; p++) {
		n += strchr("&<>\"'", *p) != NULL ? 6 : 1;
	}
	char *out = arena_alloc(a, n + 1), *o = out;
	if (out == NULL) {
		return "";
	}
	for (const char *p = s; *p != '\0'; p++) {
		const char *ent = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
				: *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : NULL;
		if (ent != NULL) {
			size_t len = strlen(ent);
			memcpy(o, ent, len);
			o += len;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* A tiny page: the status as its title and one paragraph (html, already escaped). */
static void page(arena_t *a, reply_t *rep, int status, const char *title, const char *html)
{
	rep->status = status;
	rep->body = arena_printf(a,
				 "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
				 "<title>%d %s</title></head>\n<body><h1>%s</h1>\n<p>%s</p>\n"
				 "</body></html>\n",
				 status, title, title, html != NULL ? html : "");
	if (rep->cache_control == NULL) {
		rep->cache_control = "no-cache";
	}
}

static bool is_get_or_head(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	       strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* The whole request: method, host, record, Location. *host_out gets the host for the log. */
static void handle(req_state_t *rs, struct MHD_Connection *conn, const char *method,
		   reply_t *rep, const char **host_out)
{
	arena_t *a = &rs->arena;
	const char *host = redirect_host(a, rs->target, MHD_lookup_connection_value(
						conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST));
	*host_out = host;
	if (!is_get_or_head(method)) {
		rep->allow = "GET, HEAD";
		page(a, rep, 405, "Method Not Allowed", "This address only answers GET and HEAD.");
		return;
	}
	if (host == NULL) {
		page(a, rep, 400, "Bad Request", "The request names no valid host (Host header).");
		return;
	}
	const char *content = NULL;
	uint32_t ttl = 0;
	int ret = redirect_resolve(rs->srv->st, a, host, &content, &ttl);
	if (ret == ERR_NOTFOUND) {
		page(a, rep, 404, "Not Found",
		     arena_printf(a, "No redirect is configured for <strong>%s</strong>.",
				  html_escape(a, host)));
		return;
	}
	const char *path = ret == ERR_OK ? redirect_path(a, rs->target) : NULL;
	const char *location = path != NULL ? redirect_location(a, content, path) : NULL;
	if (location == NULL) {
		ret = ret != ERR_OK ? ret : ERR_TOOBIG;
		log_err("redirect, %s, lookup failed (%s)", host, err_str(ret));
		page(a, rep, 500, "Internal Server Error",
		     "The redirect could not be looked up; try again later.");
		return;
	}
	rep->location = location;
	/* Cacheable as long as the DNS answer that led here. */
	rep->cache_control = arena_printf(a, "public, max-age=%u", ttl);
	const char *href = html_escape(a, location);
	page(a, rep, 301, "Moved Permanently",
	     arena_printf(a, "This address has moved to <a href=\"%s\">%s</a>.", href, href));
}

static enum MHD_Result respond(struct MHD_Connection *conn, const reply_t *rep)
{
	const char *body = rep->body != NULL ? rep->body : "";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, rep->cache_control);
	if (rep->location != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, rep->location);
	}
	if (rep->allow != NULL) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rep->allow);
	}
	enum MHD_Result res = MHD_queue_response(conn, (unsigned)rep->status, r);
	MHD_destroy_response(r);
	return res;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	redirect_server_t *srv = cls;
	req_state_t *rs = xcalloc(1, sizeof(*rs));
	arena_init(&rs->arena, ARENA_BUDGET);
	rs->started_us = time_mono_us();
	rs->srv = srv;
	rs->target = arena_strdup(&rs->arena, uri != NULL ? uri : "/");
	atomic_fetch_add(&srv->in_flight, 1);
	return rs;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	req_state_t *rs = *con_cls;
	if (rs == NULL) {
		return MHD_NO; /* on_uri always runs first; without its state, drop the request */
	}
	/* GET and HEAD are answered once the request is read, which keeps the connection
	 * open for the next one; other methods at once (their body is not worth reading,
	 * and libmicrohttpd closes the connection after an early answer). */
	if (!rs->is_started && is_get_or_head(method)) {
		rs->is_started = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body on GET: read and dropped */
		return MHD_YES;
	}
	reply_t rep = { 0 };
	const char *host = NULL;
	handle(rs, conn, method, &rep, &host);
	enum MHD_Result res = respond(conn, &rep);
	int64_t us = time_mono_us() - rs->started_us;
	const char *path = redirect_path(&rs->arena, rs->target);
	/* One line per request: method, host and path, status, duration, where it went. */
	log_info("redirect, %s %s%s %d %lld.%03lldms%s%.*s", method, host != NULL ? host : "-",
		 path != NULL ? path : "", rep.status, (long long)(us / 1000),
		 (long long)(us % 1000), rep.location != NULL ? " -> " : "", LOG_LOCATION_MAX,
		 rep.location != NULL ? rep.location : "");
	return res;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	redirect_server_t *srv = cls;
	req_state_t *rs = *con_cls;
	if (rs == NULL) {
		return;
	}
	arena_clear(&rs->arena);
	free(rs);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
						       va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("redirect, http: %s", line);
}

int redirect_server_start(redirect_server_t **out, const conf_t *conf, store_t *st)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	if (netaddr_parse(conf->redirect, strlen(conf->redirect), 0, &ss, &sslen) != ERR_OK) {
		log_err("redirect, bad listen address '%s' (want ADDR:PORT)", conf->redirect);
		return ERR_INVALID;
	}
	redirect_server_t *srv = xcalloc(1, sizeof(*srv));
	srv->conf = conf;
	srv->st = st;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, THREADS,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_LIMIT, 4096u,
		MHD_OPTION_END);
	if (srv->daemon == NULL) {
		log_err("redirect, cannot listen on %s", conf->redirect);
		free(srv);
		return ERR_IO;
	}
	log_info("redirect, listening on http://%s", conf->redirect);
	*out = srv;
	return ERR_OK;
}

void redirect_server_stop(redirect_server_t *srv, int grace_seconds)
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
	MHD_stop_daemon(srv->daemon);
	free(srv);
	log_info("redirect, stopped");
}
