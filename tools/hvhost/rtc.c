// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: MC146818-style CMOS RTC at ports 0x70/0x71.
 *
 * The clock is read-only: it shows host UTC (or 1970-01-01 00:00:00 plus
 * the VM's uptime with --rtc epoch).  Writes to the time registers are
 * ignored; status register B's format bits (binary/BCD, 12/24 hour) are
 * honoured; CMOS RAM bytes are kept.  No RTC interrupts are generated
 * and the update-in-progress bit is never set.
 */
#include <string.h>

#include "vm.h"

#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32

#define REG_B_SET		0x80
#define REG_B_DM_BINARY		0x04
#define REG_B_24H		0x02
#define REG_D_VRT		0x80

static uint8_t rtc_fmt(struct rtc *r, int v)
{
	if (r->ram[RTC_REG_B] & REG_B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_hour(struct rtc *r, int h)
{
	uint8_t pm = 0;

	if (!(r->ram[RTC_REG_B] & REG_B_24H)) {
		pm = h >= 12 ? 0x80 : 0;
		h %= 12;
		if (!h)
			h = 12;
	}
	return rtc_fmt(r, h) | pm;
}

static uint8_t rtc_read_reg(struct rtc *r, uint8_t idx)
{
	struct tm tm;
	time_t t;

	if (idx > RTC_YEAR && idx != RTC_CENTURY)
		return r->ram[idx];

	if (r->epoch)
		t = (time_t)(mono_now() - r->start_mono);
	else
		t = time(NULL);
	gmtime_r(&t, &tm);

	switch (idx) {
	case RTC_SECONDS:
		return rtc_fmt(r, tm.tm_sec);
	case RTC_MINUTES:
		return rtc_fmt(r, tm.tm_min);
	case RTC_HOURS:
		return rtc_hour(r, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return rtc_fmt(r, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return rtc_fmt(r, tm.tm_mday);
	case RTC_MONTH:
		return rtc_fmt(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_fmt(r, (tm.tm_year + 1900) % 100);
	case RTC_CENTURY:
		return rtc_fmt(r, (tm.tm_year + 1900) / 100);
	default:	/* alarms */
		return r->ram[idx];
	}
}

static void rtc_write_reg(struct rtc *r, uint8_t idx, uint8_t v)
{
	switch (idx) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		break;		/* read-only clock */
	case RTC_REG_A:
		r->ram[idx] = v & 0x7f;		/* UIP is read-only */
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;
	default:
		r->ram[idx] = v;
		break;
	}
}

void rtc_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	    uint8_t *data, uint32_t size)
{
	struct rtc *r = opaque;

	(void)vm;
	pthread_mutex_lock(&r->lock);
	if (port == RTC_PORT) {
		if (is_write)
			r->index = data[0] & 0x7f;	/* bit 7: NMI mask */
		else
			data[0] = 0xff;
	} else {
		if (is_write)
			rtc_write_reg(r, r->index, data[0]);
		else
			data[0] = rtc_read_reg(r, r->index);
	}
	if (!is_write && size > 1)
		memset(data + 1, 0xff, size - 1);
	pthread_mutex_unlock(&r->lock);
}

void rtc_init(struct rtc *r, bool epoch)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->epoch = epoch;
	r->start_mono = mono_now();
	r->ram[RTC_REG_A] = 0x26;	/* 32.768 kHz base, 1024 Hz rate */
	r->ram[RTC_REG_B] = REG_B_24H;
	r->ram[RTC_REG_C] = 0;
	r->ram[RTC_REG_D] = REG_D_VRT;
}
