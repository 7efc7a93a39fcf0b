package dev.trapdoor.cpu;

/**
 * The one signal the interpreter throws for a guest fault. Pre-allocated and without a stack
 * trace, so raising a guest exception costs no allocation; the vector and error code travel in
 * the CPU's fields ({@code faultVector}, {@code faultError}), never in the throwable.
 */
final class CpuFault extends RuntimeException {
    static final CpuFault SIGNAL = new CpuFault();

    private CpuFault() {
        super("guest fault", null, false, false);
    }
}
