package dev.trapdoor.backend;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;

/**
 * One virtual CPU of a backend. {@link #run} is VM entry: it returns at the next VM exit with
 * {@code info} filled. An I/O or MMIO exit leaves its instruction pending; the handler moves the
 * data through {@code info.data} and the next {@code run} completes the instruction (KVM's
 * contract, which the interpreter follows too).
 */
public interface VcpuBackend extends AutoCloseable {
    void run(ExitInfo info);

    void getRegisters(X86Registers out);

    void setRegisters(X86Registers in);

    /** Thread-safe: makes the current or next {@link #run} return soon with STOP_REQUEST. */
    void requestStop();

    /** Guest instructions retired so far, or -1 where the backend cannot count them (KVM). */
    long instructionsRetired();

    /**
     * Asks for an external interrupt with this vector to be delivered when the guest can take
     * it (IF=1, no interrupt shadow). Returns false where the backend has no way to inject.
     */
    default boolean injectInterrupt(int vector) { return false; }

    @Override
    void close();
}
