// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: the log (--log FILE or stderr), rate limits, host clocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "vm.h"

static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int log_open(const char *path)
{
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "hvhost: cannot open log %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	log_file = f;
	return 0;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

void hvlog(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;

	pthread_mutex_lock(&log_lock);
	f = log_file ? log_file : stderr;
	fprintf(f, "hvhost: [%.6f] %s\n", mono_now(), buf);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}

bool ratelimit_ok(struct ratelimit *rl)
{
	time_t now = (time_t)mono_now();
	unsigned long missed = 0;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	if (!rl->start || now >= rl->start + rl->interval_s) {
		missed = rl->missed;
		rl->start = now ? now : 1;
		rl->printed = 0;
		rl->missed = 0;
	}
	ok = rl->printed < rl->burst;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	pthread_mutex_unlock(&rl->lock);
	if (missed)
		hvlog("(%lu similar messages suppressed)", missed);
	return ok;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
