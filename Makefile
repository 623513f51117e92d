# SPDX-License-Identifier: GPL-2.0
#
# hyperv-ic: out-of-tree build of the modules (the Kbuild file lists them),
# plus the developer entry points: make run, make check.

KDIR ?= /lib/modules/$(shell uname -r)/build
W ?= 1
INSTALL_MOD_DIR ?= updates
PWD := $(CURDIR)

.PHONY: all modules sparse install clean hvhost check run help

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) W=$(W) $(if $(HVIC_TESTS),HVIC_TESTS=1) modules

sparse:
	$(MAKE) -C $(KDIR) M=$(PWD) W=$(W) C=2 modules

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	kver=$$($(MAKE) -s --no-print-directory -C $(KDIR) kernelrelease 2>/dev/null); \
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $$kver

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

# hvhost: QEMU built from Debian's source with our overlay, cached in
# /var/cache/hyperv-ic/qemu (prints QEMU=... assignments).
hvhost:
	tools/hvhost/build-qemu.sh

# The whole test suite; ends with "N passed, N failed".
# Subsets: make check KERNELS="bare-6.1" SUITES="boot" CPUS=1 HOSTS=ws2025
check:
	scripts/check.sh

# Boot a guest on hvhost (QEMU) and leave you at its console.
run:
	scripts/run.sh

help:
	@echo "make [KDIR=...]      build the modules (W=1)"
	@echo "make sparse          build with sparse (C=2)"
	@echo "make install         install into /lib/modules/<kver>/updates and depmod"
	@echo "make hvhost          build hvhost (QEMU + tools/hvhost overlay), cached"
	@echo "make run             boot a guest on hvhost"
	@echo "make check           run the whole test suite"
