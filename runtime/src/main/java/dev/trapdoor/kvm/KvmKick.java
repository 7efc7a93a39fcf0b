package dev.trapdoor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kicks a vCPU thread out of KVM_RUN with a signal. A signal that is ignored is discarded
 * without interrupting the ioctl, so the kick signal gets a real handler: libc's getpid, which
 * takes the signal number as an unused argument and is async-signal-safe. It is installed
 * without SA_RESTART so that KVM_RUN returns EINTR instead of being restarted.
 */
final class KvmKick {
    private KvmKick() {}

    /**
     * SIGRTMIN+6 under glibc (whose SIGRTMIN is 34). HotSpot catches only classic signals
     * (SEGV, BUS, FPE, ILL, USR2, QUIT, PIPE, XFSZ, the shutdown ones) and leaves the real-time
     * range alone, and Java threads do not block it.
     */
    static final int SIGNAL = 40;

    private static final Arena ARENA = Arena.ofShared();
    private static final MemorySegment CAPTURE = Libc.newCapture(ARENA);
    private static boolean installed;
    private static int pid;

    /** Installs the handler once per process; fails if someone else already handles the signal. */
    static synchronized void install() {
        if (installed) return;
        MemorySegment handler = Libc.getpidAddress();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(Libc.SIGACTION_LAYOUT);
            if (Libc.sigaction(CAPTURE, SIGNAL, MemorySegment.NULL, old) != 0)
                throw new KvmException("sigaction(" + SIGNAL + ") query", Libc.errno(CAPTURE));
            long current = old.get(ValueLayout.ADDRESS, 0).address();
            if (current != 0 && current != handler.address())
                throw new KvmException("signal " + SIGNAL + " already has a handler; the KVM backend needs it to stop vCPUs");
            MemorySegment act = a.allocate(Libc.SIGACTION_LAYOUT); // zeroed: empty mask, no SA_RESTART
            act.set(ValueLayout.ADDRESS, 0, handler);
            if (Libc.sigaction(CAPTURE, SIGNAL, act, MemorySegment.NULL) != 0)
                throw new KvmException("sigaction(" + SIGNAL + ")", Libc.errno(CAPTURE));
        }
        pid = Libc.getpid();
        installed = true;
    }

    /** Sends the kick signal to one thread of this process; a thread that has exited is not an error. */
    static synchronized void kick(int tid) {
        if (tid <= 0) return;
        if (Libc.tgkill(CAPTURE, pid, tid, SIGNAL) != 0) {
            int e = Libc.errno(CAPTURE);
            if (e != 3) throw new KvmException("tgkill(" + tid + ", " + SIGNAL + ")", e); // 3 = ESRCH
        }
    }
}
