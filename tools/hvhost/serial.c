// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: a 16550A UART (COM1) as the guest console.
 *
 * Transmission is instantaneous, so THR and the transmitter are always
 * empty; the THRE interrupt condition is kept as the datasheet describes
 * (set when THR empties or ETBEI is enabled, cleared by reading IIR while
 * it is the reported source, or by writing THR).  Input comes from stdin
 * when the console is stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "vm.h"

/* Register offsets */
#define UART_RBR_THR	0	/* DLL when DLAB */
#define UART_IER	1	/* DLM when DLAB */
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_ERBFI	0x01
#define IER_ETBEI	0x02
#define IER_ELSI	0x04
#define IER_EDSSI	0x08

#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10

#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static uint8_t serial_iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_ERBFI) && s->rx_count)
		return fifo | IIR_RDI;
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NO_INT);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_irq_line(s->vm, s->irq, level);
	}
}

static uint8_t serial_msr(struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static void serial_push_rx(struct serial *s, uint8_t c)
{
	if (s->rx_count < sizeof(s->rx)) {
		s->rx[(s->rx_head + s->rx_count) % sizeof(s->rx)] = c;
		s->rx_count++;
	}
}

static void serial_tx(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		serial_push_rx(s, c);
		return;
	}
	if (s->out_fd >= 0)
		write_all(s->out_fd, &c, 1);
	if (s->log) {
		if (c == '\r')
			return;
		if (s->log_bol)
			fprintf(s->log, "[%.6f] ", mono_now());
		fputc(c, s->log);
		s->log_bol = c == '\n';
		fflush(s->log);
	}
}

static uint8_t serial_read(struct serial *s, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % sizeof(s->rx);
		s->rx_count--;
		pthread_cond_signal(&s->rx_space);
		return v;
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			return s->dlm;
		return s->ier;
	case UART_IIR_FCR:
		v = serial_iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_ipending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return (uint8_t)(LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0));
	case UART_MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		serial_tx(s, v);
		/* the byte left at once: THR is empty again */
		s->thr_ipending = true;
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		if (!(s->ier & IER_ETBEI) && (v & IER_ETBEI))
			s->thr_ipending = true;
		s->ier = v & 0x0f;
		break;
	case UART_IIR_FCR:
		if ((v ^ s->fcr) & FCR_ENABLE)
			s->rx_count = 0;
		if (v & FCR_CLEAR_RX)
			s->rx_count = 0;
		if (v & FCR_CLEAR_TX)
			s->thr_ipending = true;
		s->fcr = v & 0xc9;
		pthread_cond_signal(&s->rx_space);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_LSR:
	case UART_MSR:
		break;
	default:
		s->scr = v;
		break;
	}
}

void serial_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	       uint8_t *data, uint32_t size)
{
	struct serial *s = opaque;
	unsigned int reg = (unsigned int)(port - s->port);

	(void)vm;
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		serial_write(s, reg, data[0]);
	} else {
		data[0] = serial_read(s, reg);
		memset(data + 1, 0xff, size - 1);
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void *serial_input_thread(void *arg)
{
	struct serial *s = arg;
	struct pollfd pfd[2];
	uint8_t buf[64];

	pfd[0].fd = s->in_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = s->vm->stop_efd;
	pfd[1].events = POLLIN;
	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		n = read(s->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;	/* EOF: the guest just gets no more input */

		pthread_mutex_lock(&s->lock);
		for (ssize_t i = 0; i < n; i++) {
			while (s->rx_count >= sizeof(s->rx) &&
			       !atomic_load(&s->vm->stopping)) {
				struct timespec ts;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 100 * 1000 * 1000;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&s->rx_space, &s->lock,
						       &ts);
			}
			serial_push_rx(s, buf[i]);
			serial_update_irq(s);
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

int serial_init(struct serial *s, struct vm *vm, const char *console,
		const char *console_log)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->rx_space, NULL);
	s->vm = vm;
	s->port = SERIAL_COM1_PORT;
	s->irq = SERIAL_COM1_IRQ;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->dll = 0x0c;	/* 9600 baud, as after reset */
	s->thr_ipending = false;
	s->in_fd = -1;
	s->log_bol = true;

	if (!console || !strcmp(console, "-")) {
		s->out_fd = STDOUT_FILENO;
		s->in_fd = STDIN_FILENO;
	} else {
		s->out_fd = open(console, O_WRONLY | O_CREAT | O_TRUNC |
				 O_CLOEXEC, 0644);
		if (s->out_fd < 0) {
			hvlog("cannot open console %s: %s", console,
			      strerror(errno));
			return -1;
		}
		s->out_close = true;
	}
	if (console_log) {
		s->log = fopen(console_log, "w");
		if (!s->log) {
			hvlog("cannot open console log %s: %s", console_log,
			      strerror(errno));
			return -1;
		}
	}
	return 0;
}

int serial_start_input(struct serial *s)
{
	if (s->in_fd < 0)
		return 0;
	if (pthread_create(&s->in_thread, NULL, serial_input_thread, s))
		return -1;
	s->in_started = true;
	return 0;
}

void serial_stop(struct serial *s)
{
	if (s->in_started) {
		pthread_mutex_lock(&s->lock);
		pthread_cond_broadcast(&s->rx_space);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->in_thread, NULL);
		s->in_started = false;
	}
	if (s->out_close && s->out_fd >= 0)
		close(s->out_fd);
	s->out_fd = -1;
	if (s->log) {
		if (!s->log_bol)
			fputc('\n', s->log);
		fclose(s->log);
		s->log = NULL;
	}
}
