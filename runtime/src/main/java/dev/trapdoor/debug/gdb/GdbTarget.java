package dev.trapdoor.debug.gdb;

/**
 * What {@link GdbServer} needs from one vCPU of a VM. The integrator implements it over a
 * Trapdoor vCPU (the interpreter, or KVM with KVM_SET_GUEST_DEBUG).
 *
 * <p>Threading: the server's session thread makes every call except {@link #waitForStop()},
 * which a helper thread of the server makes after each {@link #resume()} or {@link #step()}.
 * {@link #interrupt()} may arrive while that helper is blocked in {@code waitForStop}.
 * Registers, memory and breakpoints are only touched while the target is stopped.
 *
 * <p>Nothing here may let a guest-caused condition escape as an exception: an inaccessible
 * address is a short count, a breakpoint that cannot be placed is {@code false}. A
 * RuntimeException from any method is logged and answered with an E packet, and the session
 * goes on.
 */
public interface GdbTarget {

    /**
     * A debugger connected: stop the vCPU if it runs (as {@link #interrupt()} would) and return
     * why it is stopped now. The returned stop is not also delivered to {@link #waitForStop()}.
     */
    StopEvent attach();

    /** Copies the current registers into {@code regs} (all 32 of GDB's i386 layout). */
    void readRegisters(I386Registers regs);

    /** Makes {@code regs} the current registers (after gdb's G or P). */
    void writeRegisters(I386Registers regs);

    /**
     * Reads {@code len} bytes at a guest-linear address (translated through the guest's own
     * paging as the CPU would for a supervisor data read) into {@code dst[off..]}.
     *
     * @return how many bytes were readable from the start: len, or fewer when the range runs into
     *     an unmapped page or MMIO that must not be touched; 0 when the first byte is not readable
     */
    int readMemory(long linear, byte[] dst, int off, int len);

    /**
     * Writes {@code len} bytes from {@code src[off..]} at a guest-linear address. Code caches
     * that hold the written bytes must be invalidated (gdb patches code).
     *
     * @return how many bytes were written from the start (len when all were)
     */
    int writeMemory(long linear, byte[] src, int off, int len);

    /**
     * Executes exactly one instruction, asynchronously: the stop (normally
     * {@link StopEvent#stepped()}, or a watchpoint, or an exit) is delivered by
     * {@link #waitForStop()}. Interrupts and exceptions the instruction raises are delivered as
     * on hardware with EFLAGS.TF set.
     */
    void step();

    /** Continues the guest, asynchronously; the next stop is delivered by {@link #waitForStop()}. */
    void resume();

    /**
     * Blocks until the target stops after the latest {@link #resume()} or {@link #step()} and
     * returns why. Must not busy-wait. If the calling thread is interrupted, throws
     * InterruptedException and keeps the stop for the next call.
     */
    StopEvent waitForStop() throws InterruptedException;

    /**
     * Asks a running target to stop soon; the stop ({@link StopEvent#interrupted()}) comes
     * through waitForStop. It may race with a stop of the target's own (a breakpoint): then
     * either stop is reported, and a request that finds the target stopped must not stop a later
     * resume or step.
     */
    void interrupt();

    /** Whether this target implements breakpoints of a type at all (false makes the server answer Z with an empty reply). */
    default boolean supports(BreakpointType type) {
        return true;
    }

    /**
     * Places a breakpoint or watchpoint. For SOFTWARE and HARDWARE, {@code length} is gdb's kind
     * (1 on x86) and a hit must report EIP at {@code linear}. For watchpoints it is the watched
     * length in bytes; a hit is reported after the accessing instruction with the watched address.
     *
     * @return false when it cannot be placed (no free debug register, unaligned, unmapped)
     */
    boolean insertBreakpoint(BreakpointType type, long linear, int length);

    /** Removes one placed by {@link #insertBreakpoint}; returns false when there was none. */
    boolean removeBreakpoint(BreakpointType type, long linear, int length);

    /**
     * The debugger left (D, or the connection dropped) while the target is stopped; the server has
     * already removed every breakpoint it inserted. Resume the guest without debugger control.
     */
    void detach();

    /** gdb's kill (k, vKill): the integrator decides what that means for the VM (typically stop it for good). */
    void kill();

    /**
     * gdb's {@code monitor CMD} (qRcmd). Returns the text to print (may be empty or span lines).
     * Runs on the session thread while the target is stopped.
     */
    String monitor(String command);
}
