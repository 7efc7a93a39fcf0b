package dev.trapdoor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.trapdoor.kvm.KvmAbi.*;

/**
 * One KVM vCPU (a vCPU fd) and its mmapped kvm_run page. {@link #run} is meant for one thread;
 * the register calls may come from any thread (KVM serialises vCPU ioctls). The struct buffers
 * are owned here and reused, so nothing on the run path allocates.
 */
public final class KvmVcpu implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment runCapture = Libc.newCapture(arena);
    private final MemorySegment capture = Libc.newCapture(arena);
    private final MemorySegment regs = arena.allocate(KVM_REGS);
    private final MemorySegment sregs = arena.allocate(KVM_SREGS);
    private final MemorySegment translation = arena.allocate(KVM_TRANSLATION);
    private final MemorySegment guestDebug = arena.allocate(KVM_GUEST_DEBUG);
    private final MemorySegment interrupt = arena.allocate(KVM_INTERRUPT);
    private final int fd;
    private final MemorySegment run;
    private final MemorySegment syncRegs;
    private final MemorySegment syncSregs;
    private boolean closed;

    KvmVcpu(int fd, int mmapSize) {
        this.fd = fd;
        MemorySegment m = Libc.mmapShared(capture, fd, mmapSize);
        if (m.equals(MemorySegment.NULL)) throw new KvmException("mmap(kvm_run)", Libc.errno(capture));
        this.run = m;
        this.syncRegs = m.asSlice(RUN_SYNC_REGS, KVM_REGS.byteSize());
        this.syncSregs = m.asSlice(RUN_SYNC_SREGS, KVM_SREGS.byteSize());
    }

    /** The shared kvm_run page (KVM_GET_VCPU_MMAP_SIZE bytes; I/O data lives past the struct). */
    public MemorySegment runArea() {
        return run;
    }

    /**
     * KVM_RUN. Returns 0 at an exit (see {@link #exitReason}), or EINTR/EAGAIN when a signal or
     * immediate_exit made KVM return before or instead of entering the guest; throws otherwise.
     */
    public int run() {
        if (Libc.ioctl(runCapture, fd, KVM_RUN_IOCTL, 0L) == 0) return 0;
        int e = Libc.errno(runCapture);
        if (e == Libc.EINTR || e == Libc.EAGAIN) return e;
        throw new KvmException("KVM_RUN", e);
    }

    public int exitReason() {
        return run.get(ValueLayout.JAVA_INT, RUN_EXIT_REASON);
    }

    /** Thread-safe: a KVM_RUN that starts while this is set returns EINTR at once. */
    public void setImmediateExit(boolean on) {
        run.set(ValueLayout.JAVA_BYTE, RUN_IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
    }

    public void setRequestInterruptWindow(boolean on) {
        run.set(ValueLayout.JAVA_BYTE, RUN_REQUEST_INTERRUPT_WINDOW, (byte) (on ? 1 : 0));
    }

    /** As of the last exit: the guest can take an interrupt now (IF=1, no shadow) if injected before the next entry. */
    public boolean readyForInterrupt() {
        return run.get(ValueLayout.JAVA_BYTE, RUN_READY_FOR_INTERRUPT) != 0
                && run.get(ValueLayout.JAVA_BYTE, RUN_IF_FLAG) != 0;
    }

    /** Asks KVM to copy the given KVM_SYNC_X86_* register sets into kvm_run at every exit. */
    public void setSyncRegs(long mask) {
        run.set(ValueLayout.JAVA_LONG, RUN_VALID_REGS, mask);
        run.set(ValueLayout.JAVA_LONG, RUN_DIRTY_REGS, 0L);
    }

    /** kvm_run.s.regs: valid after an exit when KVM_SYNC_X86_REGS is on. */
    public MemorySegment syncRegs() {
        return syncRegs;
    }

    /** kvm_run.s.sregs: valid after an exit when KVM_SYNC_X86_SREGS is on. */
    public MemorySegment syncSregs() {
        return syncSregs;
    }

    /** KVM_GET_REGS into this vCPU's buffer, which is returned (valid until the next call). */
    public synchronized MemorySegment getRegs() {
        check("KVM_GET_REGS", Libc.ioctl(capture, fd, KVM_GET_REGS, regs));
        return regs;
    }

    public synchronized void setRegs(MemorySegment kvmRegs) {
        check("KVM_SET_REGS", Libc.ioctl(capture, fd, KVM_SET_REGS, kvmRegs));
    }

    public synchronized MemorySegment getSregs() {
        check("KVM_GET_SREGS", Libc.ioctl(capture, fd, KVM_GET_SREGS, sregs));
        return sregs;
    }

    public synchronized void setSregs(MemorySegment kvmSregs) {
        check("KVM_SET_SREGS", Libc.ioctl(capture, fd, KVM_SET_SREGS, kvmSregs));
    }

    /** KVM_INTERRUPT: queues an external interrupt for the next entry (only without an in-kernel irqchip). */
    /** KVM_SET_CPUID2: what CPUID answers in this vCPU (one entry per leaf and subleaf). */
    public synchronized void setCpuid(dev.trapdoor.arch.CpuidTable table) {
        var rows = table.rows();
        long entry = KVM_CPUID_ENTRY2.byteSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(KVM_CPUID2.byteSize() + rows.size() * entry, 8);
            buf.set(ValueLayout.JAVA_INT, 0, rows.size());
            int i = 0;
            for (var r : rows.entrySet()) {
                int leaf = (int) (r.getKey() >>> 32), sub = (int) (long) r.getKey();
                boolean indexed = sub != 0 || rows.containsKey(((long) leaf << 32) | 1);
                MemorySegment e = buf.asSlice(KVM_CPUID2.byteSize() + i++ * entry, entry);
                e.set(ValueLayout.JAVA_INT, 0, leaf);
                e.set(ValueLayout.JAVA_INT, 4, sub);
                e.set(ValueLayout.JAVA_INT, 8, indexed ? CPUID_FLAG_SIGNIFICANT_INDEX : 0);
                e.set(ValueLayout.JAVA_INT, 12, r.getValue().eax());
                e.set(ValueLayout.JAVA_INT, 16, r.getValue().ebx());
                e.set(ValueLayout.JAVA_INT, 20, r.getValue().ecx());
                e.set(ValueLayout.JAVA_INT, 24, r.getValue().edx());
            }
            check("KVM_SET_CPUID2", Libc.ioctl(capture, fd, KVM_SET_CPUID2, buf));
        }
    }

    public synchronized void interrupt(int vector) {
        interrupt.set(ValueLayout.JAVA_INT, 0, vector & 0xff);
        check("KVM_INTERRUPT(" + vector + ")", Libc.ioctl(capture, fd, KVM_INTERRUPT_IOCTL, interrupt));
    }

    /** KVM_TRANSLATE through the guest's current paging: the physical address, or -1 when not mapped. */
    public synchronized long translate(long linear) {
        translation.set(ValueLayout.JAVA_LONG, TRANSLATION_LINEAR, linear);
        check("KVM_TRANSLATE", Libc.ioctl(capture, fd, KVM_TRANSLATE, translation));
        if (translation.get(ValueLayout.JAVA_BYTE, TRANSLATION_VALID) == 0) return -1;
        return translation.get(ValueLayout.JAVA_LONG, TRANSLATION_PHYSICAL);
    }

    /** KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_* control bits and DR0-7 (null for none). */
    public synchronized void setGuestDebug(int control, long[] debugRegs) {
        guestDebug.fill((byte) 0);
        guestDebug.set(ValueLayout.JAVA_INT, GUEST_DEBUG_CONTROL, control);
        if (debugRegs != null) {
            for (int i = 0; i < Math.min(8, debugRegs.length); i++)
                guestDebug.set(ValueLayout.JAVA_LONG, GUEST_DEBUG_REGS + 8L * i, debugRegs[i]);
        }
        check("KVM_SET_GUEST_DEBUG", Libc.ioctl(capture, fd, KVM_SET_GUEST_DEBUG, guestDebug));
    }

    private void check(String call, int result) {
        KvmException.check(call, result, capture);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Libc.munmap(run);
        Libc.close(fd);
        arena.close();
    }
}
