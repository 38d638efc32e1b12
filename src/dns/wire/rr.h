/* rr.h -- record types and record content: the API's text <-> canonical wire form.
 *
 * One table (rrtype.def) holds what DNSimple's API adds to a type: whether the API takes
 * it, whether `priority` is a separate field, whether it is a pseudo-type that never
 * reaches the wire (ALIAS, URL, POOL), and a hook for rules the scanner cannot express.
 * Every other type the zone-file scanner knows works with no row: text -> wire through
 * libzscanner, wire -> text through libknot's descriptors.
 *
 * DESIGN. rr_parse() turns the API's fields into one zone-file line
 * ("<owner>. 3600 IN <TYPE> [<priority>] <content>") and hands it to libzscanner, so every
 * type gets the scanner's full presentation-format rules for free. The canonical content
 * is then printed back from the wire form (rr_format()), which makes rr_parse() and
 * rr_format() agree by construction: parse(format(w)) == w and format(parse(c)) is
 * idempotent. The scanner (~200 KiB) is allocated once per thread and re-initialized per
 * call (about 2 us); nothing here takes a lock. Everything returned lives in the caller's
 * arena.
 *
 * CONTENT RULES (what DNSimple clients send and get back):
 * - Names in content are absolute, with or without the trailing dot: "mx.example.com"
 *   and "mx.example.com." are the same name, and "mail" is the one-label name "mail."
 *   (DNSimple treats content names as absolute; they are never taken relative to the
 *   zone). The root is written ".". A bare "@" token stands for the zone apex (as in a
 *   zone file whose $ORIGIN is the zone), except in TXT/SPF content and URL records;
 *   write "\@" for a literal "@" label or character.
 * - Normalized content is what libknot prints for the rdata with these changes: names
 *   lose their trailing dot (except the root, "."), whitespace outside quotes is
 *   collapsed to single spaces and trimmed. Case is kept as given for names and text;
 *   hex fields (DS, SSHFP, TLSA, ...) come back upper case, as libknot prints them.
 *   Examples: MX "mx.example.com" (priority separate), SRV "weight port target" (priority
 *   separate), SOA "mname rname serial refresh retry expire minimum",
 *   CAA `0 issue "letsencrypt.org"`, TYPE65000 `\# 2 ABCD`.
 * - TXT and SPF follow DNSimple's quoting rule (since December 2023): content that both
 *   starts and ends with a double quote is zone-file text (one or more
 *   <character-string>s: `"a" "b"`, escapes `\"` `\\` `\DDD`; strings longer than 255
 *   bytes are split into 255-byte chunks). Any other content is ONE raw string, taken
 *   byte for byte (quotes and backslashes are literal) and split into 255-byte chunks on
 *   the wire. Either way the normalized content is the quoted form, every string quoted
 *   and separated by one space: `v=spf1 -all` -> `"v=spf1 -all"`,
 *   `say "hi"` -> `"say \"hi\""`, 300 x's -> `"xxx...(255)" "xxx...(45)"`. Bytes outside
 *   printable ASCII come back as \DDD.
 * - Content must be one line: CR or LF, a zone-file comment (";" outside quotes), a
 *   trailing lone backslash and anything that would make a second record are rejected.
 *   RFC 3597 generic data (`\# 4 c0000201`) is accepted for every type and must fit the
 *   type's wire format; it is normalized to the type's own presentation.
 * - Pseudo-types (never on the wire, rr_parsed_t.rdata == NULL): ALIAS and POOL content
 *   is one host name, normalized like any content name (absolute, no trailing dot; the
 *   root and wildcards are refused). URL content is an http(s) URL ("https://host/path")
 *   or a scheme-less "host[:port][/path]" (DNSimple's older records); it is kept as
 *   given minus surrounding blanks, and must be printable ASCII without spaces, quotes
 *   or backslashes, with a valid host name or IP literal.
 *
 * PRIORITY RULES:
 * - Types with RR_PRIO_FIELD (MX, SRV): `priority` is the first rdata field (MX
 *   preference, SRV priority) and must be 0..65535. When it is absent it is 0, the
 *   default the OpenAPI schema gives (the Go client and Terraform drop a zero priority
 *   from the JSON, so "absent" must mean 0). On PATCH the caller merges the stored value
 *   first.
 * - Other types: a priority of 0 is ignored (clients send the zero value), any other
 *   value is rejected ("priority": "is not allowed for A records").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum {
	RR_API = 1 << 0,        /* in DNSimple's ZoneRecordType list */
	RR_PRIO_FIELD = 1 << 1, /* the first rdata field is the API's `priority` (MX, SRV) */
	RR_PSEUDO = 1 << 2,     /* ALIAS, URL, POOL: stored as text, never on the wire */
	RR_SYSTEM = 1 << 3,     /* SOA: only the server writes it */
	RR_NOT_APEX = 1 << 4,   /* never at the zone apex (CNAME); the model checks it */
	RR_SINGLETON = 1 << 5,  /* alone at its name (CNAME); the model checks it */
	RR_TEXT = 1 << 6,       /* TXT, SPF: DNSimple's quoting rule for content (above) */
	RR_HOSTNAME = 1 << 7,   /* ALIAS, POOL: the content is one host name */
};

