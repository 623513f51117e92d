/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost micro-guest as a bzImage (Documentation/arch/x86/boot.rst):
 * one setup sector pair holding the setup header, then the protected-mode
 * part: the flat guest binary (loaded at 1 MiB, entered at +0x200) and,
 * as the "compressed payload", the gzipped guest ELF followed by its size,
 * which hvhost's vmlinux boot path decompresses and loads instead.
 *
 * GUEST_BIN, GUEST_ELF_GZ and GUEST_ELF_SIZE come from the Makefile.
 */
#define SETUP_SECTS	1
#define LOAD_ADDR	0x100000
#define INIT_SIZE	0xc0000		/* covers .bss, see guest.ld */

	.section .image, "a"
	.code16
setup:
	.fill	0x1f1, 1, 0
hdr:
	.byte	SETUP_SECTS		/* 0x1f1 setup_sects */
	.word	0			/* 0x1f2 root_flags */
	.long	(pm_end - pm_start) / 16 /* 0x1f4 syssize */
	.word	0			/* 0x1f8 ram_size */
	.word	0xffff			/* 0x1fa vid_mode: normal */
	.word	0			/* 0x1fc root_dev */
	.word	0xaa55			/* 0x1fe boot_flag */
	.byte	0xeb, hdr_end - 0f	/* 0x200 jump over the header */
0:	.ascii	"HdrS"			/* 0x202 header */
	.word	0x020f			/* 0x206 version 2.15 */
	.long	0			/* 0x208 realmode_swtch */
	.word	0			/* 0x20c start_sys_seg */
	.word	0			/* 0x20e kernel_version */
	.byte	0			/* 0x210 type_of_loader */
	.byte	0x01			/* 0x211 loadflags: LOADED_HIGH */
	.word	0			/* 0x212 setup_move_size */
	.long	LOAD_ADDR		/* 0x214 code32_start */
	.long	0			/* 0x218 ramdisk_image */
	.long	0			/* 0x21c ramdisk_size */
	.long	0			/* 0x220 bootsect_kludge */
	.word	0			/* 0x224 heap_end_ptr */
	.byte	0			/* 0x226 ext_loader_ver */
	.byte	0			/* 0x227 ext_loader_type */
	.long	0			/* 0x228 cmd_line_ptr */
	.long	0x7fffffff		/* 0x22c initrd_addr_max */
	.long	0x200000		/* 0x230 kernel_alignment */
	.byte	0			/* 0x234 relocatable_kernel */
	.byte	0			/* 0x235 min_alignment */
	.word	0x0001			/* 0x236 xloadflags: XLF_KERNEL_64 */
	.long	2047			/* 0x238 cmdline_size */
	.long	0			/* 0x23c hardware_subarch */
	.quad	0			/* 0x240 hardware_subarch_data */
	.long	payload - pm_start	/* 0x248 payload_offset */
	.long	payload_end - payload	/* 0x24c payload_length */
	.quad	0			/* 0x250 setup_data */
	.quad	LOAD_ADDR		/* 0x258 pref_address */
	.long	INIT_SIZE		/* 0x260 init_size */
	.long	0			/* 0x264 handover_offset */
	.long	0			/* 0x268 kernel_info_offset */
hdr_end:
	.org	(SETUP_SECTS + 1) * 512, 0

pm_start:
	.incbin	GUEST_BIN
	.balign	16, 0
payload:
	.incbin	GUEST_ELF_GZ
	.long	GUEST_ELF_SIZE
payload_end:
	.balign	512, 0
pm_end:

	.section .note.GNU-stack, "", @progbits
