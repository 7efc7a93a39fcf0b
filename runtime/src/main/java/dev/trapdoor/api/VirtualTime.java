package dev.trapdoor.api;

import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.devices.clock.VirtualClock;

/**
 * Drives a VM's virtual clock from its vCPU. On the interpreter, time is the instruction count
 * times a fixed cost (deterministic: the same run gives the same interrupts at the same
 * instructions); before each entry the backend is told how many instructions it may run before
 * the next device timer is due (it then exits with PREEMPTION_TIMER). A backend that cannot count
 * instructions (KVM) advances the clock by host time at each exit instead.
 */
final class VirtualTime {
    private final VirtualClock clock;
    private long nanosPerInstruction = 1;
    private long lastRetired = -1;
    private long lastHostNanos = -1;
    private boolean realtime;
    private long anchorHost, anchorVirtual;
    private java.util.function.BooleanSupplier inputWaiting = () -> false;

    VirtualTime(VirtualClock clock) {
        this.clock = clock;
    }

    VirtualClock clock() { return clock; }

    long nanosPerInstruction() { return nanosPerInstruction; }

    void nanosPerInstruction(long n) {
        if (n <= 0) throw new IllegalArgumentException("an instruction must take at least 1 ns of virtual time");
        nanosPerInstruction = n;
    }

    /**
     * Before entry: the retired-instruction count at which the backend must come back for the next
     * timer deadline (Long.MAX_VALUE for none, or when the backend cannot count).
     */
    long limit(VcpuBackend cpu) {
        long retired = cpu.instructionsRetired();
        if (retired < 0) return Long.MAX_VALUE;
        if (lastRetired < 0) lastRetired = retired;
        // The TSC runs at 1 GHz of virtual time: retired instructions plus the time skipped while
        // halted (and the extra cost per instruction), carried as the VMX TSC offset.
        cpu.setTscOffset(clock.now() - retired);
        long deadline = clock.nextDeadline();
        if (deadline == Long.MAX_VALUE) return Long.MAX_VALUE;
        long wait = Math.max(0, deadline - clock.now());
        long insns = (wait + nanosPerInstruction - 1) / nanosPerInstruction;
        return retired + Math.max(1, insns);
    }

    /**
     * The virtual time now, from inside a run: the clock was last synced at lastRetired, and the
     * instructions retired since then have taken their time too (a device read mid-run, such as the
     * local APIC's current count, sees it).
     */
    long now(VcpuBackend cpu) {
        long retired = cpu.instructionsRetired();
        if (retired < 0 || lastRetired < 0 || retired <= lastRetired) return clock.now();
        return clock.now() + (retired - lastRetired) * nanosPerInstruction;
    }

    /**
     * The retired-instruction count at which a running backend must come back for the next timer
     * deadline, counted from the last sync (a device scheduled it mid-run); Long.MAX_VALUE for none
     * or where the backend cannot count.
     */
    long limitWhileRunning(VcpuBackend cpu) {
        long deadline = clock.nextDeadline();
        if (cpu.instructionsRetired() < 0 || lastRetired < 0 || deadline == Long.MAX_VALUE) return Long.MAX_VALUE;
        long wait = Math.max(0, deadline - clock.now());
        return lastRetired + Math.max(1, (wait + nanosPerInstruction - 1) / nanosPerInstruction);
    }

    /** Moves the clock by the time an exit and entry took (the cost model's cycles), firing what becomes due. */
    void charge(long nanos) {
        if (nanos > 0) clock.advanceAndRun(clock.now() + nanos);
    }

    /** After an exit: advance the clock by what the guest ran and fire the timers that are due. */
    void sync(VcpuBackend cpu) {
        long retired = cpu.instructionsRetired();
        if (retired >= 0) {
            if (lastRetired >= 0 && retired > lastRetired) clock.advanceAndRun(clock.now() + (retired - lastRetired) * nanosPerInstruction);
            lastRetired = retired;
        } else {
            long host = System.nanoTime();
            if (lastHostNanos >= 0 && host > lastHostNanos) clock.advanceAndRun(clock.now() + (host - lastHostNanos));
            lastHostNanos = host;
        }
        clock.runDue();
    }

    /**
     * Real-time pacing (off by default): an idle guest waits in host time for its next timer, so
     * virtual time never runs ahead of the wall clock, and input (a key typed on the console)
     * wakes it early. Interactive sessions want it; experiments want the deterministic default.
     */
    void realtime(boolean on, java.util.function.BooleanSupplier inputWaiting) {
        realtime = on;
        this.inputWaiting = inputWaiting;
        anchorHost = System.nanoTime();
        anchorVirtual = clock.now();
    }

    boolean realtime() { return realtime; }

    /** The instruction cost and the count the clock was last synced at (a snapshot's share of this class). */
    void saveState(dev.trapdoor.snapshot.StateWriter out) {
        out.i64(nanosPerInstruction).i64(lastRetired).i64(lastHostNanos >= 0 ? 1 : 0);
    }

    void loadState(dev.trapdoor.snapshot.StateReader in) {
        long n = in.i64();
        if (n <= 0) throw in.fail("has " + n + " ns per instruction");
        nanosPerInstruction = n;
        lastRetired = in.i64();
        lastHostNanos = in.i64() != 0 ? System.nanoTime() : -1;
        anchorHost = System.nanoTime();
        anchorVirtual = clock.now();
    }

    /**
     * The guest halted with interrupts enabled: skip virtual time to the next timer (nothing else
     * can wake it), or with real-time pacing wait for it in host time, waking early for input.
     * False if no timer is pending and no input can come: the guest would sleep forever.
     */
    boolean idle() {
        long deadline = clock.nextDeadline();
        if (!realtime) {
            if (deadline == Long.MAX_VALUE) return false;
            clock.advanceAndRun(Math.max(deadline, clock.now()));
            return true;
        }
        if (clock.now() - anchorVirtual > (System.nanoTime() - anchorHost) + 1_000_000_000L) {
            anchorHost = System.nanoTime(); // virtual time ran far ahead (a burst of work): re-anchor
            anchorVirtual = clock.now();
        }
        while (true) {
            long hostNow = System.nanoTime();
            long virtualNow = anchorVirtual + (hostNow - anchorHost);
            if (virtualNow >= deadline) {
                clock.advanceAndRun(Math.max(deadline, clock.now()));
                return true;
            }
            if (inputWaiting.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                clock.advanceAndRun(Math.max(virtualNow, clock.now()));
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(deadline - virtualNow, 2_000_000L));
        }
    }
}
