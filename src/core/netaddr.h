/* netaddr.h -- listen and server addresses as settings write them: "ADDR:PORT" or
 * "[ADDR6]:PORT", numeric only (a name would make start-up wait on a resolver). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Parse text[0..len). IPv6 needs its brackets. With default_port non-zero a bare
 * address (no ":PORT") takes it. Returns ERR_OK or ERR_INVALID. */
int netaddr_parse(const char *text, size_t len, uint16_t default_port,
		  struct sockaddr_storage *ss, socklen_t *sslen);