typedef struct rr_error {
	const char *field;      /* "content", "priority", "type", "name" */
	const char *message;    /* a fragment that follows the field name, e.g. "can't be
				 * blank"; static or in the arena */
} rr_error_t;

/* Extra checks a type needs beyond what the scanner does; returns NULL when fine, or a
 * message (static or in the arena). For wire types it sees the wire rdata; for RR_PSEUDO
 * types it sees the normalized content text (not NUL-terminated: use size). */
typedef const char *(*rr_check_fn)(arena_t *a, const uint8_t *rdata, size_t size);

typedef struct rrtype {
	const char *name;       /* "MX", or "TYPE65280" for types without a mnemonic */
	uint16_t code;          /* pseudo-types carry private-use codes (ALIAS 65401, URL
				 * 65402, POOL 65403; ALIAS as in PowerDNS) */
	unsigned flags;         /* RR_* */
	rr_check_fn check;
} rrtype_t;

/* A type by mnemonic (case-insensitive) or "TYPEnnn" (RFC 3597). Returns the table row
 * when the type has one; for any other type the scanner can read, a static row built
 * from libknot's descriptor (flags 0, so not RR_API; the pointer stays valid for the
 * life of the process). NULL for unknown names and for types that cannot be stored:
 * code 0, meta-types and QTYPEs (OPT, TSIG, TKEY, IXFR, AXFR, ANY, SIG) and NULL.
 * "TYPEnnn" of a pseudo-type's code is that pseudo-type. Thread-safe, lock-free. */
const rrtype_t *rrtype_find(const char *name);
const rrtype_t *rrtype_by_code(uint16_t code);
/* The i-th row of the table (rrtype.def order), NULL past the end. */
const rrtype_t *rrtype_row(size_t i);

/* What the API hands in for one record. */
typedef struct rr_input {
	const char *origin;     /* zone name, with or without the trailing dot */
	const char *name;       /* relative owner: "" or "@" for the apex, "www", "*.x" */
	const rrtype_t *type;   /* NULL = the type was not found: "type" error */
	const char *content;    /* DNSimple content text */
	bool has_priority;
	int64_t priority;
} rr_input_t;

/* The canonical form: what the store keeps and the DNS server serves. */
typedef struct rr_parsed {
	const uint8_t *rdata;   /* wire rdata, names uncompressed; NULL for pseudo-types */
	uint16_t rdata_size;
	const char *content;    /* normalized DNSimple content (arena) */
	const char *fqdn;       /* owner, absolute, no trailing dot (arena) */
	bool has_priority;      /* true exactly for RR_PRIO_FIELD types */
	int64_t priority;       /* MX preference, SRV priority */
} rr_parsed_t;

/* Parse and normalize one record (see CONTENT RULES and PRIORITY RULES above). Checks
 * the owner (rr_owner(), "name"), the priority ("priority"), the content ("content"; the
 * message carries the scanner's error text) and the type's check hook; a NULL type is
 * "type": "unsupported" (DNSimple answers `record_type: ["unsupported"]`). Does not check
 * RR_SYSTEM, RR_NOT_APEX or RR_SINGLETON: the model does, with its own messages.
 * Returns ERR_OK; ERR_INVALID with err filled; ERR_TOOBIG when the arena budget runs
 * out. Everything lives in the arena. */
int rr_parse(arena_t *a, const rr_input_t *in, rr_parsed_t *out, rr_error_t *err);

