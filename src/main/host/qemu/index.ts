/**
 * The stock QEMU/KVM host driver (docs/qemu-driver.md): {@link createQemuSource} builds a
 * HostSource of kind 'qemu' from QMP sockets, /proc and /sys.
 */
export { createQemuSource, QemuHostSource, type QemuClock, type QemuSourceOptions, type QemuGroup, type QemuDriverEvent, type QemuChange } from './qemu-source.ts';
