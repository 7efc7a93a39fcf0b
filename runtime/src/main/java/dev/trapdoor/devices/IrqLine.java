package dev.trapdoor.devices;

/** An interrupt request line from a device to an interrupt controller. */
public interface IrqLine {
    /** Drives the line: true = asserted. Edge-triggered controllers see the rising edge. */
    void set(boolean level);

    default void raise() { set(true); }

    default void lower() { set(false); }

    /** A line connected to nothing (a board without an interrupt controller yet). */
    IrqLine NONE = level -> { };
}
