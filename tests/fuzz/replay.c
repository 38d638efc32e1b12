/* replay.c -- runs a fuzz target over its corpus as an ordinary test (make test): every
 * file in the directories named on the command line is one input. Crashes that fuzzing
 * finds are added to the corpus, so they stay fixed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		return 1;
	}
	static uint8_t buf[1 << 20];
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			continue;
		}
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
		count++;
	}
	closedir(d);
	printf("replay: %d inputs from %s\n", count, dir);
	return count > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int ret = 0;
	for (int i = 1; i < argc; i++) {
		ret |= replay_dir(argv[i]);
	}
	return ret;
}
