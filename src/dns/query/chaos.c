/* chaos.c -- CHAOS class TXT answers about the server: id.server and hostname.bind give
 * the identity, version.bind and version.server the version (RFC 4892 and BIND's habit).
 * Anything else, or a name whose text is not configured, is REFUSED; AA stays clear (as
 * Knot: this is not zone data). */
#include <stddef.h>
#include <string.h>

#include "dns/query/query_internal.h"

typedef struct chaos_name {
	const char *wire;   /* lowercase wire name */
	size_t conf_field;  /* offset of the `const char *` in query_conf_t */
} chaos_name_t;

static const chaos_name_t names[] = {
	{ "\x02" "id" "\x06" "server", offsetof(query_conf_t, identity) },
	{ "\x08" "hostname" "\x04" "bind", offsetof(query_conf_t, identity) },
	{ "\x07" "version" "\x04" "bind", offsetof(query_conf_t, version) },
	{ "\x07" "version" "\x06" "server", offsetof(query_conf_t, version) },
};

static const char *chaos_text(const query_conf_t *conf, const knot_dname_t *qname)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (knot_dname_is_equal(qname, (const knot_dname_t *)names[i].wire)) {
			return *(const char *const *)((const char *)conf + names[i].conf_field);
		}
	}
	return NULL;
}

int chaos_answer(query_ctx_t *qc)
{
	const char *text = qc->qtype == KNOT_RRTYPE_TXT ? chaos_text(qc->conf, qc->qname) : NULL;
	if (text == NULL || text[0] == '\0') {
		qc->rcode = KNOT_RCODE_REFUSED;
		return KNOT_EOK;
	}
	/* One <character-string>: longer text is cut at 255 bytes, as Knot does. */
	size_t len = strlen(text);
	len = len > 255 ? 255 : len;
	knot_rdata_t *rdata = qarena_alloc(qc->arena, knot_rdata_size((uint16_t)(len + 1)));
	if (rdata == NULL) {
		return KNOT_ENOMEM;
	}
	rdata->len = (uint16_t)(len + 1);
	rdata->data[0] = (uint8_t)len;
	memcpy(rdata->data + 1, text, len);
	knot_rrset_t txt;
	knot_rrset_init(&txt, (knot_dname_t *)qc->qname, KNOT_RRTYPE_TXT, KNOT_CLASS_CH, 0);
	txt.rrs.count = 1;
	txt.rrs.size = (uint32_t)knot_rdata_size(rdata->len);
	txt.rrs.rdata = rdata;
	knot_pkt_begin(qc->ans, KNOT_ANSWER);
	return knot_pkt_put(qc->ans, KNOT_COMPR_HINT_QNAME, &txt, 0);
}
