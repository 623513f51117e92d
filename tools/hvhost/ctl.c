// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: the control socket (--ctl PATH).
 *
 * A unix stream socket speaking lines: one command per line, answered by
 * zero or more body lines and then "OK" or "ERR <why>".  Clients are served
 * one after the other.  Commands are dispatched through ctl_cmds[].
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm.h"

#define CTL_MAX_LINE	2048
#define CTL_MAX_ARGS	16

struct ctl_cmd {
	const char *name;
	const char *args;
	const char *help;
	int min_args, max_args;
	/* Writes body lines to @out; returns NULL on success, else why */
	const char *(*fn)(struct vm *vm, int argc, char **argv, FILE *out);
};

static void ctl_print_help(FILE *out);

static int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const char *cmd_help(struct vm *vm, int argc, char **argv, FILE *out)
{
	(void)vm;
	(void)argc;
	(void)argv;
	ctl_print_help(out);
	return NULL;
}

static const char *cmd_info(struct vm *vm, int argc, char **argv, FILE *out)
{
	(void)argc;
	(void)argv;
	fprintf(out, "profile %s\n", hv_profile_name(vm->profile));
	fprintf(out, "cpus %u\n", vm->nr_vcpus);
	fprintf(out, "mem %llu\n", (unsigned long long)vm->opt->mem_mib);
	fprintf(out, "uptime %.3f\n", mono_now() - vm->start_time);
	fprintf(out, "tsc_khz %llu\n", (unsigned long long)vm->tsc_khz);
	return NULL;
}

static const char *cmd_hv(struct vm *vm, int argc, char **argv, FILE *out)
{
	(void)argc;
	(void)argv;
	hv_dump(vm->hv, out);
	return NULL;
}

static const char *cmd_time(struct vm *vm, int argc, char **argv, FILE *out)
{
	(void)argc;
	(void)argv;
	fprintf(out, "%llu\n", (unsigned long long)hv_ref_time(vm->hv));
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *cmd_post(struct vm *vm, int argc, char **argv, FILE *out)
{
	uint8_t payload[240];
	uint32_t vp, sint, type, len = 0;

	(void)out;
	if (parse_uint(argv[1], vm->nr_vcpus - 1, &vp) ||
	    parse_uint(argv[2], 15, &sint) ||
	    parse_uint(argv[3], UINT32_MAX, &type))
		return "bad VP, SINT or TYPE";
	if (argc > 4) {
		const char *h = argv[4];
		size_t n = strlen(h);

		if (n % 2 || n / 2 > sizeof(payload))
			return "payload: even number of hex digits, at most 240 bytes";
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return "payload: not hex";
			payload[i] = (uint8_t)(hi << 4 | lo);
		}
		len = (uint32_t)(n / 2);
	}
	if (hv_post_message(vm->hv, vp, sint, type, payload, len) < 0)
		return "message queue full or message rejected";
	return NULL;
}

static const char *cmd_event(struct vm *vm, int argc, char **argv, FILE *out)
{
	uint32_t vp, sint, flag;
	int r;

	(void)argc;
	if (parse_uint(argv[1], vm->nr_vcpus - 1, &vp) ||
	    parse_uint(argv[2], 15, &sint) ||
	    parse_uint(argv[3], 2047, &flag))
		return "bad VP, SINT or FLAG";
	r = hv_signal_event(vm->hv, vp, sint, flag);
	if (r < 0)
		return "event rejected (SynIC or SIEF page not enabled?)";
	fprintf(out, "%s\n", r ? "set" : "already set");
	return NULL;
}

static const char *cmd_quit(struct vm *vm, int argc, char **argv, FILE *out)
{
	(void)vm;
	(void)argc;
	(void)argv;
	(void)out;
	return NULL;	/* the server stops the VM after answering */
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "help", "", "list commands", 0, 0, cmd_help },
	{ "info", "", "profile, cpus, mem (MiB), uptime (s)", 0, 0, cmd_info },
	{ "hv", "", "Hyper-V platform state", 0, 0, cmd_hv },
	{ "time", "", "partition reference time (100 ns units)", 0, 0, cmd_time },
	{ "post", "VP SINT TYPE [HEX]", "queue a SynIC message", 3, 4, cmd_post },
	{ "event", "VP SINT FLAG", "set a SynIC event flag", 3, 3, cmd_event },
	{ "quit", "", "stop the VM (exit status 0)", 0, 0, cmd_quit },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

