// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost: direct bzImage boot through the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst).
 *
 * The protected-mode kernel is loaded at 1 MiB, boot_params ("zero page")
 * is filled from the image's setup header plus our e820 map, command line
 * and initrd, and the BSP enters startup_64 (load address + 0x200) in long
 * mode with identity-mapped page tables and a flat GDT, RSI = boot_params.
 */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

#define SETUP_HDR_OFFSET	0x1f1
#define SETUP_MAGIC		0x53726448	/* "HdrS" */
#define MIN_BOOT_PROTOCOL	0x020c		/* xloadflags, 64-bit entry */
#define STARTUP_64_OFFSET	0x200
#define LOADER_TYPE_UNKNOWN	0xff

#define E820_RAM		1
#define E820_RESERVED		2

#define BOOT_CS			0x10
#define BOOT_DS			0x18

#define CR0_PE			(1ULL << 0)
#define CR0_MP			(1ULL << 1)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hvlog("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		hvlog("%s is not a regular file", path);
		close(fd);
		return -1;
	}
	p = malloc((size_t)st.st_size + 1);
	if (!p) {
		close(fd);
		return -1;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hvlog("cannot read %s: %s", path,
			      n ? strerror(errno) : "short read");
			free(p);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;
}

/*
 * Host-side decompression of the bzImage payload (the compressed, stripped
 * vmlinux ELF) by the matching command-line tool.  The kernel's own
 * decompressor would do the same work inside the guest, where kernel-mode
 * code may run far slower than on the host (instruction emulation on
 * hosts without hardware nested virtualization).
 */
struct codec {
	const char *name;
	const uint8_t magic[6];
	size_t magic_len;
	const char *const argv[4];
};

static const struct codec codecs[] = {
	{ "gzip", { 0x1f, 0x8b }, 2, { "gzip", "-dc", NULL } },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6,
	  { "xz", "-dc", "--single-stream", NULL } },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, { "zstd", "-dcq", NULL } },
	{ "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4, { "lz4", "-dcq", NULL } },
	{ "bzip2", { 'B', 'Z', 'h' }, 3, { "bzip2", "-dc", NULL } },
	{ "lzma", { 0x5d, 0x00, 0x00 }, 3, { "xz", "-dc", "--format=lzma", NULL } },
};

#define VMLINUX_MAX	(512ULL << 20)

