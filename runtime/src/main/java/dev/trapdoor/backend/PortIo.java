package dev.trapdoor.backend;

/**
 * The I/O port space as a vCPU reaches it without an exit: a port whose I/O-bitmap bit is clear
 * (SDM Vol. 3C, 26.1.3) is accessed by the CPU itself, and on this machine that means the VM's
 * port bus. size is 1, 2 or 4; IN returns the value zero-extended.
 */
public interface PortIo {
    int in(int port, int size);

    void out(int port, int size, int value);
}
