// SPDX-License-Identifier: GPL-2.0
/*
 * hvevents [-t MS] [-n COUNT [-c TYPE]] DEVICE: print the input events
 * read from an evdev DEVICE (/dev/input/eventN), one line each: "TYPE CODE
 * VALUE" in decimal, SYN_REPORT included as "0 0 0".
 *
 * Prints "ready" once DEVICE is open, so a test can inject events after
 * that line, then stops after COUNT events other than EV_SYN (with -c: of
 * type TYPE only; default: never) or after MS milliseconds without an
 * event (default 10000).
 * Exits 0 when COUNT events came (or no COUNT was given), 1 on a timeout
 * short of COUNT, 2 on error. Output is line-buffered: another process
 * may follow it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: hvevents [-t MS] [-n COUNT [-c TYPE]] DEVICE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long timeout_ms = 10000, want = -1, got = 0, type = -1;
	struct input_event ev[16];
	struct pollfd pfd;
	int opt, fd;

	while ((opt = getopt(argc, argv, "t:n:c:")) != -1) {
		switch (opt) {
		case 't':
			timeout_ms = strtol(optarg, NULL, 0);
			break;
		case 'n':
			want = strtol(optarg, NULL, 0);
			break;
		case 'c':
			type = strtol(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || timeout_ms <= 0)
		usage();

	fd = open(argv[optind], O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "hvevents: %s: %s\n", argv[optind],
			strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (want < 0 || got < want) {
		ssize_t n;
		int r = poll(&pfd, 1, (int)timeout_ms);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "hvevents: poll: %s\n", strerror(errno));
			return 2;
		}
		if (r == 0)
			return want < 0 ? 0 : 1;
		n = read(fd, ev, sizeof(ev));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "hvevents: read: %s\n", strerror(errno));
			return 2;
		}
		if (n % sizeof(ev[0])) {
			fprintf(stderr, "hvevents: a read of %zd bytes\n", n);
			return 2;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			printf("%u %u %d\n", ev[i].type, ev[i].code,
			       ev[i].value);
			if (type < 0 ? ev[i].type != EV_SYN :
			    ev[i].type == type)
				got++;
		}
	}
	return 0;
}