static int host_decompress(const struct codec *c, const uint8_t *in,
			   size_t in_len, uint8_t **out, size_t *out_len)
{
	size_t cap = 64ULL << 20, len = 0;
	int mfd, pfd[2], status;
	uint8_t *buf = NULL;
	pid_t pid;

	mfd = memfd_create("hvhost-payload", MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	for (size_t done = 0; done < in_len;) {
		ssize_t n = write(mfd, in + done, in_len - done);

		if (n <= 0) {
			close(mfd);
			return -1;
		}
		done += (size_t)n;
	}
	if (lseek(mfd, 0, SEEK_SET) < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		close(mfd);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(mfd);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(mfd, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		execvp(c->argv[0], (char *const *)c->argv);
		_exit(127);
	}
	close(mfd);
	close(pfd[1]);
	buf = malloc(cap);
	while (buf) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb = NULL;

			if (cap < VMLINUX_MAX)
				nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(pfd[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !len) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			hvlog("cannot run %s to decompress the kernel", c->argv[0]);
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* Load the PT_LOAD segments of an x86-64 vmlinux at their physical
 * addresses. Returns the physical entry point, or 0. */
static uint64_t load_vmlinux_elf(struct vm *vm, const uint8_t *elf, size_t len,
				 uint64_t *end)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	uint64_t entry = 0, hi = 0;
	bool entry_ok = false;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len ||
	    (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum) {
		hvlog("kernel payload is not an x86-64 vmlinux ELF");
		return 0;
	}
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff) + i;
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
		    len - ph->p_offset < ph->p_filesz ||
		    ph->p_paddr < KERNEL_LOAD_ADDR) {
			hvlog("vmlinux: bad program header %u", i);
			return 0;
		}
		dst = vm_gpa(vm, ph->p_paddr, ph->p_memsz);
		if (!dst) {
			hvlog("vmlinux: segment at %#llx (+%#llx) is outside RAM",
			      (unsigned long long)ph->p_paddr,
			      (unsigned long long)ph->p_memsz);
			return 0;
		}
		memcpy(dst, elf + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		if (ph->p_paddr + ph->p_memsz > hi)
			hi = ph->p_paddr + ph->p_memsz;
		if (eh->e_entry >= ph->p_paddr &&
		    eh->e_entry - ph->p_paddr < ph->p_filesz &&
		    (ph->p_flags & PF_X))
			entry_ok = true;
	}
	if (!entry_ok) {
		hvlog("vmlinux: entry point %#llx is not in a loaded segment",
		      (unsigned long long)eh->e_entry);
		return 0;
	}
	entry = eh->e_entry;
	*end = hi;
	return entry;
}

/* Returns the entry point, 0 if the payload cannot be used this way. */
static uint64_t load_payload_direct(struct vm *vm, const uint8_t *img,
				    size_t img_len, size_t setup_len,
				    const struct setup_header *hdr,
				    uint64_t *kernel_end)
{
	const uint8_t *p;
	const struct codec *c = NULL;
	uint8_t *elf;
	size_t elf_len, stream_len;
	uint64_t entry;

	if (hdr->version < 0x0208 || !hdr->payload_length ||
	    hdr->payload_offset > img_len - setup_len ||
	    img_len - setup_len - hdr->payload_offset < hdr->payload_length)
		return 0;
	p = img + setup_len + hdr->payload_offset;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (hdr->payload_length > codecs[i].magic_len &&
		    !memcmp(p, codecs[i].magic, codecs[i].magic_len)) {
			c = &codecs[i];
			break;
		}
	}
	if (!c) {
		hvlog("kernel payload compression not recognised");
		return 0;
	}
	/*
	 * Kbuild appends the decompressed size (4 bytes) to every payload but
	 * gzip's, whose stream already ends with it (ISIZE); an image built
	 * otherwise may still carry it, so gzip tries both.
	 */
	stream_len = hdr->payload_length - 4;
	if (strcmp(c->name, "gzip") == 0 &&
	    host_decompress(c, p, hdr->payload_length, &elf, &elf_len) == 0)
		stream_len = 0;
	if (stream_len &&
	    host_decompress(c, p, stream_len, &elf, &elf_len) < 0) {
		hvlog("host-side %s decompression of the kernel failed", c->name);
		return 0;
	}
	entry = load_vmlinux_elf(vm, elf, elf_len, kernel_end);
	free(elf);
	return entry;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	struct boot_e820_entry *e;

	if (!size || bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	e = &bp->e820_table[bp->e820_entries++];
	e->addr = addr;
	e->size = size;
	e->type = type;
}

static int load_initrd(struct vm *vm, struct boot_params *bp,
		       const char *initrd, uint64_t kernel_end)
{
	uint64_t max = bp->hdr.initrd_addr_max;
	uint64_t top, addr;
	uint8_t *data;
	size_t len;

	if (read_file(initrd, &data, &len) < 0)
		return -1;
	if (!max)
		max = 0x37ffffff;	/* protocol < 2.03 default */
	top = vm->low_size;
	if (top > max + 1)
		top = max + 1;
	if (len > top || ((top - len) & ~0xfffULL) < kernel_end) {
		hvlog("initrd %s (%zu bytes) does not fit below %#llx", initrd,
		      len, (unsigned long long)top);
		free(data);
		return -1;
	}
	addr = (top - len) & ~0xfffULL;
	memcpy(vm_gpa(vm, addr, len), data, len);
	free(data);
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->hdr.ramdisk_size = (uint32_t)len;
	return 0;
}

int boot_load(struct vm *vm, const char *kernel, const char *initrd,
	      const char *cmdline, uint64_t *entry)
{
	struct boot_params *bp;
	struct setup_header *hdr;
	uint8_t *img, *dst;
	size_t img_len, hdr_end, setup_len, pm_len;
	uint64_t kernel_end = 0, rsdp;
	uint16_t *bda;
	size_t cl_len = strlen(cmdline);

	*entry = 0;
	if (read_file(kernel, &img, &img_len) < 0)
		return -1;
	if (img_len < 0x1000) {
		hvlog("%s: too small for a bzImage", kernel);
		goto bad;
	}
	hdr = (struct setup_header *)(img + SETUP_HDR_OFFSET);
	if (hdr->header != SETUP_MAGIC || hdr->boot_flag != 0xaa55) {
		hvlog("%s: not a bzImage (no HdrS setup header)", kernel);
		goto bad;
	}
	if (hdr->version < MIN_BOOT_PROTOCOL ||
	    !(hdr->xloadflags & XLF_KERNEL_64)) {
		hvlog("%s: boot protocol %#x lacks the 64-bit entry point",
		      kernel, hdr->version);
		goto bad;
	}
	setup_len = ((size_t)(hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	if (setup_len >= img_len) {
		hvlog("%s: truncated image", kernel);
		goto bad;
	}
	if (cl_len >= hdr->cmdline_size || cl_len >= CMDLINE_MAX) {
		hvlog("command line too long (%zu, kernel maximum %u)", cl_len,
		      hdr->cmdline_size);
		goto bad;
	}

	pm_len = img_len - setup_len;
	if (vm->opt->boot_mode == BOOT_VMLINUX ||
	    (vm->opt->boot_mode == BOOT_AUTO && vm->kvm_pvm)) {
		*entry = load_payload_direct(vm, img, img_len, setup_len, hdr,
					     &kernel_end);
		if (!*entry && vm->opt->boot_mode == BOOT_VMLINUX)
			goto bad;
		if (!*entry)
			hvlog("falling back to the kernel's own decompressor");
	}
	if (!*entry) {
		kernel_end = KERNEL_LOAD_ADDR + pm_len;
		if (hdr->init_size > pm_len)
			kernel_end = KERNEL_LOAD_ADDR + hdr->init_size;
		/* it may also decompress at its preferred address */
		if (hdr->pref_address + hdr->init_size > kernel_end)
			kernel_end = hdr->pref_address + hdr->init_size;
		if (kernel_end > vm->low_size) {
			hvlog("%s: needs %llu MiB of RAM at least", kernel,
			      (unsigned long long)(kernel_end >> 20) + 1);
			goto bad;
		}
		dst = vm_gpa(vm, KERNEL_LOAD_ADDR, pm_len);
		memcpy(dst, img + setup_len, pm_len);
		*entry = KERNEL_LOAD_ADDR + STARTUP_64_OFFSET;
	}

	bp = vm_gpa(vm, BOOT_PARAMS_ADDR, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	/* the setup header ends at 0x202 + the jump's displacement byte */
	hdr_end = 0x202 + img[0x201];
	if (hdr_end > sizeof(*bp) || hdr_end < 0x202)
		hdr_end = SETUP_HDR_OFFSET + sizeof(struct setup_header);
	memcpy((uint8_t *)bp + SETUP_HDR_OFFSET, img + SETUP_HDR_OFFSET,
	       hdr_end - SETUP_HDR_OFFSET);
	free(img);
	img = NULL;

	bp->hdr.vid_mode = 0xffff;
	bp->hdr.type_of_loader = LOADER_TYPE_UNKNOWN;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.code32_start = (uint32_t)KERNEL_LOAD_ADDR;
	bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;
	memcpy(vm_gpa(vm, CMDLINE_ADDR, cl_len + 1), cmdline, cl_len + 1);

	if (initrd && load_initrd(vm, bp, initrd, kernel_end) < 0)
		return -1;

	if (acpi_build(vm, &rsdp) < 0)
		return -1;
	if (bp->hdr.version >= 0x020e)
		bp->acpi_rsdp_addr = rsdp;

	/* BIOS data area: EBDA segment and base memory size in KiB */
	bda = vm_gpa(vm, 0x40e, 2);
	*bda = (uint16_t)(EBDA_ADDR >> 4);
	bda = vm_gpa(vm, 0x413, 2);
	*bda = (uint16_t)(EBDA_ADDR >> 10);

	e820_add(bp, 0, EBDA_ADDR, E820_RAM);
	e820_add(bp, EBDA_ADDR, 0xa0000 - EBDA_ADDR, E820_RESERVED);
	e820_add(bp, BIOS_AREA_ADDR, BIOS_AREA_END - BIOS_AREA_ADDR,
		 E820_RESERVED);
	e820_add(bp, KERNEL_LOAD_ADDR, vm->low_size - KERNEL_LOAD_ADDR,
		 E820_RAM);
	e820_add(bp, HIGH_RAM_START, vm->high_size, E820_RAM);

	return 0;
bad:
	free(img);
	return -1;
}

static void setup_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_gpa(vm, PML4_ADDR, 4096);
	uint64_t *pdpt = vm_gpa(vm, PDPT_ADDR, 4096);
	uint64_t *pd = vm_gpa(vm, PD_ADDR, 4 * 4096);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 0xb : 0x3;	/* execute/read accessed; r/w accessed */
	s->present = 1;
	s->dpl = 0;
	s->db = code ? 0 : 1;
	s->s = 1;
	s->l = code ? 1 : 0;
	s->g = 1;
}

int boot_setup_bsp(struct vm *vm, struct vcpu *bsp, uint64_t entry)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL,	/* 0x10: 64-bit code */
		0x00cf93000000ffffULL,	/* 0x18: data */
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memcpy(vm_gpa(vm, GDT_ADDR, sizeof(gdt)), gdt, sizeof(gdt));
	setup_page_tables(vm);

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0) {
		hvlog("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = sizeof(gdt) - 1;
	seg_flat(&sregs.cs, BOOT_CS, true);
	seg_flat(&sregs.ds, BOOT_DS, false);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	sregs.cr3 = PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0) {
		hvlog("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsi = BOOT_PARAMS_ADDR;
	regs.rsp = BOOT_STACK_TOP;
	regs.rflags = 0x2;
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0) {
		hvlog("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