static void ctl_print_help(FILE *out)
{
	for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
		fprintf(out, "%-6s %-22s %s\n", c->name, c->args, c->help);
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Runs one command line; returns true if the VM should stop (quit) */
static bool ctl_handle_line(struct vm *vm, int fd, char *line)
{
	const struct ctl_cmd *cmd = NULL;
	char *argv[CTL_MAX_ARGS + 1], *save = NULL, *tok;
	const char *err = NULL;
	char *body = NULL;
	size_t body_len = 0;
	bool quit = false;
	FILE *out;
	int argc = 0;

	for (tok = strtok_r(line, " \t\r", &save); tok;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CTL_MAX_ARGS) {
			err = "too many arguments";
			break;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (!argc)
		return false;

	out = open_memstream(&body, &body_len);
	if (!out) {
		send_all(fd, "ERR out of memory\n", 18);
		return false;
	}
	if (!err) {
		for (const struct ctl_cmd *c = ctl_cmds; c->name; c++)
			if (!strcmp(c->name, argv[0]))
				cmd = c;
		if (!cmd)
			err = "unknown command (try help)";
		else if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args)
			err = "wrong number of arguments (try help)";
		else
			err = cmd->fn(vm, argc, argv, out);
	}
	fclose(out);
	if (body_len)
		send_all(fd, body, body_len);
	free(body);
	if (err) {
		char buf[256];
		int n = snprintf(buf, sizeof(buf), "ERR %s\n", err);

		send_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	} else {
		send_all(fd, "OK\n", 3);
		quit = cmd && cmd->fn == cmd_quit;
	}
	return quit;
}

static void ctl_serve(struct vm *vm, int fd)
{
	char buf[CTL_MAX_LINE];
	size_t len = 0;
	struct pollfd pfd[2];

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = vm->stop_efd;
	pfd[1].events = POLLIN;
	for (;;) {
		char *nl;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (pfd[1].revents)
			return;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = 0;
		while ((nl = memchr(buf, '\n', len))) {
			size_t used = (size_t)(nl - buf) + 1;

			*nl = 0;
			if (ctl_handle_line(vm, fd, buf)) {
				vm_stop(vm, EXIT_GUEST_OK, "quit from the control socket");
				return;
			}
			memmove(buf, buf + used, len - used);
			len -= used;
			buf[len] = 0;
		}
		if (len == sizeof(buf) - 1) {
			send_all(fd, "ERR line too long\n", 18);
			return;
		}
	}
}

static void *ctl_thread(void *arg)
{
	struct vm *vm = arg;
	struct pollfd pfd[2];

	pfd[0].fd = vm->ctl_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = vm->stop_efd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&vm->stopping)) {
		int c;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		c = accept4(vm->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		ctl_serve(vm, c);
		close(c);
	}
	return NULL;
}

int ctl_start(struct vm *vm, const char *path)
{
	struct sockaddr_un addr;
	struct stat st;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		hvlog("control socket path too long: %s", path);
		return -1;
	}
	vm->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vm->ctl_fd < 0) {
		hvlog("socket: %s", strerror(errno));
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);	/* left over from a previous run */
	if (bind(vm->ctl_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(vm->ctl_fd, 4) < 0) {
		hvlog("control socket %s: %s", path, strerror(errno));
		close(vm->ctl_fd);
		vm->ctl_fd = -1;
		return -1;
	}
	vm->ctl_path = strdup(path);
	if (pthread_create(&vm->ctl_thread, NULL, ctl_thread, vm)) {
		hvlog("cannot start the control thread");
		return -1;
	}
	vm->ctl_started = true;
	return 0;
}

void ctl_stop(struct vm *vm)
{
	if (vm->ctl_started)
		pthread_join(vm->ctl_thread, NULL);
	vm->ctl_started = false;
	if (vm->ctl_fd >= 0)
		close(vm->ctl_fd);
	vm->ctl_fd = -1;
	if (vm->ctl_path) {
		unlink(vm->ctl_path);
		free(vm->ctl_path);
		vm->ctl_path = NULL;
	}
}
