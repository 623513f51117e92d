// SPDX-License-Identifier: GPL-2.0
/*
 * sgio DEV: send one WRITE(10) of a 512-byte block at LBA 0 to the SCSI
 * disk DEV through the SG_IO ioctl of its block device (opened read-only:
 * root's CAP_SYS_RAWIO lets the command through, so it reaches the disk
 * even when the block layer would refuse a write).  Prints the SCSI and
 * host status and the sense key/ASC/ASCQ; exits 0 when the command got an
 * answer (whatever it was), 1 when the ioctl itself failed.
 */
#include <fcntl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned char cdb[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	unsigned char data[512], sense[32];
	struct sg_io_hdr io;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: sgio DEV\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	memset(data, 0, sizeof(data));
	memset(sense, 0, sizeof(sense));
	memset(&io, 0, sizeof(io));
	io.interface_id = 'S';
	io.dxfer_direction = SG_DXFER_TO_DEV;
	io.cmd_len = sizeof(cdb);
	io.cmdp = cdb;
	io.dxfer_len = sizeof(data);
	io.dxferp = data;
	io.mx_sb_len = sizeof(sense);
	io.sbp = sense;
	io.timeout = 60000;
	if (ioctl(fd, SG_IO, &io) < 0) {
		perror("SG_IO");
		return 1;
	}
	printf("status 0x%02x host 0x%x driver 0x%x sense key 0x%x asc 0x%02x ascq 0x%02x\n",
	       io.status, io.host_status, io.driver_status,
	       io.sb_len_wr > 2 ? sense[2] & 0xf : 0,
	       io.sb_len_wr > 12 ? sense[12] : 0,
	       io.sb_len_wr > 13 ? sense[13] : 0);
	close(fd);
	return 0;
}
