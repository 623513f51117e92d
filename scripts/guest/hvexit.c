// SPDX-License-Identifier: GPL-2.0
/*
 * hvexit STATUS: end the test VM. Writes the status byte to hvhost's debug
 * exit port (0x501); hvhost stops the VM and exits with that status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/io.h>

#define HVEXIT_PORT 0x501

int main(int argc, char **argv)
{
	unsigned long status = 0;
	char *end;

	if (argc > 2 || (argc == 2 && !strcmp(argv[1], "-h"))) {
		fprintf(stderr, "usage: hvexit [STATUS 0-255]\n");
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		status = strtoul(argv[1], &end, 0);
		if (errno || end == argv[1] || *end || status > 255) {
			fprintf(stderr, "hvexit: bad status '%s'\n", argv[1]);
			return 2;
		}
	}
	if (ioperm(HVEXIT_PORT, 1, 1)) {
		perror("hvexit: ioperm");
		return 2;
	}
	fflush(NULL);
	sync();
	outb((unsigned char)status, HVEXIT_PORT);
	/* Only reached when nothing handles the port. */
	sleep(5);
	fprintf(stderr, "hvexit: VM still running after writing %lu to port 0x%x\n",
		status, HVEXIT_PORT);
	return 2;
}
