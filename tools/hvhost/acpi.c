// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: ACPI tables in the BIOS area (0xE0000-0xFFFFF).
 *
 *   RSDP -> RSDT/XSDT -> FADT (-> FACS, DSDT), MADT
 *
 * The DSDT is a few objects of hand-assembled AML:
 *
 *   Name (\_S5, Package () { 5, 5, 0, 0 })
 *   Scope (\_SB) {
 *     Device (VMBS) {
 *       Name (_HID, "VMBus")
 *       Name (_UID, 0)
 *       Method (_STA) { Return (0x0F) }
 *       Name (_CRS, ResourceTemplate () { IRQNoFlags () { 7 } })
 *     }
 *   }
 *
 * The VMBus interrupt uses the short ISA IRQ descriptor, as Hyper-V Gen1
 * does: upstream vmbus_drv.c treats an Extended Interrupt descriptor as the
 * ARM64 per-CPU interrupt, which is wrong on x86.
 */
#include <string.h>

#include "vm.h"

#define ACPI_OEM_ID		"HVHOST"
#define ACPI_OEM_TABLE_ID	"HVHOSTVM"
#define ACPI_CREATOR_ID		"HVHO"

/* Placement inside the BIOS area */
#define RSDP_ADDR		(BIOS_AREA_ADDR + 0x000)
#define RSDT_ADDR		(BIOS_AREA_ADDR + 0x040)
#define XSDT_ADDR		(BIOS_AREA_ADDR + 0x080)
#define FACS_ADDR		(BIOS_AREA_ADDR + 0x100)	/* 64-byte aligned */
#define FADT_ADDR		(BIOS_AREA_ADDR + 0x200)
#define MADT_ADDR		(BIOS_AREA_ADDR + 0x400)
#define DSDT_ADDR		(BIOS_AREA_ADDR + 0x1000)
#define ACPI_END		BIOS_AREA_END

#define HDR_LEN			36
#define FADT_LEN		276	/* revision 6 */
#define FACS_LEN		64

/* FADT fields (byte offsets) */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_SMI_CMD		48
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_CENTURY		108
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_MINOR_VERSION	131
#define FADT_X_DSDT		140
#define FADT_HV_VENDOR_ID	268

#define FADT_F_WBINVD		(1U << 0)
#define FADT_F_PROC_C1		(1U << 2)
#define FADT_F_PWR_BUTTON	(1U << 4)	/* no fixed power button */
#define FADT_F_SLP_BUTTON	(1U << 5)	/* no fixed sleep button */
#define FADT_F_TMR_VAL_EXT	(1U << 8)
#define FADT_F_RESET_REG_SUP	(1U << 10)

#define BOOT_ARCH_LEGACY_DEVICES	(1U << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT	(1U << 2)

#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

#define RTC_CENTURY_REG		0x32
#define RESET_VALUE		0x06

/* MADT */
#define MADT_PCAT_COMPAT	1
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_ISO		2
#define MADT_LAPIC_NMI		4
#define MPS_INTI_ACTIVE_HIGH	0x1
#define MPS_INTI_LEVEL		0xc

/* AML opcodes */
#define AML_ZERO		0x00
#define AML_NAME		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_STRING_PREFIX	0x0d
#define AML_SCOPE		0x10
#define AML_BUFFER		0x11
#define AML_PACKAGE		0x12
#define AML_METHOD		0x14
#define AML_ROOT_CHAR		0x5c
#define AML_EXT_PREFIX		0x5b
#define AML_DEVICE		0x82
#define AML_RETURN		0xa4

/* Small resource descriptors */
#define RES_IRQ_NOFLAGS		0x22	/* type 4, length 2 */
#define RES_END_TAG		0x79	/* type 15, length 1 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0 - sum);
}

static void table_header(uint8_t *t, const char *sig, uint32_t len,
			 uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	t[9] = 0;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t + 24, 1);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, 1);
}

static void table_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* ---- a tiny AML assembler ---------------------------------------- */

