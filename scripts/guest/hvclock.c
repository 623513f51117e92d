// SPDX-License-Identifier: GPL-2.0
/*
 * hvclock [-t MS] [-l NS]: compare the Hyper-V reference counter with the
 * guest's CLOCK_MONOTONIC.
 *
 * Reads HV_X64_MSR_TIME_REF_COUNT (0x40000020, 100 ns units) through
 * /dev/cpu/0/msr at the start and at the end of an interval (default
 * 1000 ms), and CLOCK_MONOTONIC around each read. Each sample is the best of
 * several tries: the read with the narrowest CLOCK_MONOTONIC bracket, taken
 * at the bracket's midpoint, because an MSR read through the msr driver costs
 * a system call and an exit to the host. Prints the numbers; exits 0 when
 * |drift| < limit (default 1 ms), 1 when not, 2 on error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MSR_TIME_REF_COUNT 0x40000020u
#define TRIES 16

struct sample {
	int64_t ref_ns;		/* TIME_REF_COUNT, in ns */
	int64_t mono_ns;	/* CLOCK_MONOTONIC at the read (midpoint) */
	int64_t width_ns;	/* CLOCK_MONOTONIC bracket around the read */
};

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int read_ref(int fd, uint64_t *val)
{
	ssize_t n = pread(fd, val, sizeof(*val), MSR_TIME_REF_COUNT);

	if (n != (ssize_t)sizeof(*val)) {
		fprintf(stderr, "hvclock: reading MSR 0x%x: %s\n",
			MSR_TIME_REF_COUNT, n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	return 0;
}

static int take_sample(int fd, struct sample *s)
{
	int i;

	s->width_ns = INT64_MAX;
	for (i = 0; i < TRIES; i++) {
		int64_t before, after;
		uint64_t ref;

		before = mono_now();
		if (read_ref(fd, &ref))
			return -1;
		after = mono_now();
		if (after - before < s->width_ns) {
			s->width_ns = after - before;
			s->mono_ns = before + (after - before) / 2;
			s->ref_ns = (int64_t)ref * 100;
		}
	}
	return 0;
}

static long parse_num(const char *arg, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 0);
	if (errno || end == arg || *end || v <= 0) {
		fprintf(stderr, "hvclock: bad %s '%s'\n", what, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long interval_ms = 1000, limit_ns = 1000000;
	int64_t dref, dmono, drift;
	struct sample a, b;
	struct timespec ts;
	int fd, opt;

	while ((opt = getopt(argc, argv, "t:l:")) != -1) {
		switch (opt) {
		case 't':
			interval_ms = parse_num(optarg, "interval");
			break;
		case 'l':
			limit_ns = parse_num(optarg, "limit");
			break;
		default:
			fprintf(stderr, "usage: hvclock [-t INTERVAL_MS] [-l LIMIT_NS]\n");
			return 2;
		}
	}
	fd = open("/dev/cpu/0/msr", O_RDONLY);
	if (fd < 0) {
		perror("hvclock: /dev/cpu/0/msr");
		return 2;
	}
	if (take_sample(fd, &a))
		return 2;
	ts.tv_sec = interval_ms / 1000;
	ts.tv_nsec = (interval_ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	if (take_sample(fd, &b))
		return 2;
	close(fd);

	dref = b.ref_ns - a.ref_ns;
	dmono = b.mono_ns - a.mono_ns;
	drift = dref - dmono;
	printf("hvclock: ref_delta_ns=%lld mono_delta_ns=%lld drift_ns=%lld limit_ns=%ld read_ns=%lld/%lld\n",
	       (long long)dref, (long long)dmono, (long long)drift, limit_ns,
	       (long long)a.width_ns, (long long)b.width_ns);
	if (dref <= 0) {
		printf("hvclock: reference counter did not advance\n");
		return 1;
	}
	return (drift < 0 ? -drift : drift) < limit_ns ? 0 : 1;
}
