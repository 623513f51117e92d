// SPDX-License-Identifier: GPL-2.0
/*
 * hvexit STATUS: end the test VM. Writes the status byte to QEMU's
 * isa-debug-exit port (0xf4, -device isa-debug-exit,iobase=0xf4,iosize=4);
 * QEMU exits with (STATUS << 1) | 1 and the runner (scripts/lib.sh,
 * hvic_qemu_status) turns that back into STATUS. An exit status keeps 8
 * bits, so STATUS is 0-127: 128-255 (a shell's "killed by signal") are
 * sent as 127.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/io.h>

#define HVEXIT_PORT 0xf4
#define HVEXIT_MAX 127

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
	if (status > HVEXIT_MAX) {
		fprintf(stderr, "hvexit: status %lu sent as %d\n", status, HVEXIT_MAX);
		status = HVEXIT_MAX;
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
