// SPDX-License-Identifier: GPL-2.0
/*
 * hvctl: send one command to hvhost's control socket.
 *
 *   hvctl SOCKPATH COMMAND [ARGS...]
 *
 * Prints the response body on stdout; exits 0 on "OK", 1 on "ERR ..."
 * (printed on stderr) or when the socket cannot be used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr;
	char *line = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *in;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: hvctl SOCKPATH COMMAND [ARGS...]\n");
		return 1;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "hvctl: socket path too long\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (strchr(argv[i], '\n')) {
			fprintf(stderr, "hvctl: arguments may not contain newlines\n");
			return 1;
		}
		if (len + n + 2 > cap) {
			cap = (len + n + 2) * 2;
			line = realloc(line, cap);
			if (!line)
				return 1;
		}
		memcpy(line + len, argv[i], n);
		len += n;
		line[len++] = i + 1 < argc ? ' ' : '\n';
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("hvctl: socket");
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "hvctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (send_all(fd, line, len) < 0) {
		perror("hvctl: send");
		return 1;
	}
	free(line);

	in = fdopen(fd, "r");
	if (!in)
		return 1;
	cap = 0;
	while (getline(&buf, &cap, in) > 0) {
		size_t n = strlen(buf);

		if (n && buf[n - 1] == '\n')
			buf[--n] = 0;
		if (!strcmp(buf, "OK")) {
			fclose(in);
			free(buf);
			return 0;
		}
		if (!strncmp(buf, "ERR", 3) && (buf[3] == ' ' || !buf[3])) {
			fprintf(stderr, "hvctl: %s\n", buf);
			fclose(in);
			free(buf);
			return 1;
		}
		printf("%s\n", buf);
	}
	fprintf(stderr, "hvctl: connection closed without a status\n");
	fclose(in);
	free(buf);
	return 1;
}
