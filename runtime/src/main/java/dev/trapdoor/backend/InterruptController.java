package dev.trapdoor.backend;

/**
 * The CPU-facing side of an interrupt controller: the INTR pin and the interrupt-acknowledge
 * cycle. The vCPU polls {@link #hasInterrupt()} when it can take an external interrupt
 * (EFLAGS.IF set, no interrupt shadow) and then runs {@link #acknowledge()} to get the vector.
 */
public interface InterruptController {
    /** Whether INTR is asserted: an unmasked request outranks everything in service. */
    boolean hasInterrupt();

    /**
     * The INTA cycle: returns the vector (0-255) and applies the controller's side effects (the
     * request moves from IRR to ISR, or is dropped under auto-EOI). If the request went away
     * between INTR and INTA the controller answers with its spurious vector, as an 8259A gives
     * IR7's vector without setting ISR.
     */
    int acknowledge();
}
