// SPDX-License-Identifier: GPL-2.0
/*
 * hvdisk [-r] [-c CPU] [-n OPS] [-s MIB] DEV: random 4 KiB reads and writes
 * with verification on a block device, O_DIRECT, for kernels where fio
 * cannot run (the bare test kernels have no System V shared memory).
 *
 * Every block written carries its device offset, a generation number and
 * a checksum of the rest; the program remembers the generation it last
 * wrote to each block and checks every block it reads against it (never
 * written blocks are only read, not checked).  Half the operations are
 * writes unless -r (reads only, nothing checked but the I/O status).  At
 * the end every written block is read back once more.  Prints the counts;
 * exits 1 on the first I/O error or mismatch, naming the block.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BS 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t sum(const uint32_t *w, unsigned int n)
{
	uint32_t s = 0x811c9dc5;

	while (n--)
		s = (s ^ *w++) * 0x01000193;
	return s;
}

static void fill(uint32_t *w, uint64_t blk, uint32_t gen)
{
	unsigned int i;

	w[0] = (uint32_t)blk;
	w[1] = (uint32_t)(blk >> 32);
	w[2] = gen;
	for (i = 4; i < BS / 4; i++)
		w[i] = (uint32_t)(blk * 2654435761u) ^ gen ^ i;
	w[3] = sum(w + 4, BS / 4 - 4);
}

static int check(const uint32_t *w, uint64_t blk, uint32_t gen)
{
	return w[0] == (uint32_t)blk && w[1] == (uint32_t)(blk >> 32) &&
	       w[2] == gen && w[3] == sum(w + 4, BS / 4 - 4);
}

int main(int argc, char **argv)
{
	long ops = 4096, mib = 8, cpu = -1, done_r = 0, done_w = 0, i;
	int ro = 0, opt, fd;
	uint32_t *gen, *buf;
	uint64_t nblk, b;

	while ((opt = getopt(argc, argv, "rc:n:s:")) != -1) {
		switch (opt) {
		case 'r': ro = 1; break;
		case 'c': cpu = atol(optarg); break;
		case 'n': ops = atol(optarg); break;
		case 's': mib = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || ops <= 0 || mib <= 0)
		goto usage;
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("sched_setaffinity");
	}
	rng ^= (uint64_t)getpid() << 20;
	fd = open(argv[optind], (ro ? O_RDONLY : O_RDWR) | O_DIRECT);
	if (fd < 0) {
		perror(argv[optind]);
		return 1;
	}
	nblk = (uint64_t)mib * 1024 * 1024 / BS;
	gen = calloc(nblk, sizeof(*gen));
	if (!gen || posix_memalign((void **)&buf, BS, BS))
		return 1;
	for (i = 0; i < ops + (long)nblk; i++) {
		int wr;

		if (i < ops) {
			b = next() % nblk;
			wr = !ro && (next() & 1);
		} else {
			/* the final pass: every written block once more */
			b = i - ops;
			if (!gen[b])
				continue;
			wr = 0;
		}
		if (wr) {
			fill(buf, b, ++gen[b]);
			if (pwrite(fd, buf, BS, b * BS) != BS) {
				fprintf(stderr, "%s: write of block %llu: %s\n", argv[optind],
					(unsigned long long)b, strerror(errno));
				return 1;
			}
			done_w++;
		} else {
			if (pread(fd, buf, BS, b * BS) != BS) {
				fprintf(stderr, "%s: read of block %llu: %s\n", argv[optind],
					(unsigned long long)b, strerror(errno));
				return 1;
			}
			if (gen[b] && !check(buf, b, gen[b])) {
				fprintf(stderr, "%s: block %llu: data mismatch (generation %u, found block %u gen %u)\n",
					argv[optind], (unsigned long long)b, gen[b],
					buf[0], buf[2]);
				return 1;
			}
			done_r++;
		}
	}
	printf("%s: %ld reads, %ld writes, all verified\n", argv[optind],
	       done_r, done_w);
	return 0;
usage:
	fprintf(stderr, "usage: hvdisk [-r] [-c CPU] [-n OPS] [-s MIB] DEV\n");
	return 2;
}