struct aml {
	uint8_t buf[1024];
	size_t len;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->len + n > sizeof(a->buf)) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* PkgLength covering itself plus @body bytes (up to 3 length bytes) */
static void aml_pkglen(struct aml *a, size_t body)
{
	size_t total;

	if (body + 1 < 0x40) {
		aml_byte(a, (uint8_t)(body + 1));
		return;
	}
	total = body + 2;
	if (total < 0x1000) {
		aml_byte(a, (uint8_t)(0x40 | (total & 0xf)));
		aml_byte(a, (uint8_t)(total >> 4));
		return;
	}
	total = body + 3;
	aml_byte(a, (uint8_t)(0x80 | (total & 0xf)));
	aml_byte(a, (uint8_t)(total >> 4));
	aml_byte(a, (uint8_t)(total >> 12));
}

/* @op (1 or 2 bytes), PkgLength, then the body built in @inner */
static void aml_wrap(struct aml *a, const uint8_t *op, size_t oplen,
		     const struct aml *inner)
{
	if (inner->overflow)
		a->overflow = true;
	aml_bytes(a, op, oplen);
	aml_pkglen(a, inner->len);
	aml_bytes(a, inner->buf, inner->len);
}

static void aml_name_integer(struct aml *a, const char *name, uint8_t v)
{
	aml_byte(a, AML_NAME);
	aml_bytes(a, name, 4);
	if (v <= 1) {
		aml_byte(a, v);		/* ZeroOp / OneOp */
	} else {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, v);
	}
}

static void aml_name_string(struct aml *a, const char *name, const char *s)
{
	aml_byte(a, AML_NAME);
	aml_bytes(a, name, 4);
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static size_t build_dsdt_aml(uint8_t *out, size_t max)
{
	static const uint8_t op_device[] = { AML_EXT_PREFIX, AML_DEVICE };
	static const uint8_t op_scope[] = { AML_SCOPE };
	static const uint8_t op_package[] = { AML_PACKAGE };
	static const uint8_t op_method[] = { AML_METHOD };
	static const uint8_t op_buffer[] = { AML_BUFFER };
	static struct aml top, sb, dev, tmp, tmp2;
	const uint16_t irq_mask = 1U << VMBUS_IRQ;

	memset(&top, 0, sizeof(top));
	memset(&sb, 0, sizeof(sb));
	memset(&dev, 0, sizeof(dev));

	/* Name (\_S5, Package () { 5, 5, 0, 0 }) */
	memset(&tmp, 0, sizeof(tmp));
	aml_byte(&tmp, 4);				/* NumElements */
	aml_byte(&tmp, AML_BYTE_PREFIX);
	aml_byte(&tmp, PM_S5_TYP);			/* PM1a SLP_TYP */
	aml_byte(&tmp, AML_BYTE_PREFIX);
	aml_byte(&tmp, PM_S5_TYP);			/* PM1b SLP_TYP */
	aml_byte(&tmp, AML_ZERO);
	aml_byte(&tmp, AML_ZERO);
	aml_byte(&top, AML_NAME);
	aml_bytes(&top, "\\_S5_", 5);
	aml_wrap(&top, op_package, 1, &tmp);

	/* Device (VMBS) */
	aml_name_string(&dev, "_HID", "VMBus");
	aml_name_integer(&dev, "_UID", 0);

	memset(&tmp, 0, sizeof(tmp));			/* Method (_STA) */
	aml_bytes(&tmp, "_STA", 4);
	aml_byte(&tmp, 0);				/* 0 args, not serialized */
	aml_byte(&tmp, AML_RETURN);
	aml_byte(&tmp, AML_BYTE_PREFIX);
	aml_byte(&tmp, 0x0f);
	aml_wrap(&dev, op_method, 1, &tmp);

	memset(&tmp2, 0, sizeof(tmp2));			/* ResourceTemplate */
	aml_byte(&tmp2, RES_IRQ_NOFLAGS);
	aml_byte(&tmp2, (uint8_t)irq_mask);
	aml_byte(&tmp2, (uint8_t)(irq_mask >> 8));
	aml_byte(&tmp2, RES_END_TAG);
	aml_byte(&tmp2, 0);				/* checksum: none */
	memset(&tmp, 0, sizeof(tmp));
	aml_byte(&tmp, AML_BYTE_PREFIX);		/* BufferSize */
	aml_byte(&tmp, (uint8_t)tmp2.len);
	aml_bytes(&tmp, tmp2.buf, tmp2.len);
	aml_byte(&dev, AML_NAME);
	aml_bytes(&dev, "_CRS", 4);
	aml_wrap(&dev, op_buffer, 1, &tmp);

	memset(&tmp, 0, sizeof(tmp));
	aml_bytes(&tmp, "VMBS", 4);
	aml_bytes(&tmp, dev.buf, dev.len);
	tmp.overflow = dev.overflow;
	aml_wrap(&sb, op_device, 2, &tmp);

	/* Scope (\_SB) */
	memset(&tmp, 0, sizeof(tmp));
	aml_bytes(&tmp, "\\_SB_", 5);
	aml_bytes(&tmp, sb.buf, sb.len);
	tmp.overflow = sb.overflow;
	aml_wrap(&top, op_scope, 1, &tmp);

	if (top.overflow || top.len > max)
		return 0;
	memcpy(out, top.buf, top.len);
	return top.len;
}

/* ---- tables ------------------------------------------------------- */

static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, port);
}