/* The API's content text (and priority) for wire rdata, as rr_parse() normalizes it.
 * origin is accepted for symmetry and not used: content names are always absolute.
 * The rdata is checked against libknot's descriptor for the type first (fixed fields,
 * uncompressed names, nothing left over), so data from a zone file or a transfer that
 * rr_parse() would not have produced is refused rather than printed.
 * Returns ERR_OK; ERR_INVAL_ARG for a pseudo-type (it has no wire form) or a NULL type;
 * ERR_PARSE when the rdata is malformed for the type; ERR_TOOBIG (arena budget).
 * *content lives in the arena; *priority is set only when *has_priority. */
int rr_format(arena_t *a, const char *origin, const rrtype_t *type, const uint8_t *rdata,
	      uint16_t size, const char **content, bool *has_priority, int64_t *priority);

/* One zone-file line, no newline: "www.example.com. 3600 IN MX 10 mx.example.com."
 * (absolute names with trailing dots, class IN, libknot's presentation of the rdata;
 * the style of fixtures/v2/api/getZoneFile). For pseudo-types pass rdata NULL and the
 * normalized content in pseudo_content; the line is "<owner>. <ttl> IN ALIAS
 * target.example.net." (POOL alike) or "<owner>. <ttl> IN URL "https://..."", which
 * rr_zonefile_split_pseudo() reads back. name is relative as for rr_owner().
 * Returns ERR_OK, ERR_INVAL_ARG (bad name/origin, missing input), ERR_PARSE (malformed
 * rdata), ERR_TOOBIG. *line lives in the arena. */
int rr_zonefile_line(arena_t *a, const char *origin, const char *name, uint32_t ttl,
		     const rrtype_t *type, const uint8_t *rdata, uint16_t size,
		     const char *pseudo_content, const char **line);

/* A pseudo-record found in zone-file text. */
typedef struct rr_pseudo_rr {
	size_t line;            /* 1-based line number in the input */
	const char *name;       /* owner relative to the zone, "" for the apex */
	bool has_ttl;           /* false: no TTL on the line and no $TTL before it */
	uint32_t ttl;
	const rrtype_t *type;   /* an RR_PSEUDO row */
	const char *content;    /* normalized as rr_parse() would */
} rr_pseudo_rr_t;

typedef struct rr_zonefile_split {
	char *text;             /* the input with pseudo-record lines commented out; feed it
				 * to libzscanner (line numbers are unchanged) */
	size_t text_len;
	rr_pseudo_rr_t *rrs;    /* the pseudo-records, in input order */
	size_t count;
	size_t err_line;        /* on ERR_INVALID: the line of the first bad pseudo-record */
} rr_zonefile_split_t;

/* libzscanner does not know ALIAS, URL and POOL, so a zone-file importer first calls this
 * on the whole text: every line whose type is a pseudo-type is taken out (replaced by a
 * comment, so the scanner's line numbers still match) and returned parsed. Tracks
 * $ORIGIN, $TTL, the previous owner (a line with a blank owner after a taken-out line
 * gets that owner written in) and parentheses, quotes and comments of the other records.
 * A pseudo-record line is "[owner] [ttl] [IN] TYPE content [; comment]" on one line;
 * owners and host names follow zone-file rules (relative to the current $ORIGIN unless
 * they end in a dot), the URL may be quoted. Owners must be at or under origin.
 * Returns ERR_OK; ERR_INVALID with err and out->err_line; ERR_TOOBIG. */
int rr_zonefile_split_pseudo(arena_t *a, const char *origin, const char *text, size_t len,
			     rr_zonefile_split_t *out, rr_error_t *err);

/* Owner name checks: relative name -> absolute "www.example.com" (no trailing dot, case
 * kept) in the arena. NULL message on success. "" and "@" are the apex; "*" and "*.sub"
 * are wildcards ("*" only as the whole leftmost label). Labels are 1..63 bytes of
 * letters, digits, '-' and '_'; the absolute name is at most 253 characters. As in
 * DNSimple, the name is always relative: "www.example.com" in zone example.com is
 * www.example.com.example.com, and a trailing dot is refused. */
const char *rr_owner(arena_t *a, const char *origin, const char *name, const char **fqdn);

/* Free this thread's scanner now (it is also freed when the thread exits). Optional. */
void rr_thread_release(void);
