/* SPDX-License-Identifier: BSD-2-Clause */
/* Replays files and directories of inputs through a libFuzzer entry point (non-clang builds). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path, unsigned *count)
{
	FILE *f;
	uint8_t *buf = NULL;
	long len;
	int err = 0;

	f = fopen(path, "rb");
	if (f == NULL)
		return errno;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		err = EIO;
		goto out;
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL) {
		err = ENOMEM;
		goto out;
	}
	if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		err = EIO;
		goto out;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	(*count)++;
 out:
	free(buf);
	fclose(f);
	return err;
}

static int
replay_path(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char sub[4096];
	int err = 0;

	if (stat(path, &st) != 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	d = opendir(path);
	if (d == NULL)
		return errno;
	while ((de = readdir(d)) != NULL && err == 0) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		err = replay_path(sub, count);
	}
	closedir(d);
	return err;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		err = replay_path(argv[i], &count);
		if (err) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(err));
			return 1;
		}
	}
	if (count == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	printf("replay: %u inputs ran\n", count);
	return 0;
}