static uint32_t build_madt(struct vm *vm, uint8_t *t, size_t max)
{
	uint32_t off = HDR_LEN + 8;
	uint8_t *e;

	if (HDR_LEN + 8 + vm->nr_vcpus * 8 + 12 + 2 * 10 + 6 > max)
		return 0;
	put32(t + HDR_LEN, (uint32_t)LAPIC_ADDR);
	put32(t + HDR_LEN + 4, MADT_PCAT_COMPAT);

	for (uint32_t i = 0; i < vm->nr_vcpus; i++) {
		e = t + off;
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)i;		/* ACPI processor UID */
		e[3] = (uint8_t)i;		/* APIC id */
		put32(e + 4, 1);		/* enabled */
		off += 8;
	}

	e = t + off;
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = 0;				/* I/O APIC id */
	e[3] = 0;
	put32(e + 4, (uint32_t)IOAPIC_ADDR);
	put32(e + 8, 0);			/* GSI base */
	off += 12;

	/* ISA IRQ0 (PIT) is wired to GSI 2 */
	e = t + off;
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0;				/* ISA bus */
	e[3] = 0;
	put32(e + 4, 2);
	put16(e + 8, 0);			/* conforms to the bus */
	off += 10;

	/* SCI: level triggered, active high */
	e = t + off;
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0;
	e[3] = PM_SCI_IRQ;
	put32(e + 4, PM_SCI_IRQ);
	put16(e + 8, MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);
	off += 10;

	/* LINT1 of every processor is NMI */
	e = t + off;
	e[0] = MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff;
	put16(e + 3, 0);
	e[5] = 1;
	off += 6;

	table_header(t, "APIC", off, 4);
	table_finish(t, off);
	return off;
}

