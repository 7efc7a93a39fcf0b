package dev.trapdoor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One KVM virtual machine (a VM fd): memory slots, x86 VM setup, vCPU creation. */
public final class KvmVm implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture = Libc.newCapture(arena);
    private final MemorySegment region = arena.allocate(KvmAbi.KVM_USERSPACE_MEMORY_REGION);
    private final MemorySegment u64 = arena.allocate(ValueLayout.JAVA_LONG);
    private final int fd;
    private final int vcpuMmapSize;
    private boolean closed;

    KvmVm(int fd, int vcpuMmapSize) {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    /** KVM_CHECK_EXTENSION on the VM fd (answers for this VM's type): 0 when absent. */
    public int checkExtension(int cap) {
        return Math.max(0, Libc.ioctl(capture, fd, KvmAbi.KVM_CHECK_EXTENSION, cap));
    }

    /**
     * Maps [gpa, gpa+host.byteSize()) onto host memory, no copy: the guest and the host segment
     * share the pages. A size of 0 deletes the slot.
     */
    public synchronized void setUserMemoryRegion(int slot, int flags, long gpa, MemorySegment host) {
        region.set(ValueLayout.JAVA_INT, KvmAbi.MEMREG_SLOT, slot);
        region.set(ValueLayout.JAVA_INT, KvmAbi.MEMREG_FLAGS, flags);
        region.set(ValueLayout.JAVA_LONG, KvmAbi.MEMREG_GPA, gpa);
        region.set(ValueLayout.JAVA_LONG, KvmAbi.MEMREG_SIZE, host.byteSize());
        region.set(ValueLayout.JAVA_LONG, KvmAbi.MEMREG_UADDR, host.address());
        check("KVM_SET_USER_MEMORY_REGION(slot " + slot + String.format(", gpa %#x, size %#x)", gpa, host.byteSize()),
                Libc.ioctl(capture, fd, KvmAbi.KVM_SET_USER_MEMORY_REGION, region));
    }

    /** Three pages of guest-physical space VMX needs for real mode without unrestricted guest. */
    public synchronized void setTssAddr(long gpa) {
        check("KVM_SET_TSS_ADDR", Libc.ioctl(capture, fd, KvmAbi.KVM_SET_TSS_ADDR, gpa));
    }

    /** One page for the identity page table VMX uses for real mode with EPT but without unrestricted guest. */
    public synchronized void setIdentityMapAddr(long gpa) {
        u64.set(ValueLayout.JAVA_LONG, 0, gpa);
        check("KVM_SET_IDENTITY_MAP_ADDR", Libc.ioctl(capture, fd, KvmAbi.KVM_SET_IDENTITY_MAP_ADDR, u64));
    }

    public synchronized KvmVcpu createVcpu(int id) {
        int vcpuFd = Libc.ioctl(capture, fd, KvmAbi.KVM_CREATE_VCPU, id);
        check("KVM_CREATE_VCPU(" + id + ")", vcpuFd);
        try {
            return new KvmVcpu(vcpuFd, vcpuMmapSize);
        } catch (RuntimeException e) {
            Libc.close(vcpuFd);
            throw e;
        }
    }

    private void check(String call, int result) {
        KvmException.check(call, result, capture);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Libc.close(fd);
        arena.close();
    }
}
