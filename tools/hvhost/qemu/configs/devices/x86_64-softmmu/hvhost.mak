# hvhost: the devices a Hyper-V Gen1-like test host needs (pc/i440fx,
# serial console, isa-debug-exit, SCSI, VMBus and its devices); no
# graphics, audio or USB.
CONFIG_I440FX=y
CONFIG_ISA_DEBUG=y
CONFIG_VMBUS=y
CONFIG_HV_BALLOON=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SCSI=y
CONFIG_VIRTIO_NET=y
CONFIG_SCSI=y
CONFIG_HYPERV=y
CONFIG_HV_SYNIC_TEST=y
CONFIG_HV_IC=y