static void build_fadt(uint8_t *t)
{
	table_header(t, "FACP", FADT_LEN, 6);
	put32(t + FADT_FIRMWARE_CTRL, (uint32_t)FACS_ADDR);
	put32(t + FADT_DSDT, (uint32_t)DSDT_ADDR);
	put16(t + FADT_SCI_INT, PM_SCI_IRQ);
	put32(t + FADT_SMI_CMD, 0);		/* no SMI: always ACPI mode */
	put32(t + FADT_PM1A_EVT_BLK, PM1A_EVT_PORT);
	put32(t + FADT_PM1A_CNT_BLK, PM1A_CNT_PORT);
	put32(t + FADT_PM_TMR_BLK, PM_TMR_PORT);
	t[FADT_PM1_EVT_LEN] = 4;
	t[FADT_PM1_CNT_LEN] = 2;
	t[FADT_PM_TMR_LEN] = 4;
	t[FADT_CENTURY] = RTC_CENTURY_REG;
	put16(t + FADT_IAPC_BOOT_ARCH,
	      BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT);
	put32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 |
	      FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON | FADT_F_TMR_VAL_EXT |
	      FADT_F_RESET_REG_SUP);
	gas_io(t + FADT_RESET_REG, 8, GAS_ACCESS_BYTE, RESET_CF9_PORT);
	t[FADT_RESET_VALUE] = RESET_VALUE;
	t[FADT_MINOR_VERSION] = 0;
	put64(t + FADT_X_DSDT, DSDT_ADDR);
	memcpy(t + FADT_HV_VENDOR_ID, "HVHOST\0\0", 8);
	table_finish(t, FADT_LEN);
}

int acpi_build(struct vm *vm, uint64_t *rsdp_out)
{
	uint8_t *area = vm_gpa(vm, BIOS_AREA_ADDR, BIOS_AREA_END - BIOS_AREA_ADDR);
	uint8_t *rsdp, *rsdt, *xsdt, *facs, *fadt, *madt, *dsdt;
	const uint32_t tables[] = { FADT_ADDR, MADT_ADDR };
	const uint32_t n = sizeof(tables) / sizeof(tables[0]);
	uint32_t madt_len;
	size_t aml_len;

	if (!area)
		return -1;
	memset(area, 0, BIOS_AREA_END - BIOS_AREA_ADDR);
	rsdp = area + (RSDP_ADDR - BIOS_AREA_ADDR);
	rsdt = area + (RSDT_ADDR - BIOS_AREA_ADDR);
	xsdt = area + (XSDT_ADDR - BIOS_AREA_ADDR);
	facs = area + (FACS_ADDR - BIOS_AREA_ADDR);
	fadt = area + (FADT_ADDR - BIOS_AREA_ADDR);
	madt = area + (MADT_ADDR - BIOS_AREA_ADDR);
	dsdt = area + (DSDT_ADDR - BIOS_AREA_ADDR);

	/* DSDT */
	aml_len = build_dsdt_aml(dsdt + HDR_LEN, ACPI_END - DSDT_ADDR - HDR_LEN);
	if (!aml_len) {
		hvlog("DSDT does not fit");
		return -1;
	}
	table_header(dsdt, "DSDT", (uint32_t)(HDR_LEN + aml_len), 2);
	table_finish(dsdt, (uint32_t)(HDR_LEN + aml_len));

	/* FACS (no checksum) */
	memcpy(facs, "FACS", 4);
	put32(facs + 4, FACS_LEN);
	facs[32] = 2;				/* version */

	build_fadt(fadt);

	madt_len = build_madt(vm, madt, DSDT_ADDR - MADT_ADDR);
	if (!madt_len) {
		hvlog("MADT does not fit");
		return -1;
	}

	/* RSDT and XSDT */
	table_header(rsdt, "RSDT", HDR_LEN + 4 * n, 1);
	table_header(xsdt, "XSDT", HDR_LEN + 8 * n, 1);
	for (uint32_t i = 0; i < n; i++) {
		put32(rsdt + HDR_LEN + 4 * i, tables[i]);
		put64(xsdt + HDR_LEN + 8 * i, tables[i]);
	}
	table_finish(rsdt, HDR_LEN + 4 * n);
	table_finish(xsdt, HDR_LEN + 8 * n);

	/* RSDP, ACPI 2.0 */
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	rsdp[15] = 2;
	put32(rsdp + 16, (uint32_t)RSDT_ADDR);
	put32(rsdp + 20, 36);
	put64(rsdp + 24, XSDT_ADDR);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);

	*rsdp_out = RSDP_ADDR;
	return 0;
}
