// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: ACPI fixed hardware (PM1a event and control blocks, PM timer)
 * and the reset ports (0xCF9, keyboard controller command 0xFE).
 *
 * There is no SMI_CMD: the machine is always in ACPI mode, so SCI_EN
 * always reads 1.  Writing SLP_TYP=5 with SLP_EN powers the VM off.
 * No fixed events are ever raised, so the SCI never fires.
 */
#include <string.h>

#include "vm.h"

#define PM1_CNT_SCI_EN		0x0001
#define PM1_CNT_SLP_TYP_SHIFT	10
#define PM1_CNT_SLP_TYP_MASK	(7 << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN		0x2000

#define PM_TIMER_HZ		3579545ULL

static void put_le(uint8_t *data, uint32_t size, uint32_t v)
{
	for (uint32_t i = 0; i < size; i++)
		data[i] = i < 4 ? (uint8_t)(v >> (8 * i)) : 0xff;
}

static uint32_t pm_timer(void)
{
	unsigned __int128 t = (unsigned __int128)mono_ns() * PM_TIMER_HZ;

	return (uint32_t)(t / 1000000000ULL);
}

/* Byte-wise register file of PM1a_EVT (0-3) and PM1a_CNT (4-5) */
static uint8_t pm_read_byte(struct pm *pm, unsigned int off)
{
	switch (off) {
	case 0: return (uint8_t)pm->sts;
	case 1: return (uint8_t)(pm->sts >> 8);
	case 2: return (uint8_t)pm->en;
	case 3: return (uint8_t)(pm->en >> 8);
	case 4: return (uint8_t)pm->cnt;
	case 5: return (uint8_t)(pm->cnt >> 8);
	default: return 0xff;
	}
}

void pm_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	   uint8_t *data, uint32_t size)
{
	struct pm *pm = opaque;
	unsigned int off = (unsigned int)(port - PM_BASE_PORT);
	bool poweroff = false;

	if (port >= PM_TMR_PORT) {
		if (!is_write)
			put_le(data, size, pm_timer() >> (8 * (port - PM_TMR_PORT)));
		return;
	}

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		for (uint32_t i = 0; i < size; i++)
			data[i] = pm_read_byte(pm, off + i);
		pthread_mutex_unlock(&pm->lock);
		return;
	}
	for (uint32_t i = 0; i < size; i++) {
		unsigned int o = off + i;
		uint16_t b = data[i];

		switch (o) {
		case 0:		/* status bits are write-1-to-clear */
		case 1:
			pm->sts &= (uint16_t)~(b << (8 * o));
			break;
		case 2:
		case 3:
			pm->en = (uint16_t)((pm->en & ~(0xff << (8 * (o - 2)))) |
					    (b << (8 * (o - 2))));
			break;
		case 4:
		case 5:
			pm->cnt = (uint16_t)((pm->cnt & ~(0xff << (8 * (o - 4)))) |
					     (b << (8 * (o - 4))));
			break;
		default:
			break;
		}
	}
	pm->cnt |= PM1_CNT_SCI_EN;
	if (pm->cnt & PM1_CNT_SLP_EN) {
		unsigned int typ = (pm->cnt & PM1_CNT_SLP_TYP_MASK) >>
				   PM1_CNT_SLP_TYP_SHIFT;

		pm->cnt &= (uint16_t)~PM1_CNT_SLP_EN;
		if (typ == PM_S5_TYP)
			poweroff = true;
		else
			hvlog_rl("guest asked for unsupported sleep type %u",
				 typ);
	}
	pthread_mutex_unlock(&pm->lock);
	if (poweroff)
		vm_stop(vm, EXIT_GUEST_OK, "guest powered off");
}

void reset_io(struct vm *vm, void *opaque, uint16_t port, bool is_write,
	      uint8_t *data, uint32_t size)
{
	(void)opaque;
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	if (port == KBD_CMD_PORT && data[0] == 0xfe)
		vm_stop(vm, EXIT_GUEST_RESET, "guest reset (keyboard controller)");
	else if (port == RESET_CF9_PORT && (data[0] & 0x04))
		vm_stop(vm, EXIT_GUEST_RESET, "guest reset (port 0xcf9)");
}

void pm_init(struct pm *pm)
{
	memset(pm, 0, sizeof(*pm));
	pthread_mutex_init(&pm->lock, NULL);
	pm->cnt = PM1_CNT_SCI_EN;
}
