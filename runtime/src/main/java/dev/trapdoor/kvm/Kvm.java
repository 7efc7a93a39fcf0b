package dev.trapdoor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The KVM subsystem: an open /dev/kvm. Creates VMs and answers capability questions. The fd is
 * closed by {@link #close}; VMs created from it keep their own fds and outlive it.
 */
public final class Kvm implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";

    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture = Libc.newCapture(arena);
    private final int fd;
    private boolean closed;

    private Kvm(int fd) {
        this.fd = fd;
    }

    /** Opens /dev/kvm; throws KvmException naming open and errno when that fails. */
    public static Kvm open() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = Libc.newCapture(a);
            int fd = Libc.open(cap, DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC);
            if (fd < 0) throw new KvmException("open(" + DEVICE + ")", Libc.errno(cap));
            return new Kvm(fd);
        }
    }

    public int apiVersion() {
        return ioctl("KVM_GET_API_VERSION", KvmAbi.KVM_GET_API_VERSION, 0);
    }

    /** KVM_CHECK_EXTENSION on the system fd: 0 when absent, else a capability-specific positive value. */
    public int checkExtension(int cap) {
        return Math.max(0, Libc.ioctl(capture, fd, KvmAbi.KVM_CHECK_EXTENSION, cap));
    }

    public int vcpuMmapSize() {
        return ioctl("KVM_GET_VCPU_MMAP_SIZE", KvmAbi.KVM_GET_VCPU_MMAP_SIZE, 0);
    }

    /** KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can give a guest on this host. */
    public dev.trapdoor.arch.CpuidTable supportedCpuid() {
        try (Arena a = Arena.ofConfined()) {
            int max = 256;
            long entry = KvmAbi.KVM_CPUID_ENTRY2.byteSize();
            MemorySegment buf = a.allocate(KvmAbi.KVM_CPUID2.byteSize() + max * entry, 8);
            buf.set(ValueLayout.JAVA_INT, 0, max);
            ioctl("KVM_GET_SUPPORTED_CPUID", KvmAbi.KVM_GET_SUPPORTED_CPUID, buf.address());
            int n = buf.get(ValueLayout.JAVA_INT, 0);
            dev.trapdoor.arch.CpuidTable t = new dev.trapdoor.arch.CpuidTable();
            for (int i = 0; i < n; i++) {
                MemorySegment e = buf.asSlice(KvmAbi.KVM_CPUID2.byteSize() + i * entry, entry);
                t.set(e.get(ValueLayout.JAVA_INT, 0), e.get(ValueLayout.JAVA_INT, 4), new dev.trapdoor.arch.CpuidTable.Leaf(
                        e.get(ValueLayout.JAVA_INT, 12), e.get(ValueLayout.JAVA_INT, 16), e.get(ValueLayout.JAVA_INT, 20), e.get(ValueLayout.JAVA_INT, 24)));
            }
            return t;
        }
    }

    public KvmVm createVm() {
        int vmFd = ioctl("KVM_CREATE_VM", KvmAbi.KVM_CREATE_VM, 0);
        return new KvmVm(vmFd, vcpuMmapSize());
    }

    private int ioctl(String name, long request, long arg) {
        return KvmException.check(name, Libc.ioctl(capture, fd, request, arg), capture);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Libc.close(fd);
        arena.close();
    }
}
