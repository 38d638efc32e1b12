/* params.c -- path captures, query arguments, headers, form bodies, escaping. */
#include <ctype.h>
#include <microhttpd.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/sbuf.h"

const char *api_param(const api_req_t *req, const char *name)
{
	for (int i = 0; i < req->param_count; i++) {
		if (strcmp(req->param_names[i], name) == 0) {
			return req->param_values[i];
		}
	}
	return NULL;
}

const char *api_query(const api_req_t *req, const char *name)
{
	if (req->conn == NULL) {
		return json_string_value(json_object_get(req->query, name));
	}
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(const api_req_t *req, const char *name)
{
	if (req->conn == NULL) {
		return NULL;
	}
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one urlencoded component ('+' is a space) into a new string. */
static char *decode(const char *s, size_t len)
{
	sbuf_t b = SBUF_INIT;
	sbuf_append(&b, "", 0);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
			   hexval((unsigned char)s[i + 2]) >= 0) {
			c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
			i += 2;
		}
		sbuf_append(&b, &c, 1);
	}
	return sbuf_take(&b);
}

json_t *api_form_decode(const char *body, size_t size)
{
	json_t *o = json_object();
	size_t i = 0;
	while (i < size) {
		size_t end = i;
		while (end < size && body[end] != '&') {
			end++;
		}
		size_t eq = i;
		while (eq < end && body[eq] != '=') {
			eq++;
		}
		if (eq > i) {
			char *k = decode(body + i, eq - i);
			char *v = eq < end ? decode(body + eq + 1, end - eq - 1) : decode("", 0);
			json_t *jv = json_string(v); /* NULL when not UTF-8: the field is dropped */
			if (jv != NULL) {
				json_object_set_new(o, k, jv);
			}
			free(k);
			free(v);
		}
		i = end + 1;
	}
	return o;
}

const char *api_url_encode(arena_t *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);
	char *out = arena_alloc(a, len * 3 + 1);
	if (out == NULL) {
		return "";
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return out;
}

const char *api_html_escape(arena_t *a, const char *s)
{
	sbuf_t b = SBUF_INIT;
	sbuf_append(&b, "", 0);
	for (const char *p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&': sbuf_puts(&b, "&amp;"); break;
		case '<': sbuf_puts(&b, "&lt;"); break;
		case '>': sbuf_puts(&b, "&gt;"); break;
		case '"': sbuf_puts(&b, "&quot;"); break;
		case '\'': sbuf_puts(&b, "&#39;"); break;
		default: sbuf_append(&b, p, 1); break;
		}
	}
	const char *out = arena_strndup(a, b.p, b.len);
	sbuf_clear(&b);
	return out != NULL ? out : "";
}
