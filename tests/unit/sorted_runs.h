/* sorted_runs.h -- compare transfer texts whose RR order inside a run does not matter.
 *
 * Zone versions list their names in index order, and IXFR difference sequences and AXFR
 * bodies may carry RRs in any order between their SOA records (RFC 1995, RFC 5936). The
 * tests write one RR per line; sorted_runs() sorts each run of lines between two lines
 * holding "SOA", so texts compare whatever order the server chose.
 */
#pragma once

#include <stdlib.h>
#include <string.h>

static int sorted_runs_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A new string: text with each run of non-SOA lines sorted. */
static inline char *sorted_runs(const char *text)
{
	char *copy = strdup(text);
	size_t n = 0, cap = 16;
	char **lines = malloc(cap * sizeof(*lines));
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = l;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && strstr(lines[j], "SOA") == NULL) {
			j++;
		}
		qsort(lines + i, j - i, sizeof(*lines), sorted_runs_cmp);
		i = j + 1;
	}
	size_t len = strlen(text) + 2;
	char *out = calloc(1, len);
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(lines);
	free(copy);
	return out;
}

/* assert_string_equal() on the sorted forms. */
#define assert_runs_equal(got, want)                                                           \
	do {                                                                                   \
		char *got_ = sorted_runs(got), *want_ = sorted_runs(want);                     \
		assert_string_equal(got_, want_);                                              \
		free(got_);                                                                    \
		free(want_);                                                                   \
	} while (0)
