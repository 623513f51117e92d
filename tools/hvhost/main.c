// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: a Hyper-V host emulator on /dev/kvm.  Command line, terminal,
 * signals, the hard timeout and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "vm.h"

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void tty_restore(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = 0;
}

static void tty_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	t = saved_tio;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				 IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	/* output post-processing stays on, so our log lines end properly */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		tio_saved = 1;
		atexit(tty_restore);
	}
}

static void fatal_signal(int sig)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: hvhost --kernel BZIMAGE [options]\n"
"  --kernel FILE        bzImage to boot (64-bit boot protocol)\n"
"  --initrd FILE        initramfs\n"
"  --append CMDLINE     kernel command line\n"
"  --mem MIB            guest RAM (default 512)\n"
"  --cpus N             vCPUs (default 1, max %d)\n"
"  --host PROFILE       Hyper-V host profile (default ws2025): %s\n"
"  --console FILE|-     guest serial console (default - = stdout/stdin)\n"
"  --console-log FILE   copy of the console, lines prefixed \"[%%.6f] \"\n"
"                       (host CLOCK_MONOTONIC seconds)\n"
"  --ctl SOCKPATH       control socket (see hvctl)\n"
"  --timeout SEC        hard timeout (default 600), exit status 124\n"
"  --log FILE           hvhost's own log (default stderr)\n"
"  --rtc host|epoch     CMOS clock: host UTC or 1970-01-01 (default host)\n"
"  --boot auto|vmlinux|bzimage\n"
"                       vmlinux: decompress the bzImage payload on the host\n"
"                       and enter vmlinux directly; bzimage: run the kernel's\n"
"                       own decompressor; auto (default): vmlinux on kvm-pvm\n"
"  --guest-compat auto|on|off\n"
"                       append kernel parameters that keep the guest off\n"
"                       instructions KVM cannot emulate (auto: on kvm-pvm)\n"
"exit status: guest's byte to port 0x501; 0 after ACPI poweroff;\n"
"  120 guest reset; 124 timeout; 125 hvhost error\n",
		MAX_VCPUS, hv_profile_names());
}

enum {
	OPT_KERNEL = 256, OPT_INITRD, OPT_APPEND, OPT_MEM, OPT_CPUS, OPT_HOST,
	OPT_CONSOLE, OPT_CONSOLE_LOG, OPT_CTL, OPT_TIMEOUT, OPT_LOG, OPT_RTC,
	OPT_BOOT, OPT_COMPAT, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "ctl", required_argument, NULL, OPT_CTL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "rtc", required_argument, NULL, OPT_RTC },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "guest-compat", required_argument, NULL, OPT_COMPAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	uint64_t v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->mem_mib = 512;
	o->cpus = 1;
	o->host = "ws2025";
	o->timeout = 600;
	o->guest_compat = -1;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: o->kernel = optarg; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case OPT_APPEND: o->append = optarg; break;
		case OPT_HOST: o->host = optarg; break;
		case OPT_CONSOLE: o->console = optarg; break;
		case OPT_CONSOLE_LOG: o->console_log = optarg; break;
		case OPT_CTL: o->ctl = optarg; break;
		case OPT_LOG: o->log = optarg; break;
		case OPT_MEM:
			if (parse_u64(optarg, 32, 64 * 1024, &v) < 0) {
				fprintf(stderr, "hvhost: --mem: 32..65536 MiB\n");
				return -1;
			}
			o->mem_mib = v;
			break;
		case OPT_CPUS:
			if (parse_u64(optarg, 1, MAX_VCPUS, &v) < 0) {
				fprintf(stderr, "hvhost: --cpus: 1..%d\n",
					MAX_VCPUS);
				return -1;
			}
			o->cpus = (int)v;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->timeout > 0)) {
				fprintf(stderr, "hvhost: --timeout: seconds > 0\n");
				return -1;
			}
			break;
		case OPT_RTC:
			if (!strcmp(optarg, "epoch")) {
				o->rtc_epoch = true;
			} else if (strcmp(optarg, "host")) {
				fprintf(stderr, "hvhost: --rtc host|epoch\n");
				return -1;
			}
			break;
		case OPT_BOOT:
			if (!strcmp(optarg, "auto")) {
				o->boot_mode = BOOT_AUTO;
			} else if (!strcmp(optarg, "vmlinux")) {
				o->boot_mode = BOOT_VMLINUX;
			} else if (!strcmp(optarg, "bzimage")) {
				o->boot_mode = BOOT_BZIMAGE;
			} else {
				fprintf(stderr, "hvhost: --boot auto|vmlinux|bzimage\n");
				return -1;
			}
			break;
		case OPT_COMPAT:
			if (!strcmp(optarg, "auto")) {
				o->guest_compat = -1;
			} else if (!strcmp(optarg, "on")) {
				o->guest_compat = 1;
			} else if (!strcmp(optarg, "off")) {
				o->guest_compat = 0;
			} else {
				fprintf(stderr, "hvhost: --guest-compat auto|on|off\n");
				return -1;
			}
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hvhost: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->kernel) {
		fprintf(stderr, "hvhost: --kernel is required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Keep fds 0-2 open so no device or socket ever lands on them. */
static void sanitize_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);

			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
}

/* Wait for the VM to stop, a signal, or the timeout. */
static void wait_for_stop(struct vm *vm, double timeout, int sfd)
{
	double deadline = mono_now() + timeout;
	struct pollfd pfd[2];
	char why[64];

	pfd[0].fd = vm->stop_efd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&vm->stopping)) {
		double left = deadline - mono_now();
		int ms;

		if (left <= 0) {
			snprintf(why, sizeof(why), "timeout after %g s", timeout);
			vm_stop(vm, EXIT_TIMEOUT, why);
			break;
		}
		ms = left > 1000 ? 1000000 : (int)(left * 1000) + 1;
		if (poll(pfd, sfd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
			break;
		if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				snprintf(why, sizeof(why), "stopped by signal %u",
					 si.ssi_signo);
				vm_stop(vm, 128 + (int)si.ssi_signo, why);
			}
		}
	}
}

int main(int argc, char **argv)
{
	static struct options opt;
	static struct vm vm;
	struct sigaction sa;
	sigset_t set;
	int sfd, status;

	sanitize_stdio();
	if (parse_args(argc, argv, &opt) < 0)
		return EXIT_INTERNAL;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		fprintf(stderr, "hvhost: /dev/kvm not available: KVM is required\n");
		return EXIT_INTERNAL;
	}
	if (log_open(opt.log) < 0)
		return EXIT_INTERNAL;

	/* Signals: SIGINT/TERM/HUP via signalfd in this thread only */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	if (vm_create(&vm, &opt) < 0) {
		vm_join(&vm);
		vm_destroy(&vm);
		log_close();
		return EXIT_INTERNAL;
	}
	if (opt.ctl && ctl_start(&vm, opt.ctl) < 0) {
		vm_join(&vm);
		vm_destroy(&vm);
		log_close();
		return EXIT_INTERNAL;
	}
	if (vm.serial.in_fd >= 0)
		tty_raw();

	if (vm_start(&vm) == 0)
		wait_for_stop(&vm, opt.timeout, sfd);
	vm_join(&vm);
	status = vm.exit_status;
	if (status == EXIT_TIMEOUT)
		vm_dump_vcpus(&vm);
	hvlog("exit status %d", status);
	vm_destroy(&vm);
	tty_restore();
	if (sfd >= 0)
		close(sfd);
	log_close();
	return status;
}
