package dev.trapdoor.vmx;

import java.lang.foreign.MemorySegment;

/**
 * The VM-exit information a backend fills on every exit: one instance per vCPU, reused, so the
 * exit path allocates nothing. Fields mirror the VMCS "VM-exit information" group; the I/O and
 * MMIO transfer fields mirror KVM's kvm_run so that one handler serves both backends.
 *
 * <p>Completion contract for I/O and MMIO exits (the same on every backend): the backend reports
 * the access and leaves the instruction pending; the handler moves data through {@link #data}
 * (OUT/MMIO write: read it; IN/MMIO read: fill it); the next entry completes the instruction.
 */
public final class ExitInfo {
    public ExitReason reason = ExitReason.INTERNAL_ERROR;
    /** Exit qualification in Intel's format for the reason (SDM Vol. 3C, 28.2.1). */
    public long qualification;
    /** VM-exit instruction length, 0 when the exit was not caused by an instruction. */
    public int instructionLength;
    /** Guest-linear address (valid where the SDM says so, e.g. string I/O, EPT violations). */
    public long guestLinear;
    /** Guest-physical address (EPT violations, MMIO). */
    public long guestPhysical;
    /** EIP of the instruction that caused the exit (VMX semantics, whatever the backend). */
    public long rip;
    /** Exception/interrupt vector for EXCEPTION_NMI exits, -1 otherwise. */
    public int vector = -1;
    /** Error code of the exception, or -1. */
    public int errorCode = -1;

    // I/O and MMIO transfer (IO_INSTRUCTION, EPT_VIOLATION used for MMIO).
    public int port;
    public int size;
    public boolean in;
    public boolean string;
    public boolean rep;
    public int count = 1;
    /** Transfer buffer: count elements of size bytes, little-endian. Owned by the backend. */
    public MemorySegment data = MemorySegment.NULL;

    /** Human-readable detail for INTERNAL_ERROR and STOP_REQUEST. */
    public String message = "";

    public void reset(ExitReason r) {
        reason = r;
        qualification = 0;
        instructionLength = 0;
        guestLinear = 0;
        guestPhysical = 0;
        vector = -1;
        errorCode = -1;
        port = 0;
        size = 0;
        in = false;
        string = false;
        rep = false;
        count = 1;
        message = "";
    }

    /** Sets up an I/O exit and builds Intel's qualification (SDM Table 28-5). */
    public void io(int port, int size, boolean in, boolean string, boolean rep, boolean immediate, int count) {
        reset(ExitReason.IO_INSTRUCTION);
        this.port = port & 0xffff;
        this.size = size;
        this.in = in;
        this.string = string;
        this.rep = rep;
        this.count = count;
        this.qualification = IoQualification.encode(port, size, in, string, rep, immediate);
    }

    /** Sets up an MMIO access reported as an EPT violation on an unbacked page. */
    public void mmio(long gpa, int size, boolean write, long linear, boolean linearValid) {
        reset(ExitReason.EPT_VIOLATION);
        this.guestPhysical = gpa;
        this.size = size;
        this.in = !write;
        this.count = 1;
        this.guestLinear = linear;
        this.qualification = EptQualification.mmio(write, linearValid);
    }
}
