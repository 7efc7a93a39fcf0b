package dev.trapdoor.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls the KVM backend makes, as downcall handles. Calls that can fail capture errno
 * into a caller-supplied segment (one per caller, reused, so the vCPU loop allocates nothing).
 * Every restricted FFM operation of the backend is in this class.
 */
final class Libc {
    private Libc() {}

    static final int O_RDWR = 02, O_CLOEXEC = 02000000;
    static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    static final int EINTR = 4, EAGAIN = 11, EACCES = 13, ENOENT = 2;

    /** struct sigaction as glibc lays it out on x86-64 (the kernel's sa_restorer is set by glibc). */
    static final StructLayout SIGACTION_LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("sa_handler"), MemoryLayout.sequenceLayout(16, JAVA_LONG).withName("sa_mask"),
            JAVA_INT.withName("sa_flags"), MemoryLayout.paddingLayout(4), ADDRESS.withName("sa_restorer"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPT, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // ioctl(int fd, unsigned long request, ...): the third argument is variadic, a pointer or a number.
    private static final MethodHandle IOCTL_PTR = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO_OPT, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_OPT, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), ERRNO_OPT);
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle GETTID = downcall("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPID = downcall("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle TGKILL = downcall("tgkill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPT);
    private static final MethodHandle SIGACTION = downcall("sigaction",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPT);
    private static final MethodHandle STRERROR = downcall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        // Restricted: safe because each descriptor above is the C prototype of its libc function on x86-64 Linux.
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** The address of libc's getpid: a harmless, async-signal-safe function usable as a do-nothing signal handler. */
    static MemorySegment getpidAddress() {
        return LIBC.find("getpid").orElseThrow();
    }

    /** A reusable errno capture buffer. */
    static MemorySegment newCapture(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            // Restricted: safe because strerror returns a NUL-terminated string of at most a few hundred bytes.
            return s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    static int open(MemorySegment capture, String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(capture, a.allocateFrom(path), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(MemorySegment capture, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ioctl(MemorySegment capture, int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Maps a shared read/write view of fd; returns a segment of exactly size bytes, or NULL (errno captured). */
    static MemorySegment mmapShared(MemorySegment capture, int fd, long size) {
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, size,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
            if (p.address() == -1L) return MemorySegment.NULL;
            // Restricted: safe because mmap just returned a mapping of exactly size bytes at this address.
            return p.reinterpret(size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int munmap(MemorySegment mapping) {
        try {
            return (int) MUNMAP.invokeExact(mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int tgkill(MemorySegment capture, int tgid, int tid, int sig) {
        try {
            return (int) TGKILL.invokeExact(capture, tgid, tid, sig);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int sigaction(MemorySegment capture, int sig, MemorySegment act, MemorySegment old) {
        try {
            return (int) SIGACTION.invokeExact(capture, sig, act, old);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
